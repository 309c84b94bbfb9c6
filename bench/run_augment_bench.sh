#!/usr/bin/env bash
# Augmentation throughput, C++ vs torchvision: the SimCLR chain of
# configs/augment/simclr_small.toml on Fashion-MNIST, one thread, to a normalised float
# tensor. Builds nothing: build the `augment_fmnist` target first.
#
#   bench/run_augment_bench.sh [BUILD_DIR]      (env: IMAGES=10000 REPEATS=5 PYTHON=/usr/bin/python3)
#
# Run from the repository root. Each side: one warm-up pass, then the median of REPEATS passes.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
images=${IMAGES:-10000}
repeats=${REPEATS:-5}
python=${PYTHON:-/usr/bin/python3}
root=${FMNIST_ROOT:-/usr/share/datasets/fashion-mnist}

echo "load before: $(uptime)"
cpp_out=$("$build/bin/augment_fmnist" --root "$root" --images "$images" --repeats "$repeats")
echo "$cpp_out"
py_out=$("$python" bench/reference/augment_torchvision.py --root "$root" --images "$images" --repeats "$repeats")
echo "$py_out"
echo "load after: $(uptime)"

cpp=$(awk '/^median_images_per_second/ {print $2}' <<<"$cpp_out")
py=$(awk '/^median_images_per_second/ {print $2}' <<<"$py_out")
awk -v c="$cpp" -v p="$py" 'BEGIN {
  printf "C++ (augmentation_core + image_to_chw): %10.0f images/s\n", c
  printf "Python (torchvision, PIL):              %10.0f images/s\n", p
  printf "ratio C++/Python:                       %10.1fx\n", c / p }'
