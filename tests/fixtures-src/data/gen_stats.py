#!/usr/bin/python3
"""Fixture for LengthStatistics and Histogram: numpy's mean/median/percentile (linear) and histogram.

Run with /usr/bin/python3 (numpy 1.24). Writes Fixtures/Data/stats.json.
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "Sequor.Tests", "Fixtures", "Data", "stats.json"))

rs = np.random.RandomState(7)
datasets = [
    [int(v) for v in rs.randint(1, 2000, size=1000)],
    [int(v) for v in rs.randint(5, 9, size=37)],
    [5],
    [3, 3, 3, 3],
    [1, 2],
    [int(v) for v in (rs.lognormal(5, 0.7, size=5001)).astype(int)],
]
qs = [0, 1, 5, 10, 25, 33.3, 50, 66.7, 75, 90, 95, 99, 99.9, 100]
cases = []
for d in datasets:
    a = np.array(d)
    hists = {}
    for bins in (1, 3, 10, 50):
        counts, edges = np.histogram(a, bins=bins)
        hists[str(bins)] = {"counts": [int(c) for c in counts], "edges": [repr(float(e)) for e in edges]}
    cases.append({"values": d, "mean": repr(float(np.mean(a))), "median": repr(float(np.median(a))),
                  "percentiles": {repr(q): repr(float(np.percentile(a, q))) for q in qs}, "histograms": hists})
with open(OUT, "w") as f:
    json.dump({"cases": cases}, f)
print("wrote", OUT)
