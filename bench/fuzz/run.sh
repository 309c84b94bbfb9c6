#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang, ASan and UBSan in build-fuzz/ and
# runs each for a given time or number of executions, starting from the committed seed
# corpus (tests/fuzz/corpus/<target>/; new inputs libFuzzer finds go to build-fuzz/corpus/).
#
#   bench/fuzz/run.sh [--time SECONDS] [--runs N] [--jobs N] [TARGET...]
#
#   --time S   stop each target after S seconds (default 300 when --runs is not given)
#   --runs N   stop each target after N executions (e.g. 1000000); with --time too, at
#              whichever comes first (the issue's bar: 10^6 executions or 30 minutes)
#   --jobs N   fuzz N targets at once (default 1; each uses one core)
#   TARGET     pipeline checkpoint idx cifar image_folder (default: all)
# Per target the last libFuzzer status line (executions, coverage, corpus) goes to
# build-fuzz/fuzz-<target>.log; a crash, sanitizer report, timeout (-timeout=10) or memory
# blow-up (-rss_limit_mb=2048) stops that target with the reproducer in build-fuzz/findings/
# and the script exits 1 at the end. Replay a finding: build-fuzz/fuzz/fuzz_<target> FILE.
# Fix it, then copy the file into tests/fuzz/corpus/<target>/finding-<what>: the ctest
# fuzz_corpus_<target> replays the corpus in every test build.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${SSL_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
TIME=""
RUNS=""
JOBS=1
TARGETS=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --time) TIME=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --jobs) JOBS=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed 's/^# \{0,1\}//;$d'; exit 0 ;;
    *) TARGETS+=("$1"); shift ;;
  esac
done
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=(pipeline checkpoint idx cifar image_folder)

if [[ ! -f $BUILD/CMakeCache.txt ]]; then
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1" -DSSL_FUZZ=ON -DSSL_SANITIZE=address,undefined
fi
cmake --build "$BUILD" -j"$(nproc)" --target ssl_fuzz
mkdir -p "$BUILD/findings"

# One target: runs it and prints one line ("ok" or "FINDING", executions, seconds, the last
# status line); the exit status says whether it found something.
fuzz_one() {
  local t=$1 bin=$BUILD/fuzz/fuzz_$1 log=$BUILD/fuzz-$1.log start=$SECONDS status=ok
  local limit=()
  [[ -n $RUNS ]] && limit+=(-runs="$RUNS")
  [[ -n $TIME || -z $RUNS ]] && limit+=(-max_total_time="${TIME:-300}")
  mkdir -p "$BUILD/corpus/$t"
  # The first corpus folder receives new inputs; the committed seeds stay as they are.
  ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=0 "$bin" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$BUILD/findings/$t-" \
    "$BUILD/corpus/$t" "$ROOT/tests/fuzz/corpus/$t" >"$log" 2>&1 || status=FINDING
  local execs
  execs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$log")
  echo "fuzz_$t (${limit[*]}): $status: ${execs:-?} executions in $((SECONDS - start)) s; $(grep -E '^#[0-9]+' "$log" | tail -1 | cut -c1-100)"
  [[ $status == ok ]]
}

for t in "${TARGETS[@]}"; do
  [[ -x $BUILD/fuzz/fuzz_$t ]] || { echo "no fuzz target '$t' (have: $(ls "$BUILD/fuzz" | sed 's/fuzz_//' | tr '\n' ' '))" >&2; exit 2; }
done
# --jobs N targets at a time (each libFuzzer process uses one core).
failed=()
declare -A pid_of=()
for t in "${TARGETS[@]}"; do
  while [[ $(jobs -rp | wc -l) -ge $JOBS ]]; do wait -n || true; done
  fuzz_one "$t" &
  pid_of[$t]=$!
done
for t in "${TARGETS[@]}"; do wait "${pid_of[$t]}" || failed+=("$t"); done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "findings in: ${failed[*]} (reproducers in $BUILD/findings/, logs $BUILD/fuzz-<target>.log)" >&2
  exit 1
fi
