#!/usr/bin/env bash
# Training throughput quiet and beside one competing busy process, per OpenMP wait setting,
# for ssl-host and the Python reference (issue "graceful under load"). On a machine with as
# many cores as training threads, OpenMP workers that spin at barriers lose their core to a
# competing process for whole scheduler slices; how long they spin before sleeping is the lever.
#
#   bench/run_load_bench.sh [--steps N] [--warmup N] [--repeats N] [--stem-stride 1|2]
#                           [--programs "cpp_cl py_tuned"] [--policies "libgomp ssl passive spin:N ..."]
#
# Policies (the environment each run gets):
#   libgomp   GOMP_SPINCOUNT=300000: libgomp's own default when nothing is set (its manual),
#             i.e. ssl-host before it set a default, and Python as users run it
#   ssl       nothing set: ssl-host's built-in default (host/src/main.cpp); for Python the same
#             as libgomp
#   passive   OMP_WAIT_POLICY=PASSIVE (no spinning)
#   spin:N    GOMP_SPINCOUNT=N
# Programs: the variants of bench/run_training_bench.sh (cpp_cl: ssl-host as shipped;
# py_tuned: bench/reference/simclr_torch.py with tcmalloc and channels_last). Every
# (repeat, policy, program) runs quiet, then with one busy-loop process beside it; the table
# gives medians, loaded / quiet, and quiet / quiet under libgomp. Default stem stride 2 (the
# quickstart's strided stem), as in the issue's measurement.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STEPS=12
WARMUP=2
REPEATS=3
STEM=2
PROGRAMS="cpp_cl py_tuned"
POLICIES="libgomp ssl passive"
while [[ $# -gt 0 ]]; do
  case $1 in
    --steps) STEPS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --programs) PROGRAMS=$2; shift 2 ;;
    --stem-stride) STEM=$2; shift 2 ;;
    --policies) POLICIES=$2; shift 2 ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed 's/^# \{0,1\}//;$d'; exit 2 ;;
  esac
done
OUT=$(mktemp -d /tmp/ssl_load_bench.XXXXXX)
echo "# $(date -u +%FT%TZ) $(uname -n), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
echo "# uptime:$(uptime | sed 's/.*load/ load/'); steps $STEPS (+ $WARMUP warm-up) x $REPEATS repeats, stem stride $STEM; logs in $OUT"

policy_env() {
  case $1 in
    libgomp) echo "GOMP_SPINCOUNT=300000" ;;
    ssl) echo "" ;;
    passive) echo "OMP_WAIT_POLICY=PASSIVE" ;;
    spin:*) echo "GOMP_SPINCOUNT=${1#spin:}" ;;
    *) echo "unknown policy $1" >&2; exit 2 ;;
  esac
}

BUSY=""
stop_busy() {
  if [[ -n $BUSY ]]; then kill "$BUSY" 2>/dev/null || true; wait "$BUSY" 2>/dev/null || true; fi
  BUSY=""
}
trap stop_busy EXIT

one_run() {  # $1 program, $2 policy, $3 quiet|loaded, $4 repeat
  local envs log=$OUT/$1.$2.$3.$4.log rate
  envs=$(policy_env "$2")
  [[ $3 == loaded ]] && { bash -c 'while :; do :; done' & BUSY=$!; }
  env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT $envs "$ROOT/bench/run_training_bench.sh" --variants "$1" --repeats 1 \
    --steps "$STEPS" --warmup "$WARMUP" --stem-stride "$STEM" >"$log" 2>&1 || { stop_busy; echo "failed: see $log" >&2; tail -5 "$log" >&2; exit 1; }
  stop_busy
  rate=$(awk '/repeat 1:/ { print $(NF-1) }' "$log")
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$rate" >>"$OUT/results.tsv"
  printf '  %-8s %-12s %-6s repeat %s: %s img/s\n' "$1" "$2" "$3" "$4" "$rate"
}

for ((r = 1; r <= REPEATS; r++)); do
  for policy in $POLICIES; do
    for program in $PROGRAMS; do
      one_run "$program" "$policy" quiet "$r"
      one_run "$program" "$policy" loaded "$r"
    done
  done
done
echo "# uptime at the end:$(uptime | sed 's/.*load/ load/')"

/usr/bin/python3 - "$OUT/results.tsv" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    program, policy, load, rate = line.split()
    runs.setdefault((program, policy, load), []).append(float(rate))
med = {k: statistics.median(v) for k, v in runs.items()}
print("\n| program | policy | quiet img/s | loaded img/s | loaded / quiet | quiet / quiet (libgomp) | runs quiet; loaded |")
print("|---|---|---|---|---|---|---|")
for (program, policy, load) in sorted(k for k in med if k[2] == "quiet"):
    q, l = med[(program, policy, "quiet")], med.get((program, policy, "loaded"))
    base = med.get((program, "libgomp", "quiet"))
    cells = [program, policy, f"{q:.1f}", f"{l:.1f}" if l else "-", f"{l / q:.2f}" if l else "-",
             f"{q / base:.2f}" if base else "-",
             ", ".join(f"{x:.0f}" for x in runs[(program, policy, "quiet")]) + "; " +
             ", ".join(f"{x:.0f}" for x in runs.get((program, policy, "loaded"), []))]
    print("| " + " | ".join(cells) + " |")
PY
