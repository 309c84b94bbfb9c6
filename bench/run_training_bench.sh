#!/usr/bin/env bash
# Training throughput and peak memory: ssl-host vs. a reference SimCLR in plain PyTorch
# (issue 4). All variants run in one invocation, interleaved (repeat 1 of every variant, then
# repeat 2, ...), so a change of machine load hits them alike; the median of the repeats is
# reported, and the ratios of those medians are what counts.
#
#   bench/run_training_bench.sh [--steps N] [--warmup N] [--repeats N] [--variants "a b ..."]
#                               [--stem-stride 1|2]   (2: the quickstart's strided stem)
#
# Variants (default: all):
#   py_users          bench/reference/simclr_torch.py as users run it (glibc malloc, NCHW)
#   py_tuned          the same with LD_PRELOAD=tcmalloc and --channels-last
#   py_tuned_blas1    py_tuned with OPENBLAS_NUM_THREADS=1 (ssl-host's third default lever)
#   cpp               ssl-host run bench/training/simclr_bench.toml
#   cpp_cl            the same with --set trainer.channels_last=true
#   py_compute        simclr_torch.py --no-data (fixed random tensors)
#   py_compute_tuned  --no-data with tcmalloc and channels_last
#   cpp_compute       build/bin/simclr_compute_bound (fixed random tensors)
#   cpp_compute_cl    the same with --channels-last
# Every run: --warmup steps untimed, then --steps timed steps; images/s count images (each
# image = two 28x28 views), batch 256. Peak memory: C++ = /usr/bin/time -v maximum RSS;
# Python = the summed RSS (and PSS) of the process tree (main + DataLoader workers), sampled
# every 0.2 s by bench/reference/peak_rss.py (C++ is sampled the same way for comparison).
# Needs: build/bin/ssl-host, build/bin/simclr_compute_bound and the plugins in build/plugins
#   cmake --build build -j2 --target ssl-host simclr_compute_bound ssl_dataset_core \
#         ssl_augmentation_core ssl_backbone_resnet ssl_method_contrastive
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
PY=/usr/bin/python3
TCMALLOC=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
STEPS=10
WARMUP=3
REPEATS=3
STEM=1
VARIANTS="py_users py_tuned py_tuned_blas1 cpp cpp_cl py_compute py_compute_tuned cpp_compute cpp_compute_cl"
while [[ $# -gt 0 ]]; do
  case $1 in
    --steps) STEPS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --variants) VARIANTS=$2; shift 2 ;;
    --stem-stride) STEM=$2; shift 2 ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed 's/^# \{0,1\}//;$d'; exit 2 ;;
  esac
done
OUT=$(mktemp -d /tmp/ssl_training_bench.XXXXXX)
RESULTS=$OUT/results.tsv
REF="$PY $ROOT/bench/reference/simclr_torch.py --steps $STEPS --warmup $WARMUP --stem-stride $STEM"
PEAK="$PY $ROOT/bench/reference/peak_rss.py"

echo "# $(date -u +%FT%TZ) $(uname -n), $(nproc) cores; uptime:$(uptime | sed 's/.*load/ load/')"
echo "# steps $STEPS (+ $WARMUP warm-up) x $REPEATS repeats, stem stride $STEM; logs in $OUT"

kb() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }

run_variant() {  # $1 variant, $2 repeat
  local v=$1 r=$2 log=$OUT/$1.$2.log mem=$OUT/$1.$2.mem rate="" maxrss=""
  case $v in
    py_users) $PEAK "$mem" -- $REF >"$log" 2>&1 ;;
    py_tuned) LD_PRELOAD=$TCMALLOC $PEAK "$mem" -- $REF --channels-last >"$log" 2>&1 ;;
    py_tuned_blas1) OPENBLAS_NUM_THREADS=1 LD_PRELOAD=$TCMALLOC $PEAK "$mem" -- $REF --channels-last >"$log" 2>&1 ;;
    py_compute) $PEAK "$mem" -- $REF --no-data >"$log" 2>&1 ;;
    py_compute_tuned) LD_PRELOAD=$TCMALLOC $PEAK "$mem" -- $REF --no-data --channels-last >"$log" 2>&1 ;;
    cpp | cpp_cl)
      local cl=false; [[ $v == cpp_cl ]] && cl=true
      $PEAK "$mem" -- /usr/bin/time -v -o "$OUT/$v.$r.time" "$BUILD/bin/ssl-host" run \
        "$ROOT/bench/training/simclr_bench.toml" --output "$OUT/run_$v.$r" --overwrite \
        --set trainer.max_steps=$((STEPS + WARMUP)) --set trainer.log_every=1 \
        --set trainer.channels_last=$cl --set backbone.stem_stride=$STEM >"$log" 2>&1
      maxrss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$OUT/$v.$r.time")
      # Timed steps: those after the warm-up; their img_per_s are per-step rates.
      rate=$($PY - "$OUT/run_$v.$r/metrics.jsonl" "$WARMUP" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if '"img_per_s"' in l]
warm = int(sys.argv[2])
timed = [r for r in recs if r["step"] > warm]
secs = sum(256.0 / r["img_per_s"] for r in timed)  # 256 images per step (batch_size)
wait0 = next(r["data_wait_s"] for r in recs if r["step"] == warm)
print(f"{256.0 * len(timed) / secs:.1f} {(timed[-1]['data_wait_s'] - wait0) / secs:.3f}")
EOF
)
      ;;
    cpp_compute | cpp_compute_cl)
      local flag=""; [[ $v == cpp_compute_cl ]] && flag=--channels-last
      $PEAK "$mem" -- /usr/bin/time -v -o "$OUT/$v.$r.time" "$BUILD/bin/simclr_compute_bound" \
        --steps "$STEPS" --warmup "$WARMUP" --repeats 1 --stem-stride "$STEM" $flag >"$log" 2>&1
      maxrss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$OUT/$v.$r.time")
      rate="$(awk '/^median_img_per_s/ { print $2 }' "$log") -"
      ;;
    *) echo "unknown variant $v" >&2; exit 2 ;;
  esac
  [[ $v == py* ]] && rate="$(awk '/^img_per_s/ { print $2 }' "$log") -"
  [[ -n ${rate%% *} ]] || { echo "variant $v repeat $r failed; see $log" >&2; tail -5 "$log" >&2; exit 1; }
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$v" "$r" ${rate% *} "${rate#* }" "$(kb peak_rss_kb "$mem")" \
    "$(kb peak_pss_kb "$mem")" "${maxrss:--}" >>"$RESULTS"
  printf '  %-17s repeat %s: %s img/s\n' "$v" "$r" "${rate% *}"
}

for ((r = 1; r <= REPEATS; r++)); do
  for v in $VARIANTS; do run_variant "$v" "$r"; done
done
echo "# uptime at the end:$(uptime | sed 's/.*load/ load/')"

$PY - "$RESULTS" <<'EOF'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
by = {}
for v, r, rate, wait, rss, pss, maxrss in rows:
    by.setdefault(v, []).append((float(rate), wait, int(rss), int(pss), maxrss))
med = {v: statistics.median(x[0] for x in xs) for v, xs in by.items()}
def mb(vals):
    vals = [int(x) for x in vals if x not in ("-", "")]
    return f"{statistics.median(vals) / 1024:.0f}" if vals else "-"
print("\n| variant | img/s (median) | runs | data wait | peak RSS MB (time -v) | tree RSS MB | tree PSS MB |")
print("|---|---|---|---|---|---|---|")
for v, xs in by.items():
    waits = [float(x[1]) for x in xs if x[1] != "-"]
    wait = f"{100 * statistics.median(waits):.0f}%" if waits else "-"
    runs = ", ".join(f"{x[0]:.1f}" for x in xs)
    print(f"| {v} | {med[v]:.1f} | {runs} | {wait} | {mb(x[4] for x in xs)} | "
          f"{mb(x[2] for x in xs)} | {mb(x[3] for x in xs)} |")
print()
ratios = [("cpp_cl", "py_users", "C++ default (channels_last) / Python as users run it (target >= 1.8)"),
          ("cpp_cl", "py_tuned", "C++ default / Python tuned (target >= 1.0)"),
          ("cpp_cl", "py_tuned_blas1", "C++ default / Python tuned + one OpenBLAS thread"),
          ("cpp_cl", "cpp_compute_cl", "C++ default pipeline / its compute bound (target >= 0.95)"),
          ("cpp", "py_users", "C++ channels_last off / Python as users run it"),
          ("cpp", "cpp_compute", "C++ channels_last off / its compute bound"),
          ("py_users", "py_compute", "Python as users run it / Python compute bound"),
          ("py_tuned", "py_compute_tuned", "Python tuned / its compute bound"),
          ("cpp_compute", "py_compute", "C++ compute bound / Python compute bound")]
for a, b, what in ratios:
    if a in med and b in med:
        print(f"{what}: {med[a] / med[b]:.2f}")
EOF
