#!/usr/bin/env bash
# The load test of `sequor serve` (docs/performance.md, "Serving"): the chapter's LSTM (the `lstm` preset, trained
# for one epoch: the weights do not change the speed) served on loopback, 5,000 predict requests of one 100-id review
# each at 1, 8 and 64 concurrent clients, against a server that batches without waiting, one that waits 2 ms for a
# batch to fill, and one that does not batch (--max-batch-size 1).
# Client and server share this machine's cores. Prints Markdown tables and keeps them in bench/serve/results/.
# Usage: bench/serve/run.sh [requests]
set -euo pipefail
cd "$(dirname "$0")/../.."
requests=${1:-5000}
work=$(mktemp -d)
server=""
cleanup() { if [[ -n "$server" ]]; then kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi; rm -rf "$work"; }
trap cleanup EXIT

dotnet build src/Sequor.Cli -c Release -v q -nologo >/dev/null
# exec: in the background the server is then the process $! names, so kill -TERM reaches it
sequor() { exec dotnet src/Sequor.Cli/bin/Release/net10.0/Sequor.Cli.dll "$@"; }
(sequor train --model lstm --epochs 1 --checkpoint "$work/lstm.keras" >/dev/null 2>"$work/train.log")

serve_and_load() { # label, extra serve options...
  local label=$1; shift
  (sequor serve "$work/lstm.keras" --port 8517 "$@" 2>"$work/serve.log") &
  server=$!
  for _ in $(seq 100); do curl -sf http://127.0.0.1:8517/healthz >/dev/null && break; sleep 0.2; done
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  dotnet run bench/serve/loadtest.cs -- --url http://127.0.0.1:8517 --model lstm --requests "$requests" --label "$label" "${clients[@]}"
  kill -TERM "$server"; wait "$server" || true; server=""
}

mkdir -p bench/serve/results
out="bench/serve/results/$(date -u +%Y%m%d-%H%M%S).md"
{
  echo "# sequor serve load test, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $requests requests per row"
  echo; echo "load average before: $(cut -d" " -f1-3 /proc/loadavg)"
  echo
  clients=(--clients 1,8,64)
  serve_and_load "batches, no wait (--batch-timeout-ms 0)" --batch-timeout-ms 0
  echo
  serve_and_load "batches, 2 ms wait (--batch-timeout-ms 2)" --batch-timeout-ms 2
  echo
  serve_and_load "no batching (--max-batch-size 1)" --max-batch-size 1
} | tee "$out"
