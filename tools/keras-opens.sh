#!/usr/bin/env bash
# "Files Keras opens", shown: the sequor CLI trains chapter models with each optimizer and saves them as .keras
# and .h5; real Keras then loads every file (tools/keras_open.py), predicts the same reviews, and this prints
# Keras's numbers beside Sequor's. Exit 0 only when Keras opens every file and agrees within 1e-5.
#
#   tools/keras-opens.sh                      # real Keras from ../shared/tools/keras/keras-python
#   KERAS_PYTHON=python3 tools/keras-opens.sh # any Python with keras 3, numpy and h5py
#
# Data: `--data imdb` (Keras's imdb.npz, or the IMDB sample bundled in the CLI when offline); pass other train
# options after the script name, e.g. `tools/keras-opens.sh --data path/to/imdb.npz`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
keras_python=${KERAS_PYTHON:-$root/../shared/tools/keras/keras-python}
if ! command -v "$keras_python" >/dev/null; then
  echo "keras-opens: no real Keras at $keras_python; set KERAS_PYTHON to a Python with keras 3, numpy and h5py" >&2
  exit 2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dotnet build "$root/src/Sequor.Cli" -c Release -nologo -v quiet >/dev/null
sequor() { dotnet "$root/src/Sequor.Cli/bin/Release/net10.0/Sequor.Cli.dll" "$@"; }

# Four reviews as Keras's padded ids (length 100, ids below 300, every preset's vocabulary): padding first, as pad_sequences does.
"$keras_python" -c "
import json, random
random.seed(13)
rows = [[0] * p + [1] + [random.randrange(2, 300) for _ in range(99 - p)] for p in (0, 30, 60, 98)]
json.dump(rows, open('$work/ids.json', 'w'))"

# model preset, optimizer, file
runs=("lstm sgd lstm-sgd.keras" "gru sgd gru-sgd.h5" "lstm-2layer adam lstm-2layer-adam.h5"
      "embedding-simplernn rmsprop embedding-simplernn-rmsprop.keras" "lstm-dropout adam lstm-dropout-adam.keras")
manifest="["
for run in "${runs[@]}"; do
  read -r model optimizer file <<<"$run"
  echo "sequor train --model $model --optimizer $optimizer --epochs 1 --checkpoint $file" >&2
  sequor train --model "$model" --optimizer "$optimizer" --epochs 1 --checkpoint "$work/$file" "$@" >/dev/null 2>"$work/$file.log" \
    || { cat "$work/$file.log" >&2; exit 1; }
  sequor predict "$work/$file" --input "$work/ids.json" | cut -f1 >"$work/$file.sequor"
  manifest+="{\"file\": \"$work/$file\", \"input\": $(cat "$work/ids.json")},"
done
echo "${manifest%,}]" >"$work/manifest.json"

"$keras_python" "$root/tools/keras_open.py" "$work/manifest.json" "$work/results.json" 2>/dev/null
"$keras_python" -c "
import json, sys
report = json.load(open('$work/results.json'))
print(f\"Keras {report['keras_version']} ({report['backend']}) opening the files sequor wrote:\")
print(f\"{'file':36} {'opens':6} {'optimizer':10} {'Keras predictions':40} max |Keras - Sequor|\")
failed = 0
for result in report['results']:
    name = result['file'].split('/')[-1]
    if not result['ok']:
        failed += 1
        print(f\"{name:36} {'NO':6} {result['error']}\")
        continue
    keras = [row[0] for row in result['predictions']]
    sequor = [float(line) for line in open(result['file'] + '.sequor')]
    gap = max(abs(k - s) for k, s in zip(keras, sequor))
    failed += gap > 1e-5 or len(keras) != len(sequor)
    optimizer = (result['optimizer'] or {}).get('class_name', 'none')
    print(f\"{name:36} {'yes':6} {optimizer:10} {' '.join(f'{k:.6f}' for k in keras):40} {gap:.2g}\")
sys.exit(1 if failed else 0)"
