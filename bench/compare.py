"""Prints the tables of one bench/run.sh run: Sequor against its peers.

Usage: /usr/bin/python3 bench/compare.py bench/results/<run>
Training is seconds per epoch (peers: ms/step x 313, as their harness extrapolates; Sequor's large models too),
against PyTorch, TorchSharp and Keras 3 on torch; inference is sequences per second in batches of 512 (25,000
sequences; 2,560 for the large models), against those and ONNX Runtime on the models exported from Sequor.
"x" = the faster peer's time over Sequor's (training) or Sequor's rate over the faster peer's (inference), the
faster peer named beside it. Then the arithmetic against the machine's peak, the 2-thread scaling and the
one-sequence latency (Sequor's Predict against ONNX Runtime) when the run has them.
"""
import glob
import json
import os
import sys

run = sys.argv[1]
rows = {}
order = []
machine = {}
# per-run extras, printed after the main tables
EXTRAS = {"scaling.json", "latency.json"}  # and scaling-<model>.json
# Sequor's file first, so the table follows its model order
paths = sorted((p for p in glob.glob(os.path.join(run, "*.json"))
                if os.path.basename(p) not in EXTRAS and not os.path.basename(p).startswith("scaling-")),
               key=lambda p: (os.path.basename(p) != "sequor.json", p))
for path in paths:
    with open(path) as f:
        doc = json.load(f)
    peer = doc.get("peer", "sequor")
    if peer == "sequor":
        machine = doc.get("machine", machine)
    for r in doc["results"]:
        m = r["model"]
        if m not in rows:
            rows[m] = {}
            order.append(m)
        train = r.get("train_s_per_epoch" if peer == "sequor" else "train_s_per_epoch_extrapolated")
        rows[m][peer] = {"train": train, "infer": r.get("infer_seq_per_s"), "alloc": r.get("train_alloc_bytes_per_step")}

NAMES = {"sequor": "Sequor", "pytorch": "PyTorch", "torchsharp": "TorchSharp", "keras": "Keras (torch)",
         "onnxruntime": "ONNX Runtime"}
TRAIN_PEERS = ["pytorch", "torchsharp", "keras"]
INFER_PEERS = ["pytorch", "torchsharp", "keras", "onnxruntime"]


def fmt(v, digits):
    return "-" if v is None else f"{v:.{digits}f}"


def value(m, peer, key):
    return rows[m].get(peer, {}).get(key)


def faster(m, key, peers, better):
    """(peer, value) of the best peer of a column, or (None, None)"""
    found = [(p, value(m, p, key)) for p in peers if value(m, p, key)]
    return better(found, key=lambda pv: pv[1]) if found else (None, None)


print(f"machine: {machine.get('cpu', '?')}, threads {machine.get('threads_used', '?')}, {machine.get('simd', '?')} host"
      + (f", {machine['kernels']} kernels" if 'kernels' in machine else '')
      + (f" ({machine['lstm_step_simd_bits']}-bit LSTM step)" if 'lstm_step_simd_bits' in machine and 'kernels' not in machine else ''))
print()
print("Training, seconds per epoch (B/step: Sequor's managed bytes allocated per training step)")
print()
print("| model | Sequor s/epoch | " + " | ".join(f"{NAMES[p]} s/epoch" for p in TRAIN_PEERS)
      + " | speed-up vs faster peer | Sequor B/step |")
print("|---|---|" + "---|" * len(TRAIN_PEERS) + "---|---|")
for m in order:
    s = value(m, "sequor", "train")
    best, t = faster(m, "train", TRAIN_PEERS, min)
    x = f"{t / s:.1f}x ({NAMES[best]})" if s and t else "-"
    print(f"| {m} | {fmt(s, 3)} | " + " | ".join(fmt(value(m, p, "train"), 3) for p in TRAIN_PEERS)
          + f" | {x} | {fmt(value(m, 'sequor', 'alloc'), 0)} |")
print()
print("Inference, sequences per second (batch 512)")
print()
print("| model | Sequor seq/s | " + " | ".join(f"{NAMES[p]} seq/s" for p in INFER_PEERS) + " | speed-up vs faster peer |")
print("|---|---|" + "---|" * len(INFER_PEERS) + "---|")
for m in order:
    s = value(m, "sequor", "infer")
    best, t = faster(m, "infer", INFER_PEERS, max)
    x = f"{s / t:.1f}x ({NAMES[best]})" if s and t else "-"
    print(f"| {m} | {fmt(s, 0)} | " + " | ".join(fmt(value(m, p, "infer"), 0) for p in INFER_PEERS) + f" | {x} |")


# Arithmetic per model, set against the machine's measured peak (limits/peak_flops, written to <run>/peak.jsonl
# by run.sh): forward MACs per sequence-timestep G·H·(I + H) per recurrent layer and direction (bench/peers/limits.md);
# training = 6 × MACs × T × 20,000 (forward, ∂X, ∂W; simplernn-onehot 4× for its one-hot input part, as limits.md
# refines); inference 2 × MACs × T.
MACS = {
    "simplernn-onehot": (2464, 100), "embedding-simplernn": (192, 100), "lstm": (768, 100), "lstm-dropout": (768, 100),
    "lstm-2layer": (1280, 100), "gru": (576, 100),
    "lstm128": (4 * 128 * (128 + 128), 200),                              # 131,072
    "gru128": (3 * 128 * (128 + 128), 200),                               # 98,304
    "bilstm64": (2 * 4 * 64 * (128 + 64) + 2 * 4 * 64 * (128 + 64), 200),  # 196,608: two directions, two layers
    "lstm2x64": (4 * 64 * (128 + 64) + 4 * 64 * (64 + 64), 200),          # 81,920
}
# The machine's peak is its widest FMA (zmm on AVX-512 hosts); Sequor's kernels are 256-bit, so their own ceiling,
# the ymm row, is printed beside it.
peak = None
peak256 = None
peak_path = os.path.join(run, "peak.jsonl")
threads_used = machine.get("threads_used")
if os.path.exists(peak_path):
    with open(peak_path) as f:
        for line in f:
            row = json.loads(line)
            if row.get("threads") == threads_used:
                peak = max(peak or 0.0, row["gflops"])
                if row.get("vector_bits") == 256:
                    peak256 = row["gflops"]
print()
print(f"arithmetic: measured fp32 peak {peak if peak else '?'} GFLOP/s on {threads_used} thread(s)"
      + (f" (256-bit FMA only: {peak256} GFLOP/s)" if peak256 and peak256 != peak else ""))
print()
print("| model | training GFLOP/epoch | Sequor GFLOP/s | % of peak | FLOP limit s/epoch | inference GFLOP/25k seq | Sequor GFLOP/s | % of peak |")
print("|---|---|---|---|---|---|---|---|")
for m in order:
    if m not in MACS or "sequor" not in rows[m]:
        continue
    macs, steps = MACS[m]
    train = 19.968e9 if m == "simplernn-onehot" else 6.0 * macs * steps * 20000
    infer = 2.0 * macs * steps * 25000
    s_train, s_inf = rows[m]["sequor"]["train"], rows[m]["sequor"]["infer"]
    g_train = train / s_train / 1e9
    g_inf = infer * s_inf / 25000 / 1e9
    pct = (lambda g: f"{100 * g / peak:.0f} %" if peak else "-")
    limit = f"{train / 1e9 / peak:.3f}" if peak else "-"
    print(f"| {m} | {train / 1e9:.2f} | {g_train:.1f} | {pct(g_train)} | {limit} | {infer / 1e9:.2f} | {g_inf:.1f} | {pct(g_inf)} |")

# Both cores against one (run.sh --scaling on 2-thread runs): the median ratio of adjacent one- and two-thread epochs.
# scaling.json: the chapter LSTM; scaling-<model>.json: the large models (20-step blocks instead of epochs).
scaling_paths = sorted(p for p in os.listdir(run) if p == "scaling.json" or (p.startswith("scaling-") and p.endswith(".json")))
if scaling_paths:
    print()
for name in scaling_paths:
    with open(os.path.join(run, name)) as f:
        sc = json.load(f)
    ones, twos = sc["one_thread_s_per_epoch"], sc["two_threads_s_per_epoch"]
    pairs = sorted(a / b for a, b in zip(ones, twos))
    print(f"scaling ({sc['model']}, {len(pairs)} alternating pairs): 2 threads = {sc['speedup_median_of_pairs']:.2f}x one thread "
          f"(pairs {pairs[0]:.2f}-{pairs[-1]:.2f}; one thread median {sorted(ones)[len(ones) // 2]:.3f} s, two {sorted(twos)[len(twos) // 2]:.3f} s)")

# One sequence per call (a serving request), Sequor's Predict against ONNX Runtime on the same model (Sequor.Bench --latency).
latency_path = os.path.join(run, "latency.json")
if os.path.exists(latency_path):
    with open(latency_path) as f:
        lat = json.load(f)
    print()
    print(f"latency, one sequence per call (batch 1), ONNX Runtime {lat.get('onnxruntime_version', '?')} "
          f"({lat.get('intra_op_threads', '?')} intra-op thread(s)); a model of each length with the built model's weights")
    print()
    print("| model | T | calls | Sequor p50 µs | Sequor p99 µs | ONNX Runtime p50 µs | ONNX Runtime p99 µs | ORT / Sequor p50 | ORT / Sequor p99 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in lat["results"]:
        print(f"| {r['model']} | {r['length']} | {r['calls']} | {r['sequor_p50_us']:.0f} | {r['sequor_p99_us']:.0f} "
              f"| {r['ort_p50_us']:.0f} | {r['ort_p99_us']:.0f} | {r['ort_over_sequor_p50']:.2f}x | {r['ort_over_sequor_p99']:.2f}x |")
