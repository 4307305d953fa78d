#!/usr/bin/env bash
# Re-measure every target of issue 8 (learning rules) in one go, on two cores.
#
#   bash bench/issue8_targets.sh OUT_DIR [DATA_DIR]
#
# Each benchmark prints JSON lines into OUT_DIR/<name>.jsonl (stderr in <name>.err). W3 (a
# timing) runs first, alone; then two lanes run side by side, one per core, single-threaded
# BLAS. Expected wall time on this project's 2-core machine: about 2.5 h. Lane A: the
# 400-neuron Diehl & Cook epoch (~45 min), then the binary arms of the stochastic binary
# comparison for seeds 0-2 (~20 min each). Lane B: the other targets (~75 min), then the
# counterparts of seeds 0-2 (~17 min each).
# The commands are the ones whose figures the README and the closing notes quote.
set -euo pipefail
out=${1:?usage: bash bench/issue8_targets.sh OUT_DIR [DATA_DIR]}
data=${2:-${NEUROCIRCUIT_DATA:-../shared/data}}
py=${PYTHON:-.venv/bin/python}
mkdir -p "$out"
rm -f "$out/FAILED"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

run() {  # run NAME ARGS...: one benchmark, JSON lines to OUT/NAME.jsonl; a failure is listed
  local name=$1; shift  # in OUT/FAILED and the lane goes on with its next benchmark
  echo "$(date -u +%H:%M:%S) start $name" >&2
  local rc=0
  "$py" "$@" > "$out/$name.jsonl" 2> "$out/$name.err" || rc=$?
  if [[ $rc -eq 0 ]]; then
    echo "$(date -u +%H:%M:%S) done  $name" >&2
  else
    echo "$(date -u +%H:%M:%S) FAILED $name (rc $rc, see $out/$name.err)" >&2
    echo "$name" >> "$out/FAILED"
  fi
}

sb() {  # sb SEED ARM: stochastic binary STDP, 400 neurons, 20 000 images, test set
  run "sb_${2}_seed$1" bench/stochastic_binary.py --data-dir "$data" --n-exc 400 --seed "$1" \
    --arms "$2" --train 20000 --snapshots 8000 14000 --test 10000
}

lane_a() {
  run dc400 bench/diehl_cook.py --skip-w3 --mnist 60000 --test 10000 --n-exc 400 --label 10000 \
    --data-dir "$data"
  for s in 0 1 2; do sb "$s" binary; done
}

lane_b() {
  run lsm bench/lsm_fsdd.py --data-dir "$data"
  run dc100 bench/diehl_cook.py --skip-w3 --mnist 60000 --test 10000 --n-exc 100 --label 10000 \
    --data-dir "$data"
  run eprop bench/rsnn_eprop.py --epochs 30
  run slstm bench/slstm_mnist.py --data-dir "$data" --epochs 8 --lr 2e-3 --lr-decay 0.8 \
    --batch 64 --hidden 128
  run decolle bench/decolle_mnist.py --data-dir "$data" --train 60000 --test 10000 --epochs 3 \
    --batch 128 --lr 3e-3 --lr-decay 0.75
  for s in 0 1 2; do sb "$s" expected; done
}

run w3 bench/diehl_cook.py  # W3 first, alone: it is a timing
lane_a & a=$!
lane_b & b=$!
wait "$a"; wait "$b"
if [[ -s "$out/FAILED" ]]; then
  echo "issue-8 benchmarks that failed: $(tr '\n' ' ' < "$out/FAILED")" >&2
  exit 1
fi
echo "all issue-8 benchmarks done: $out" >&2
