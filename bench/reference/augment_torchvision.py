"""torchvision reference for bench/augment_fmnist: the SimCLR chain of
configs/augment/simclr_small.toml on Fashion-MNIST PIL images (mode "L"), ONE thread,
ending in ToTensor + Normalize like the C++ side ends in normalize + image_to_chw.

    /usr/bin/python3 bench/reference/augment_torchvision.py [--images N] [--repeats R]

The first N training images become PIL images before timing. One untimed warm-up pass,
then R timed passes; prints each pass and "median_images_per_second <x>".
"""
import argparse
import os
import statistics
import sys
import time

import torch
from PIL import Image
from torchvision import transforms
from torchvision.transforms import InterpolationMode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from idx_data import load_split  # noqa: E402


def simclr_transform(saturation=0.2):
    """SimCLR (Chen et al. 2020) for 28 px Fashion-MNIST, as in simclr_small.toml.

    On mode "L" images torchvision still runs the saturation step (an identity blend);
    the C++ op skips it on 1-channel images. saturation=0 removes that step (sensitivity).
    """
    return transforms.Compose([
        transforms.RandomResizedCrop(28, scale=(0.2, 1.0), interpolation=InterpolationMode.BICUBIC),
        transforms.RandomHorizontalFlip(),
        transforms.RandomApply([transforms.ColorJitter(0.4, 0.4, saturation, 0.1)], p=0.8),
        transforms.RandomGrayscale(p=0.2),
        transforms.ToTensor(),
        transforms.Normalize((0.2860,), (0.3530,)),
    ])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--images", type=int, default=10000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--saturation", type=float, default=0.2)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    images, _ = load_split(args.root, "train")
    pil = [Image.fromarray(a, mode="L") for a in images[: args.images]]
    t = simclr_transform(args.saturation)
    out = torch.empty(len(pil), 1, 28, 28)

    def one_pass():
        t0 = time.perf_counter()
        for i, img in enumerate(pil):
            out[i] = t(img)
        return len(pil) / (time.perf_counter() - t0)

    print(f"torchvision augment: {len(pil)} Fashion-MNIST images, torch {torch.__version__}, "
          f"threads {torch.get_num_threads()}")
    one_pass()  # warm-up
    rates = []
    for r in range(args.repeats):
        rates.append(one_pass())
        print(f"  pass {r + 1}: {rates[-1]:.0f} images/s")
    print(f"  checksum {out.sum().item():.3f}")
    print(f"median_images_per_second {statistics.median(rates):.1f}")


if __name__ == "__main__":
    main()
