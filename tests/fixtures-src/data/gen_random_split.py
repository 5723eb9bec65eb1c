#!/usr/bin/python3
"""Fixtures for NumpyRandom and Split: numpy legacy RandomState streams and sklearn 1.2 splits.

Run with Debian's /usr/bin/python3 (numpy 1.24, scikit-learn 1.2.1):  /usr/bin/python3 gen_random_split.py
Writes tests/Sequor.Tests/Fixtures/Data/random.json and split.json.
"""
import json
import os

import numpy as np
from sklearn.model_selection import train_test_split

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "Sequor.Tests", "Fixtures", "Data"))


def ints(a):
    return [int(v) for v in a]


def random_fixture():
    cases = []
    for seed in (0, 1, 42, 113, 12345, 2 ** 32 - 1):
        rs = np.random.RandomState(seed)
        raw = ints(rs.randint(0, 2 ** 32, size=5, dtype=np.uint64))
        rs = np.random.RandomState(seed)
        doubles = [repr(float(v)) for v in rs.random_sample(5)]
        rs = np.random.RandomState(seed)
        perm = {str(n): ints(rs.permutation(n)) for n in (1, 2, 3, 10, 1000)}
        rs = np.random.RandomState(seed)
        randint = ints(rs.randint(-5, 1000, size=20))
        big = ints(rs.randint(0, 2 ** 40, size=5))
        rs = np.random.RandomState(seed)
        choice = ints(rs.choice(np.arange(100, 150), size=7, replace=False))
        cases.append({"seed": seed, "uint32": raw, "doubles": doubles, "permutations": perm,
                      "randint_-5_1000": randint, "randint_0_2^40": big, "choice_100_150_7": choice})
    # The IMDB shuffles Keras makes: two successive shuffles of 25,000 from RandomState(113).
    rs = np.random.RandomState(113)
    a = np.arange(25000)
    rs.shuffle(a)
    b = np.arange(25000)
    rs.shuffle(b)
    imdb = {"train_first": ints(a[:10]), "test_first": ints(b[:10]),
            "train_sum_weighted": int((a * np.arange(25000) % 1000003).sum()),
            "test_sum_weighted": int((b * np.arange(25000) % 1000003).sum())}
    with open(os.path.join(OUT, "random.json"), "w") as f:
        json.dump({"cases": cases, "imdb": imdb}, f, indent=1)


def split_fixture():
    cases = []

    def add(n, test_size=None, train_size=None, random_state=None, shuffle=True, stratify=None):
        x = np.arange(n)
        args = dict(test_size=test_size, train_size=train_size, random_state=random_state, shuffle=shuffle)
        if stratify is not None:
            args["stratify"] = np.asarray(stratify)
        tr, te = train_test_split(x, **args)
        cases.append({"n": n, "test_size": test_size, "train_size": train_size,
                      "test_size_is_int": isinstance(test_size, int),
                      "train_size_is_int": isinstance(train_size, int),
                      "random_state": random_state, "shuffle": shuffle,
                      "stratify": None if stratify is None else ints(stratify),
                      "train": ints(tr), "test": ints(te)})

    add(25000, test_size=0.2, random_state=42)
    add(50000, test_size=0.2, random_state=42)
    add(10, random_state=42)
    add(10, test_size=0.2, random_state=0)
    add(7, test_size=0.3, random_state=1)
    add(1000, test_size=0.25, random_state=113)
    add(1000, test_size=123, random_state=5)
    add(1000, train_size=0.5, random_state=7)
    add(1000, train_size=300, test_size=200, random_state=9)
    add(1000, train_size=0.6, test_size=0.3, random_state=11)
    add(333, test_size=0.1, random_state=2 ** 31)
    add(20, test_size=0.25, shuffle=False)
    add(20, train_size=0.5, test_size=3, shuffle=False)
    rs = np.random.RandomState(3)
    y = rs.randint(0, 2, size=200)
    add(200, test_size=0.2, random_state=42, stratify=y)
    y3 = rs.randint(0, 3, size=101)
    add(101, test_size=0.3, random_state=0, stratify=y3)
    y5 = np.array([0] * 7 + [1] * 11 + [2] * 5 + [3] * 2 + [4] * 9)
    add(len(y5), test_size=0.33, random_state=8, stratify=y5)
    add(len(y5), test_size=10, train_size=15, random_state=21, stratify=y5)
    yb = rs.randint(0, 2, size=25000)
    add(25000, test_size=0.2, random_state=42, stratify=yb)
    with open(os.path.join(OUT, "split.json"), "w") as f:
        json.dump({"cases": cases}, f)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    random_fixture()
    split_fixture()
    print("wrote random.json and split.json to", OUT)
