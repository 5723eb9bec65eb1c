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
paths = sorted(glob.glob(os.path.join(run, "*.json")), key=lambda p: (os.path.basename(p) != "sequor.json", p))
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


print(f"machine: {machine.get('cpu', '?')}, threads {machine.get('threads_used', '?')}, {machine.get('simd', '?')}")
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
