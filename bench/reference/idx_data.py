"""Reads MNIST-style IDX files (gzip or plain) into numpy arrays (LeCun et al. 1998)."""
import gzip
import os

import numpy as np


def _open(path):
    if os.path.exists(path + ".gz"):
        return gzip.open(path + ".gz", "rb")
    return open(path, "rb")


def read_idx(path):
    """Returns the IDX payload as a uint8 array shaped by the header (e.g. [N, 28, 28])."""
    with _open(path) as f:
        data = f.read()
    if data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_split(root, split="train"):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(root, f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(os.path.join(root, f"{prefix}-labels-idx1-ubyte")).astype(np.int64)
    return images, labels
