#!/usr/bin/env bash
# The chapter's lstm recipe with Sequor's CLI on DATA_DIR/train.csv, evaluated on DATA_DIR/test.csv, once per seed.
# Usage: bench/sentence-level/run_sequor.sh DATA_DIR [SEED ...]   (from the repository root; seeds default to 1 2 3 4 5)
# Writes DATA_DIR/runs/sequor-seed<N>.{keras,log,history.csv}; the last line of each log is evaluate's result.
set -euo pipefail
data=$1; shift
seeds=("$@"); [ ${#seeds[@]} -eq 0 ] && seeds=(1 2 3 4 5)
mkdir -p "$data/runs"
dotnet build src/Sequor.Cli -c Release -v q -nologo >/dev/null
for seed in "${seeds[@]}"; do
  run="$data/runs/sequor-seed$seed"
  {
    dotnet run --project src/Sequor.Cli -c Release --no-build -- train --model lstm --data "$data/train.csv" \
      --num-words 2000 --maxlen 100 --batch-size 64 --optimizer rmsprop --lr 1e-4 --patience 3 --epochs 100 \
      --validation-split 0.2 --seed "$seed" --checkpoint "$run.keras" --history "$run.history.csv"
    dotnet run --project src/Sequor.Cli -c Release --no-build -- evaluate "$run.keras" --data "$data/test.csv"
  } >"$run.log" 2>&1
  echo "seed $seed: $(tail -1 "$run.log")"
done
