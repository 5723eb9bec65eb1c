#!/usr/bin/env bash
# Runs Sequor's benchmark and the two peers (PyTorch, TorchSharp) one after the other with the same thread
# count on the same data, then prints the table of ratios (bench/compare.py).
#   bench/run.sh [threads] [models]      e.g. bench/run.sh 1      bench/run.sh 2 lstm,gru
# Env: SKIP_TORCHSHARP=1, SKIP_PYTORCH=1, REPEATS=5, STEPS=100 (peer steps per timed block).
# PyTorch runs on OpenBLAS when bench/peers/openblas/ holds it (Debian's python3-torch otherwise links the
# reference netlib BLAS, ~1.5x slower; the README says to quote the faster configuration). To fetch it:
#   (cd /tmp && apt-get download libopenblas0-pthread && dpkg-deb -x libopenblas0-pthread_*.deb ob) &&
#   cp /tmp/ob/usr/lib/x86_64-linux-gnu/openblas-pthread/* bench/peers/openblas/
set -euo pipefail
cd "$(dirname "$0")"
threads=${1:-1}
models=${2:-simplernn-onehot,embedding-simplernn,lstm,lstm-dropout,lstm-2layer,gru,lstm128}
repeats=${REPEATS:-5}
steps=${STEPS:-100}
out=results/$(date +%Y%m%d-%H%M%S)-t$threads
mkdir -p "$out"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 OMP_NUM_THREADS=$threads MKL_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads

[ -f peers/data/synth_v10000_t200.bin ] || /usr/bin/python3 peers/make_data.py
dotnet build Sequor.Bench/Sequor.Bench.csproj -c Release -v q -nologo | grep -E " error|rror\(s\)" || true

# The large model runs fewer timed steps in the peers (one step is ~100x the chapter models').
small=$(echo "$models" | tr ',' '\n' | grep -v '^lstm128$' | paste -sd, || true)
big=$(echo "$models" | tr ',' '\n' | grep '^lstm128$' || true)

echo "== Sequor, $threads thread(s)"
dotnet Sequor.Bench/bin/Release/net10.0/Sequor.Bench.dll --threads "$threads" --models "$models" --repeats "$repeats" --out "$out/sequor.json"

# Both cores against one on the chapter LSTM, epochs alternating (the issue's 2-core target; on the 2-thread run)
if [ "$threads" = 2 ] && echo ",$models," | grep -q ",lstm,"; then
  dotnet Sequor.Bench/bin/Release/net10.0/Sequor.Bench.dll --scaling lstm --out "$out/scaling.json"
fi

if [ -z "${SKIP_PYTORCH:-}" ]; then
  echo "== PyTorch, $threads thread(s)"
  blas=()
  [ -f peers/openblas/libblas.so.3 ] && blas=(env LD_LIBRARY_PATH="$PWD/peers/openblas")
  [ -n "$small" ] && "${blas[@]}" /usr/bin/python3 peers/torch_peer.py --threads "$threads" --models "$small" --repeats "$repeats" --steps "$steps" --full-epochs 0 --out "$out/pytorch.json" | cut -c1-160
  [ -n "$big" ] && "${blas[@]}" /usr/bin/python3 peers/torch_peer.py --threads "$threads" --models lstm128 --repeats "$repeats" --steps 5 --warmup 2 --full-epochs 0 --infer-n 2560 --out "$out/pytorch-big.json" | cut -c1-160
fi

if [ -z "${SKIP_TORCHSHARP:-}" ]; then
  echo "== TorchSharp, $threads thread(s)"
  dotnet build peers/torchsharp/TorchSharpPeer.csproj -c Release -v q -nologo | grep -E " error|rror\(s\)" || true
  ts=peers/torchsharp/bin/Release/net10.0
  [ -n "$small" ] && LD_PRELOAD="$PWD/$ts/libglibcxx_shim.so" dotnet $ts/TorchSharpPeer.dll --threads "$threads" --data "$PWD/peers/data" --models "$small" --repeats "$repeats" --steps "$steps" --full-epochs 0 --out "$out/torchsharp.json" | cut -c1-160
  [ -n "$big" ] && LD_PRELOAD="$PWD/$ts/libglibcxx_shim.so" dotnet $ts/TorchSharpPeer.dll --threads "$threads" --data "$PWD/peers/data" --models lstm128 --repeats "$repeats" --steps 5 --warmup 2 --full-epochs 0 --infer-n 2560 --out "$out/torchsharp-big.json" | cut -c1-160
fi

# the machine's fp32 FMA peak for the FLOP table (AVX2 build; the zmm rows appear on AVX-512 machines)
if command -v gcc > /dev/null; then
  flags="-mavx2 -mfma"; grep -q avx512f /proc/cpuinfo && flags="-mavx512f -mfma"
  [ -x peers/limits/peak_flops ] || gcc -O2 $flags -fopenmp peers/limits/peak_flops.c -o peers/limits/peak_flops
  peers/limits/peak_flops > "$out/peak.jsonl"
fi

/usr/bin/python3 compare.py "$out" | tee "$out/table.md"
