"""Writes train.csv / test.csv (columns text,label) from Pang & Lee's sentence polarity dataset v1.0 ("MR").

Input: a folder holding rt-polarity.pos and rt-polarity.neg (5,331 sentences each, one per line; e.g. the copies in
github.com/yoonkim/CNN_sentence). The data is for research use: keep it and the CSVs outside this repository.

Split: the chapter's train_test_split(test_size=0.2, random_state=42) on the 10,662 rows in file order (all positive
sentences, then all negative), done as scikit-learn does it: permutation = RandomState(42).permutation(n); the first
ceil(0.2 n) = 2,133 rows are the test part, the next 8,529 the training part, each in permutation order.
Labels: 1 positive, 0 negative. Text as in the files (already lower-cased and tokenized by the dataset's authors).
Usage: /usr/bin/python3 make_mr_csv.py DATA_DIR [OUT_DIR]   (OUT_DIR defaults to DATA_DIR)
"""
import csv, math, os, sys
import numpy as np

src = sys.argv[1]
out = sys.argv[2] if len(sys.argv) > 2 else src
rows = []
for name, label in (("rt-polarity.pos", 1), ("rt-polarity.neg", 0)):
    with open(os.path.join(src, name), encoding="utf-8", newline="") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) != 5331:
        sys.exit(f"{name}: expected 5331 sentences, found {len(lines)}")
    rows += [(line.strip(), label) for line in lines]

n = len(rows)
n_test = math.ceil(0.2 * n)
permutation = np.random.RandomState(42).permutation(n)
parts = {"test": permutation[:n_test], "train": permutation[n_test:]}
os.makedirs(out, exist_ok=True)
for part, index in parts.items():
    with open(os.path.join(out, part + ".csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["text", "label"])
        for i in index:
            w.writerow(rows[i])
    positives = sum(rows[i][1] for i in index)
    print(f"{part}.csv: {len(index)} rows ({positives} positive, {len(index) - positives} negative)")
