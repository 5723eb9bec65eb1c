#!/usr/bin/env bash
# Runs Sequor's benchmark and its peers one after the other with the same thread count on the same data, then
# prints the tables (bench/compare.py): training against PyTorch, TorchSharp and Keras 3 on torch; inference
# against those and ONNX Runtime on the models exported from Sequor; one-sequence serving latency against ONNX
# Runtime (the chapter LSTM and lstm128 at lengths 100 and 500).
#   bench/run.sh [threads] [models]      e.g. bench/run.sh 1      bench/run.sh 2 lstm,gru128
# Env: SKIP_PYTORCH=1, SKIP_TORCHSHARP=1, SKIP_KERAS=1, SKIP_ONNXRUNTIME=1, SKIP_LATENCY=1 leave a program out;
#      REPEATS=5 (timed runs per model, every program), STEPS=100 (peers' steps per timed block, chapter models),
#      BIG_STEPS=5, BIG_WARMUP=2 (peers' timed and warm-up steps for the large models), SEQUOR_BIG_STEPS=20,
#      LATENCY_CALLS=2000, INFER_N (sequences per inference pass, every program: only to check the scripts quickly).
# The large models (lstm128, gru128, bilstm64, lstm2x64; sequences of 200) time a block of steps extrapolated to an
# epoch and infer 2,560 sequences, in every program.
# Keras runs from ../shared/tools/keras beside the repository (KERAS_TORCH=1: Keras 3.6.0 on Debian's torch).
# PyTorch (and Keras, on the same torch) runs on OpenBLAS when bench/peers/openblas/ holds it (Debian's python3-torch
# otherwise links the reference netlib BLAS, ~1.5x slower; the README says to quote the faster configuration). To fetch it:
#   (cd /tmp && apt-get download libopenblas0-pthread && dpkg-deb -x libopenblas0-pthread_*.deb ob) &&
#   mkdir -p bench/peers/openblas && cp /tmp/ob/usr/lib/x86_64-linux-gnu/openblas-pthread/* bench/peers/openblas/
set -euo pipefail
cd "$(dirname "$0")"
threads=${1:-1}
bigset=lstm128,gru128,bilstm64,lstm2x64
models=${2:-simplernn-onehot,embedding-simplernn,lstm,lstm-dropout,lstm-2layer,gru,$bigset}
repeats=${REPEATS:-5}
steps=${STEPS:-100}
big_steps=${BIG_STEPS:-5}
big_warmup=${BIG_WARMUP:-2}
out=results/$(date +%Y%m%d-%H%M%S)-t$threads
mkdir -p "$out"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 OMP_NUM_THREADS=$threads MKL_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads

[ -f peers/data/synth_v10000_t200.bin ] && [ -f peers/data/synth_v20000_t200.bin ] || /usr/bin/python3 peers/make_data.py
dotnet build Sequor.Bench/Sequor.Bench.csproj -c Release -v q -nologo | grep -E " error|rror\(s\)" || true
bench=(dotnet Sequor.Bench/bin/Release/net10.0/Sequor.Bench.dll --threads "$threads")

# The large models run fewer timed steps in the peers (one step is ~100x the chapter models') and infer 2,560
# sequences; INFER_N overrides both counts for a quick check of the scripts.
small=$(echo "$models" | tr ',' '\n' | grep -vxF -e "${bigset//,/$'\n'}" | paste -sd, || true)
big=$(echo "$models" | tr ',' '\n' | grep -xF -e "${bigset//,/$'\n'}" | paste -sd, || true)
small_infer=(); big_infer=(--infer-n 2560)
[ -n "${INFER_N:-}" ] && small_infer=(--infer-n "$INFER_N") && big_infer=(--infer-n "$INFER_N")

echo "== Sequor, $threads thread(s)"
"${bench[@]}" --models "$models" --repeats "$repeats" --big-steps "${SEQUOR_BIG_STEPS:-20}" ${INFER_N:+--infer-n "$INFER_N"} --out "$out/sequor.json"

# Both cores against one, epochs alternating (on the 2-thread run): the chapter LSTM (scaling.json) and each large
# model (scaling-<model>.json), the 2-core targets of docs/performance.md
if [ "$threads" = 2 ]; then
  echo ",$models," | grep -q ",lstm," && "${bench[@]}" --scaling lstm --out "$out/scaling.json"
  for m in ${big//,/ }; do "${bench[@]}" --scaling "$m" --out "$out/scaling-$m.json"; done
fi

if [ -z "${SKIP_ONNXRUNTIME:-}" ]; then
  echo "== ONNX Runtime (the models exported from Sequor), $threads intra-op thread(s)"
  "${bench[@]}" --onnx-runtime --models "$models" --repeats "$repeats" ${INFER_N:+--infer-n "$INFER_N"} --out "$out/onnxruntime.json"
fi

if [ -z "${SKIP_LATENCY:-}" ]; then
  echo "== Latency, one sequence per call: Sequor and ONNX Runtime, $threads thread(s)"
  "${bench[@]}" --latency --calls "${LATENCY_CALLS:-2000}" --out "$out/latency.json"
fi

blas=()
[ -f peers/openblas/libblas.so.3 ] && blas=(env LD_LIBRARY_PATH="$PWD/peers/openblas")

if [ -z "${SKIP_PYTORCH:-}" ]; then
  echo "== PyTorch, $threads thread(s)"
  [ -n "$small" ] && "${blas[@]}" /usr/bin/python3 peers/torch_peer.py --threads "$threads" --models "$small" --repeats "$repeats" --steps "$steps" --full-epochs 0 "${small_infer[@]}" --out "$out/pytorch.json" | cut -c1-160
  [ -n "$big" ] && "${blas[@]}" /usr/bin/python3 peers/torch_peer.py --threads "$threads" --models "$big" --repeats "$repeats" --steps "$big_steps" --warmup "$big_warmup" --full-epochs 0 "${big_infer[@]}" --out "$out/pytorch-big.json" | cut -c1-160
fi

if [ -z "${SKIP_TORCHSHARP:-}" ]; then
  echo "== TorchSharp, $threads thread(s)"
  dotnet build peers/torchsharp/TorchSharpPeer.csproj -c Release -v q -nologo | grep -E " error|rror\(s\)" || true
  ts=peers/torchsharp/bin/Release/net10.0
  [ -n "$small" ] && LD_PRELOAD="$PWD/$ts/libglibcxx_shim.so" dotnet $ts/TorchSharpPeer.dll --threads "$threads" --data "$PWD/peers/data" --models "$small" --repeats "$repeats" --steps "$steps" --full-epochs 0 "${small_infer[@]}" --out "$out/torchsharp.json" | cut -c1-160
  [ -n "$big" ] && LD_PRELOAD="$PWD/$ts/libglibcxx_shim.so" dotnet $ts/TorchSharpPeer.dll --threads "$threads" --data "$PWD/peers/data" --models "$big" --repeats "$repeats" --steps "$big_steps" --warmup "$big_warmup" --full-epochs 0 "${big_infer[@]}" --out "$out/torchsharp-big.json" | cut -c1-160
fi

if [ -z "${SKIP_KERAS:-}" ]; then
  keras=$PWD/../../shared/tools/keras/keras-python
  if [ ! -x "$keras" ]; then
    echo "== Keras: skipped, ../shared/tools/keras/keras-python not found beside the repository"
  else
    echo "== Keras 3 on torch, $threads thread(s)"
    [ -n "$small" ] && KERAS_TORCH=1 "${blas[@]}" "$keras" peers/keras_peer.py --threads "$threads" --models "$small" --repeats "$repeats" --steps "$steps" "${small_infer[@]}" --out "$out/keras.json" | cut -c1-160
    [ -n "$big" ] && KERAS_TORCH=1 "${blas[@]}" "$keras" peers/keras_peer.py --threads "$threads" --models "$big" --repeats "$repeats" --steps "$big_steps" --warmup "$big_warmup" "${big_infer[@]}" --out "$out/keras-big.json" | cut -c1-160
  fi
fi

# the machine's fp32 FMA peak for the FLOP table (AVX2 build; the zmm rows appear on AVX-512 machines)
if command -v gcc > /dev/null; then
  flags="-mavx2 -mfma"; grep -q avx512f /proc/cpuinfo && flags="-mavx512f -mfma"
  [ -x peers/limits/peak_flops ] || gcc -O2 $flags -fopenmp peers/limits/peak_flops.c -o peers/limits/peak_flops
  peers/limits/peak_flops > "$out/peak.jsonl"
fi

/usr/bin/python3 compare.py "$out" | tee "$out/table.md"
