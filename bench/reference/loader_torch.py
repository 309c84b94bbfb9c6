"""torch DataLoader reference for bench/loader_throughput: Fashion-MNIST train held in
memory as uint8 arrays, each sample -> two SimCLR views (the torchvision chain of
augment_torchvision.py, PIL per sample as torchvision's FashionMNIST does) and its label;
DataLoader(batch_size=256, num_workers=2, shuffle=True, drop_last=True).

    /usr/bin/python3 bench/reference/loader_torch.py [--workers 2] [--batch 256]
                                                    [--batches 100] [--repeats 5]

Each repetition creates an epoch iterator (workers start), takes 2 untimed warm-up batches,
then times the next `batches` batches; one untimed warm-up repetition first. Prints
batches/s and images/s per repetition and the medians.
"""
import argparse
import os
import statistics
import sys
import time

import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from augment_torchvision import simclr_transform  # noqa: E402
from idx_data import load_split  # noqa: E402


class TwoViewFashionMNIST(Dataset):
    def __init__(self, root, views=2):
        self.images, self.labels = load_split(root, "train")
        self.transform = simclr_transform()
        self.views = views

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        img = Image.fromarray(self.images[i], mode="L")
        return [self.transform(img) for _ in range(self.views)], int(self.labels[i])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--batches", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    torch.manual_seed(0)
    data = TwoViewFashionMNIST(args.root)
    loader = DataLoader(data, batch_size=args.batch, num_workers=args.workers, shuffle=True, drop_last=True)
    assert 2 + args.batches <= len(loader), "--batches exceeds an epoch"
    print(f"torch DataLoader: {args.workers} workers, batch {args.batch}, 2 views, "
          f"{args.batches} batches per repetition, torch {torch.__version__}")
    checksum = 0.0

    def run():
        nonlocal checksum
        it = iter(loader)
        for _ in range(2):  # warm-up batches (worker start-up excluded)
            next(it)
        t0 = time.perf_counter()
        for _ in range(args.batches):
            (v1, v2), y = next(it)
            checksum += float(v1[0, 0, 0, 0])
        rate = args.batches / (time.perf_counter() - t0)
        del it  # shuts the workers down
        return rate

    run()  # warm-up repetition
    rates = []
    for r in range(args.repeats):
        rates.append(run())
        print(f"  repetition {r + 1}: {rates[-1]:.2f} batches/s, {rates[-1] * args.batch:.0f} images/s")
    med = statistics.median(rates)
    print(f"  checksum {checksum:.3f}")
    print(f"median_batches_per_second {med:.3f}")
    print(f"median_images_per_second {med * args.batch:.1f}")


if __name__ == "__main__":
    main()
