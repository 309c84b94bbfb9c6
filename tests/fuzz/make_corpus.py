#!/usr/bin/python3
"""Writes the seed corpus of the fuzz targets into tests/fuzz/corpus/<target>/ (README.md).

Run from anywhere: /usr/bin/python3 tests/fuzz/make_corpus.py [--checkpoint FILE]. Findings are
added to the same folders by hand (bench/fuzz/run.sh says where libFuzzer left them) under
names starting with "finding-"; this script never removes files. --checkpoint copies a real
(small) ssl-host checkpoint in as the checkpoint seed; without it that folder is left as is.
"""
import argparse
import gzip
import io
import pathlib
import shutil
import struct

from PIL import Image

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CORPUS = HERE / "corpus"


def write(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def two(first, second):  # the [u16 LE length][first][second] layout of fuzz_util.h split_two
    return struct.pack("<H", len(first)) + first + second


def idx_seeds():
    n, rows, cols = 3, 4, 5
    images = struct.pack(">IIII", 0x803, n, rows, cols) + bytes(range(n * rows * cols))
    labels = struct.pack(">II", 0x801, n) + bytes([0, 9, 4])
    write("idx", "plain", two(labels, images))
    write("idx", "gzip", two(gzip.compress(labels), gzip.compress(images)))
    write("idx", "count_mismatch", two(struct.pack(">II", 0x801, 2) + bytes([1, 2]), images))
    write("idx", "truncated_images", two(labels, images[:-7]))


def cifar_seeds():
    rec10 = bytes([3]) + bytes(i % 256 for i in range(3072))
    write("cifar", "cifar10_two_records", bytes([0]) + two(b"", rec10 + rec10))
    names = "\n".join(f"class_{i}" for i in range(100)).encode()
    rec100 = bytes([7, 42]) + bytes((i * 7) % 256 for i in range(3072))
    write("cifar", "cifar100_fine", bytes([1]) + two(names, rec100))
    coarse = "\n".join(f"super_{i}" for i in range(20)).encode()
    write("cifar", "cifar100_coarse", bytes([3]) + two(coarse, rec100))
    write("cifar", "cifar10_short_record", bytes([0]) + two(b"", rec10[:-1]))


def encoded(image, fmt, **kw):
    out = io.BytesIO()
    image.save(out, fmt, **kw)
    return out.getvalue()


def image_folder_seeds():
    rgb = Image.new("RGB", (6, 5), (10, 200, 30))
    images = {
        "png_rgb": (0, encoded(rgb, "PNG")),
        "png_gray": (0, encoded(Image.new("L", (6, 5), 77), "PNG")),
        "png_gray_alpha": (0, encoded(Image.new("LA", (6, 5), (77, 128)), "PNG")),
        "png_rgba": (0, encoded(Image.new("RGBA", (6, 5), (1, 2, 3, 4)), "PNG")),
        "png_16bit": (0, encoded(Image.new("I;16", (6, 5), 40000), "PNG")),
        "jpg": (1, encoded(rgb, "JPEG", quality=80)),
        "bmp": (3, encoded(rgb, "BMP")),
    }
    for name, (ext, data) in images.items():
        for mode_bits, suffix in ((0, ""), (2, "_gray"), (4, "_skip")):
            write("image_folder", f"classes_{name}{suffix}", bytes([(ext << 3) | mode_bits]) + two(b"", data))
    write("image_folder", "classes_corrupt_png", bytes([0]) + two(b"", images["png_rgb"][1][:40]))
    manifest = b"# path,label\na/a.png,cat\nb/b.png,dog\nc/img.png,cat\n"
    write("image_folder", "manifest_names", bytes([1]) + two(manifest, images["png_rgb"][1]))
    write("image_folder", "manifest_ints_skip", bytes([5]) + two(b"a/a.png, 3\nmissing.png,1\nb/b.png,0\n", b""))
    write("image_folder", "manifest_unlabelled", bytes([3]) + two(b"a/a.png\n\nb/b.png  # comment\n", b""))


def pipeline_seeds():
    for folder in (ROOT / "pipelines", ROOT / "tests" / "integration" / "pipelines"):
        for p in sorted(folder.glob("*.toml")):
            text = p.read_text()
            if folder.name == "pipelines" and "integration" in str(folder):
                text = text.replace("../../../pipelines/", "")  # the scratch copy sits in pipelines/
            write("pipeline", p.name, text)
    smoke = (ROOT / "pipelines" / "smoke.toml").read_text()
    write("pipeline", "smoke_with_sets.toml",
          "#set trainer.epochs=3\n#set backbone.width=8\n#set views.0.ops.0.scale=[0.5, 1.0]\n" + smoke)
    write("pipeline", "include_quickstart.toml",
          'include = ["quickstart.toml"]\nname = "q2"\n[trainer]\nepochs = 1\n[[evaluators]]\ntype = "knn"\nk = 5\n')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", type=pathlib.Path, help="a small ssl-host .ckpt to add as the seed")
    args = ap.parse_args()
    idx_seeds()
    cifar_seeds()
    image_folder_seeds()
    pipeline_seeds()
    if args.checkpoint:
        data = args.checkpoint.read_bytes()
        write("checkpoint", "smoke_step1.ckpt", data)
        write("checkpoint", "smoke_step1_truncated.ckpt", data[: len(data) // 2])
    for d in sorted(CORPUS.iterdir()):
        print(f"{d.name}: {sum(1 for _ in d.iterdir())} files")


if __name__ == "__main__":
    main()
