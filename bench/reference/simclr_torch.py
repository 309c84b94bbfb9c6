#!/usr/bin/python3
"""Reference SimCLR in plain PyTorch, written the way the official repositories are
(torchvision transforms on PIL images, a Dataset returning two views, a DataLoader with
worker processes, a hand-written NT-Xent), mirroring bench/training/simclr_bench.toml:

  backbone   resnet_small: BasicBlock x [1,1,1,1], widths 32/64/128/256, CIFAR stem (3x3
             stride 1, or --stem-stride 2 as in the quickstart; no max-pool), 1 input
             channel, global average pool -> 256 features
  projector  Linear(256,512)-ReLU-Linear(512,128), with biases (ssl::nn::MLPHead with
             proj_batch_norm = false, simclr's default)
  loss       NT-Xent, tau 0.2, 2N x 2N logits with the diagonal masked out
  optimizer  SGD lr 0.1, momentum 0.9, weight decay 1e-4 (on every parameter, as the host's sgd)
  views      2 x RandomResizedCrop(28, (0.2,1), bicubic), HorizontalFlip, ColorJitter(0.4,0.4,
             0.2,0.1) p=0.8, Grayscale p=0.2, ToTensor, Normalize(0.2860, 0.3530)
  data       Fashion-MNIST train (IDX gz), batch 256, shuffle, drop_last, 2 workers (persistent)

Runs --warmup steps, then --steps timed steps, and prints `img_per_s <value>` (images per
second; each image = two views). --no-data trains on two fixed random tensors instead
(compute bound). --channels-last converts the model and inputs to channels_last.

  /usr/bin/python3 bench/reference/simclr_torch.py [--steps 20] [--warmup 5] [--no-data]
      [--channels-last] [--threads 2] [--workers 2] [--root /usr/share/datasets/fashion-mnist]
"""
import argparse
import gzip
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms


def read_idx_images(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    assert int.from_bytes(data[0:4], "big") == 0x803, path
    n, h, w = (int.from_bytes(data[i:i + 4], "big") for i in (4, 8, 12))
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(n, h, w)


class TwoViews:
    def __init__(self, transform):
        self.transform = transform

    def __call__(self, img):
        return self.transform(img), self.transform(img)


class FashionMNIST(Dataset):
    def __init__(self, root, transform):
        self.images = read_idx_images(os.path.join(root, "train-images-idx3-ubyte.gz"))
        self.transform = transform

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return self.transform(Image.fromarray(self.images[i], mode="L"))


def simclr_transform():
    return transforms.Compose([
        transforms.RandomResizedCrop(28, scale=(0.2, 1.0), ratio=(0.75, 4.0 / 3.0),
                                     interpolation=transforms.InterpolationMode.BICUBIC),
        transforms.RandomHorizontalFlip(p=0.5),
        transforms.RandomApply([transforms.ColorJitter(0.4, 0.4, 0.2, 0.1)], p=0.8),
        transforms.RandomGrayscale(p=0.2),
        transforms.ToTensor(),
        transforms.Normalize((0.2860,), (0.3530,)),
    ])


class BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or in_planes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride, bias=False),
                                            nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = self.bn2(self.conv2(out))
        out += x if self.downsample is None else self.downsample(x)
        return F.relu(out, inplace=True)


class ResNetSmall(nn.Module):
    def __init__(self, width=32, blocks=(1, 1, 1, 1), in_channels=1, stem_stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 3, stem_stride, 1, bias=False)  # CIFAR stem
        self.bn1 = nn.BatchNorm2d(width)
        layers, in_planes = [], width
        for i, n in enumerate(blocks):
            planes = width << i
            stage = []
            for b in range(n):
                stage.append(BasicBlock(in_planes, planes, 2 if (i > 0 and b == 0) else 1))
                in_planes = planes
            layers.append(nn.Sequential(*stage))
        self.layers = nn.Sequential(*layers)
        self.num_features = in_planes
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)), inplace=True)
        return self.layers(x).mean(dim=(2, 3))


class SimCLR(nn.Module):
    def __init__(self, temperature=0.2, stem_stride=1):
        super().__init__()
        self.backbone = ResNetSmall(stem_stride=stem_stride)
        self.projector = nn.Sequential(nn.Linear(self.backbone.num_features, 512),
                                       nn.ReLU(inplace=True), nn.Linear(512, 128))
        self.temperature = temperature

    def forward(self, x1, x2):
        z1 = self.projector(self.backbone(x1))
        z2 = self.projector(self.backbone(x2))
        return nt_xent(z1, z2, self.temperature)


def nt_xent(z1, z2, temperature):
    n = z1.size(0)
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    logits = z @ z.t() / temperature
    logits.fill_diagonal_(float("-inf"))
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(logits, targets)


def batches(args):
    if args.no_data:
        g = torch.Generator().manual_seed(0)
        x = (torch.randn(args.batch, 1, 28, 28, generator=g),
             torch.randn(args.batch, 1, 28, 28, generator=g))
        while True:
            yield x
    loader = DataLoader(FashionMNIST(args.root, TwoViews(simclr_transform())),
                        batch_size=args.batch, shuffle=True, num_workers=args.workers,
                        persistent_workers=args.workers > 0, drop_last=True)
    while True:
        for views in loader:
            yield views


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--root", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--no-data", action="store_true", help="fixed random tensors (compute bound)")
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--stem-stride", type=int, default=1, help="1: full resolution; 2: the quickstart's stem")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    fmt = torch.channels_last if args.channels_last else torch.contiguous_format
    model = SimCLR(0.2, args.stem_stride).to(memory_format=fmt)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)

    it = batches(args)
    t0 = None
    for step in range(args.warmup + args.steps):
        if step == args.warmup:
            t0 = time.perf_counter()
        x1, x2 = next(it)
        x1 = x1.contiguous(memory_format=fmt)
        x2 = x2.contiguous(memory_format=fmt)
        loss = model(x1, x2)
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss_value = loss.item()
    secs = time.perf_counter() - t0
    print(f"{args.steps} steps in {secs:.2f} s, loss {loss_value:.4f}")
    print(f"img_per_s {args.steps * args.batch / secs:.1f}", flush=True)


if __name__ == "__main__":
    main()
