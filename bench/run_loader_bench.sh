#!/usr/bin/env bash
# Loader throughput, host Loader vs torch DataLoader: Fashion-MNIST train, 2 SimCLR views
# (configs/augment/simclr_small.toml), batch 256, 2 workers; then the host Loader's wait
# fraction when the consumer "trains" STEP seconds per batch. Builds nothing: build the
# `loader_throughput` target first.
#
#   bench/run_loader_bench.sh [BUILD_DIR]
#     env: WORKERS=2 BATCH=256 BATCHES=100 REPEATS=5 STEP=0.25 STEP_BATCHES=40 STEP_REPEATS=3
#          PYTHON=/usr/bin/python3
#
# Run from the repository root. Throughput: per repetition 2 warm-up batches, then BATCHES
# timed batches; one warm-up repetition, median of REPEATS.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
workers=${WORKERS:-2}
batch=${BATCH:-256}
batches=${BATCHES:-100}
repeats=${REPEATS:-5}
step=${STEP:-0.25}
step_batches=${STEP_BATCHES:-40}
step_repeats=${STEP_REPEATS:-3}
python=${PYTHON:-/usr/bin/python3}
root=${FMNIST_ROOT:-/usr/share/datasets/fashion-mnist}
common=(--root "$root" --workers "$workers" --batch "$batch")

echo "load before: $(uptime)"
cpp_out=$("$build/bin/loader_throughput" "${common[@]}" --batches "$batches" --repeats "$repeats")
echo "$cpp_out"
py_out=$("$python" bench/reference/loader_torch.py "${common[@]}" --batches "$batches" --repeats "$repeats")
echo "$py_out"
echo "load: $(uptime)"
step_out=$("$build/bin/loader_throughput" "${common[@]}" --batches "$step_batches" --repeats "$step_repeats" \
  --step-seconds "$step")
echo "$step_out"
echo "load after: $(uptime)"

field() { awk -v k="$1" '$1 == k {print $2}'; }
cb=$(field median_batches_per_second <<<"$cpp_out"); ci=$(field median_images_per_second <<<"$cpp_out")
pb=$(field median_batches_per_second <<<"$py_out"); pi=$(field median_images_per_second <<<"$py_out")
wf=$(field median_wait_fraction_percent <<<"$step_out")
awk -v cb="$cb" -v ci="$ci" -v pb="$pb" -v pi="$pi" -v wf="$wf" -v s="$step" 'BEGIN {
  printf "C++ host Loader:     %8.2f batches/s %9.0f images/s\n", cb, ci
  printf "torch DataLoader:    %8.2f batches/s %9.0f images/s\n", pb, pi
  printf "ratio C++/Python:    %8.1fx\n", cb / pb
  printf "host Loader wait fraction with a %.2f s step per batch: %.3f%%\n", s, wf }'
