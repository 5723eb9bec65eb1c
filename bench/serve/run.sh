#!/usr/bin/env bash
# The load test of `sequor serve` (docs/performance.md, "Serving"): the chapter's LSTM (the `lstm` preset, trained
# for one epoch: the weights do not change the speed) served on loopback by three servers at once: one that batches
# what queued while the previous batch ran (the default), one that waits 2 ms for a batch to fill, one that does not
# batch (--max-batch-size 1); beside them ONNX Runtime serves the same model exported to ONNX (bench/serve/ortserve.cs:
# the same REST shape, no batching, one intra-op thread). Before timing, loadtest checks that all four answer the
# same predictions within 1e-5. Each takes [requests] predict requests of one 100-id review at 1, 8 and 64
# concurrent clients, in [rounds] interleaved rounds. Client and servers share this machine's cores.
# Prints a Markdown table and keeps it in bench/serve/results/.
# Usage: bench/serve/run.sh [requests] [rounds]
set -euo pipefail
cd "$(dirname "$0")/../.."
requests=${1:-5000}
rounds=${2:-3}
work=$(mktemp -d)
servers=()
cleanup() {
  for pid in "${servers[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${servers[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

dotnet build src/Sequor.Cli -c Release -v q -nologo >/dev/null
dotnet build bench/serve/ortserve.cs -c Release -v q -nologo -o "$work/ortserve" >/dev/null
# exec: in the background the server is then the process $! names, so kill -TERM reaches it
sequor() { exec dotnet src/Sequor.Cli/bin/Release/net10.0/Sequor.Cli.dll "$@"; }
(sequor train --model lstm --epochs 1 --checkpoint "$work/lstm.keras" >/dev/null 2>"$work/train.log")
(sequor export "$work/lstm.keras" --format onnx --output "$work/lstm.onnx" >/dev/null)

targets=()
start() { # port, label, serve options...
  local port=$1 label=$2; shift 2
  (sequor serve "$work/lstm.keras" --port "$port" "$@" 2>"$work/serve-$port.log") &
  servers+=($!)
  targets+=(--target "$label=http://127.0.0.1:$port")
}
start 8517 "batches what queued (default)"
start 8518 "batches, 2 ms wait (--batch-timeout-ms 2)" --batch-timeout-ms 2
start 8519 "no batching (--max-batch-size 1)" --max-batch-size 1
(exec dotnet "$work/ortserve/ortserve.dll" "$work/lstm.onnx" --port 8520 --name lstm 2>"$work/serve-8520.log") &
servers+=($!)
targets+=(--target "ONNX Runtime 1.32.0 (no batching)=http://127.0.0.1:8520")
for port in 8517 8518 8519 8520; do
  for _ in $(seq 150); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || { cat "$work/serve-$port.log" >&2; exit 1; }
done

mkdir -p bench/serve/results
out="bench/serve/results/$(date -u +%Y%m%d-%H%M%S).md"
{
  echo "# sequor serve load test, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before"
  echo
  dotnet run -c Release bench/serve/loadtest.cs -- --model lstm --requests "$requests" --rounds "$rounds" --clients 1,8,64 "${targets[@]}"
} | tee "$out"
