#!/bin/bash
# Time gradlab from two source trees side by side with PyTorch eager, each case in a fresh
# process, rounds alternating (benchmarks/run_alone.py's --child mode), on native kernels.
# Usage: benchmarks/compare_trees.sh OLD_TREE NEW_TREE [ROUNDS]   (trees: git worktrees)
# Prints "round case tree {median, best}" lines; the OPENBLAS pins are unset here only.
set -u
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
old=$1 new=$2 rounds=${3:-3}
for round in $(seq "$rounds"); do
  for spec in "bench_mlp 0" "bench_mlp 1" "bench_optim 0" "bench_optim 1" "bench_cnn 0" "bench_lstm 0"; do
    set -- $spec
    for tree in "$old" "$new"; do
      result=$(cd "$tree/benchmarks" && PYTHONPATH="$tree/src" python run_alone.py --child "$1" "$2" gradlab | tail -1)
      echo "$round $1[$2] $(basename "$tree") $result"
    done
    result=$(cd "$new/benchmarks" && PYTHONPATH="$new/src" python run_alone.py --child "$1" "$2" pytorch | tail -1)
    echo "$round $1[$2] torch $result"
  done
done
