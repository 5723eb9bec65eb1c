"""Prints the side-by-side table of one bench/run.sh run: Sequor vs PyTorch vs TorchSharp.

Usage: /usr/bin/python3 bench/compare.py bench/results/<run>
Training is seconds per epoch (peers: ms/step x 313, as their harness extrapolates); inference is
sequences per second over 25,000 sequences in batches of 512. "x" = faster peer / Sequor.
"""
import glob
import json
import os
import sys

run = sys.argv[1]
rows = {}
order = []
machine = {}
# Sequor's file first, so the table follows its model order
paths = sorted((p for p in glob.glob(os.path.join(run, "*.json")) if os.path.basename(p) != "scaling.json"),
               key=lambda p: (os.path.basename(p) != "sequor.json", p))
for path in paths:
    with open(path) as f:
        doc = json.load(f)
    peer = doc.get("peer", "sequor")
    machine = doc.get("machine", machine)
    for r in doc["results"]:
        m = r["model"]
        if m not in rows:
            rows[m] = {}
            order.append(m)
        if peer == "sequor":
            rows[m]["sequor"] = (r["train_s_per_epoch"], r["infer_seq_per_s"])
        else:
            rows[m][peer] = (r["train_s_per_epoch_extrapolated"], r["infer_seq_per_s"])


def fmt(v, digits):
    return "-" if v is None else f"{v:.{digits}f}"


print(f"machine: {machine.get('cpu', '?')}, threads {machine.get('threads_used', '?')}, {machine.get('simd', '?')} host"
      + (f", {machine['kernel_simd_bits']}-bit kernels" if 'kernel_simd_bits' in machine else '')
      + (f" ({machine['lstm_step_simd_bits']}-bit LSTM step)" if 'lstm_step_simd_bits' in machine else ''))
print()
print("| model | Sequor s/epoch | PyTorch s/epoch | TorchSharp s/epoch | training speed-up vs faster peer "
      "| Sequor seq/s | PyTorch seq/s | TorchSharp seq/s | inference speed-up vs faster peer |")
print("|---|---|---|---|---|---|---|---|---|")
for m in order:
    r = rows[m]
    s = r.get("sequor", (None, None))
    p = r.get("pytorch", (None, None))
    t = r.get("torchsharp", (None, None))
    peers_train = [v[0] for v in (p, t) if v[0]]
    peers_inf = [v[1] for v in (p, t) if v[1]]
    train_x = min(peers_train) / s[0] if s[0] and peers_train else None
    inf_x = s[1] / max(peers_inf) if s[1] and peers_inf else None
    print(f"| {m} | {fmt(s[0], 3)} | {fmt(p[0], 3)} | {fmt(t[0], 3)} | {fmt(train_x, 1)}x "
          f"| {fmt(s[1], 0)} | {fmt(p[1], 0)} | {fmt(t[1], 0)} | {fmt(inf_x, 1)}x |")


# Arithmetic per model, set against the machine's measured peak (limits/peak_flops, written to <run>/peak.jsonl
# by run.sh): forward MACs per sequence-timestep G·H·(I + H) per recurrent layer; training = 6 × MACs × T × 20,000
# (forward, ∂X, ∂W; simplernn-onehot 4× for its one-hot input part, as limits.md refines); inference 2 × MACs × T.
MACS = {
    "simplernn-onehot": (2464, 100), "embedding-simplernn": (192, 100), "lstm": (768, 100), "lstm-dropout": (768, 100),
    "lstm-2layer": (1280, 100), "gru": (576, 100), "lstm128": (131072, 200),
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
    s_train, s_inf = rows[m]["sequor"]
    g_train = train / s_train / 1e9
    g_inf = infer * s_inf / 25000 / 1e9
    pct = (lambda g: f"{100 * g / peak:.0f} %" if peak else "-")
    limit = f"{train / 1e9 / peak:.3f}" if peak else "-"
    print(f"| {m} | {train / 1e9:.2f} | {g_train:.1f} | {pct(g_train)} | {limit} | {infer / 1e9:.2f} | {g_inf:.1f} | {pct(g_inf)} |")

# Both cores against one (run.sh --scaling on 2-thread runs): the median ratio of adjacent one- and two-thread epochs.
scaling_path = os.path.join(run, "scaling.json")
if os.path.exists(scaling_path):
    with open(scaling_path) as f:
        sc = json.load(f)
    ones, twos = sc["one_thread_s_per_epoch"], sc["two_threads_s_per_epoch"]
    pairs = sorted(a / b for a, b in zip(ones, twos))
    print()
    print(f"scaling ({sc['model']}, {len(pairs)} alternating epoch pairs): 2 threads = {sc['speedup_median_of_pairs']:.2f}x one thread "
          f"(pairs {pairs[0]:.2f}-{pairs[-1]:.2f}; one thread median {sorted(ones)[len(ones) // 2]:.3f} s, two {sorted(twos)[len(twos) // 2]:.3f} s)")
