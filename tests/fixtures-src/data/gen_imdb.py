#!/usr/bin/python3
"""Fixture for Imdb.LoadData: a small synthetic imdb.npz and what Keras's load_data makes of it.

Keras is not installed here, so load_keras_style() follows the steps of keras.datasets.imdb.load_data
(Keras 3 / Keras 2, same logic; see keras/src/datasets/imdb.py, https://github.com/keras-team/keras/blob/v3.6.0/keras/src/datasets/imdb.py) with numpy's own RandomState.
Run with /usr/bin/python3 (numpy 1.24). Writes Fixtures/Data/imdb/synthetic_imdb.npz and expected.json.
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "Sequor.Tests", "Fixtures", "Data", "imdb"))


def load_keras_style(x_train, y_train, x_test, y_test, num_words=None, skip_top=0, maxlen=None, seed=113,
                     start_char=1, oov_char=2, index_from=3):
    rng = np.random.RandomState(seed)
    order = np.arange(len(x_train))
    rng.shuffle(order)
    x_train, y_train = x_train[order], y_train[order]
    order = np.arange(len(x_test))
    rng.shuffle(order)
    x_test, y_test = x_test[order], y_test[order]

    def shift(xs):
        if start_char is not None:
            return [[start_char] + [w + index_from for w in x] for x in xs]
        if index_from:
            return [[w + index_from for w in x] for x in xs]
        return [list(x) for x in xs]

    x_train, x_test = shift(x_train), shift(x_test)
    if maxlen:
        keep = [i for i, x in enumerate(x_train) if len(x) < maxlen]
        x_train, y_train = [x_train[i] for i in keep], y_train[keep]
        keep = [i for i, x in enumerate(x_test) if len(x) < maxlen]
        x_test, y_test = [x_test[i] for i in keep], y_test[keep]
    xs = x_train + x_test
    if not num_words:
        num_words = max(max(x) for x in xs)
    if oov_char is not None:
        xs = [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    else:
        xs = [[w for w in x if skip_top <= w < num_words] for x in xs]
    n = len(x_train)
    return xs[:n], [int(v) for v in y_train], xs[n:], [int(v) for v in y_test]


def obj(items):
    a = np.empty(len(items), dtype=object)
    for i, it in enumerate(items):
        a[i] = it
    return a


def main():
    os.makedirs(OUT, exist_ok=True)
    gen = np.random.RandomState(2024)

    def reviews(n):
        return [list(map(int, gen.randint(1, 60, size=gen.randint(1, 30)))) for _ in range(n)]

    train, test = reviews(40), reviews(25)
    y_train = gen.randint(0, 2, size=40).astype(np.int64)
    y_test = gen.randint(0, 2, size=25).astype(np.int64)
    np.savez(os.path.join(OUT, "synthetic_imdb.npz"), x_train=obj(train), y_train=y_train,
             x_test=obj(test), y_test=y_test)

    params = [
        {},
        {"num_words": 30},
        {"num_words": 30, "skip_top": 5},
        {"maxlen": 15},
        {"maxlen": 20, "num_words": 40, "seed": 7},
        {"oov_char": None, "num_words": 25},
        {"start_char": None, "index_from": 0},
        {"start_char": None, "index_from": 2, "skip_top": 3, "num_words": 50, "seed": 0},
    ]
    cases = []
    for p in params:
        xtr, ytr, xte, yte = load_keras_style(obj(train), y_train, obj(test), y_test, **p)
        cases.append({"params": p, "x_train": xtr, "y_train": ytr, "x_test": xte, "y_test": yte})
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump({"input": {"x_train": train, "y_train": [int(v) for v in y_train], "x_test": test,
                             "y_test": [int(v) for v in y_test]}, "cases": cases}, f)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
