"""Synthetic IMDB-shaped data shared by all peers.

25000 sequences x 100 token ids (int32), 0 = padding on the LEFT (Keras
pad_sequences default), token ids in [1, vocab) drawn from a Zipf-like law
p(k) ~ 1/k^1.1, lengths = 100 - floor(Exp(scale=22)) clipped to [10, 100]
(mean ~ 80), labels random 0/1.  The first 20000 rows are the training set,
the last 5000 the validation set; inference benchmarks use all 25000.

File format (little endian): int32 n, int32 seq_len, int32 vocab, then
n*seq_len int32 tokens (row major), then n int32 labels.

Usage: /usr/bin/python3 make_data.py   -> writes data/synth_v300.bin, data/synth_v500.bin,
       data/synth_v10000_t200.bin (sequences of 200, for lstm128, gru128 and lstm2x64) and
       data/synth_v20000_t200.bin (sequences of 200, vocabulary 20,000, for bilstm64: Keras's IMDB
       bidirectional example)
"""
import os
import sys

import numpy as np

N_TOTAL = 25000
N_TRAIN = 20000
SEQ_LEN = 100
HERE = os.path.dirname(os.path.abspath(__file__))
DATA_DIR = os.path.join(HERE, "data")


def make(vocab, n=N_TOTAL, seq_len=SEQ_LEN, seed=12345):
    rng = np.random.default_rng(seed + vocab)
    ranks = np.arange(1, vocab, dtype=np.float64)
    p = 1.0 / ranks ** 1.1
    p /= p.sum()
    tokens = rng.choice(np.arange(1, vocab), size=(n, seq_len), p=p).astype(np.int32)
    lengths = seq_len - np.floor(rng.exponential(22.0, size=n)).astype(np.int64)
    lengths = np.clip(lengths, 10, seq_len)
    col = np.arange(seq_len)[None, :]
    pad = col < (seq_len - lengths)[:, None]  # left padding
    tokens[pad] = 0
    labels = rng.integers(0, 2, size=n).astype(np.int32)
    return tokens, labels, lengths


def path_for(vocab, seq_len=SEQ_LEN):
    if seq_len != SEQ_LEN:
        return os.path.join(DATA_DIR, f"synth_v{vocab}_t{seq_len}.bin")
    return os.path.join(DATA_DIR, f"synth_v{vocab}.bin")


def write(vocab, seq_len=SEQ_LEN):
    tokens, labels, lengths = make(vocab, seq_len=seq_len)
    os.makedirs(DATA_DIR, exist_ok=True)
    with open(path_for(vocab, seq_len), "wb") as f:
        np.array([tokens.shape[0], tokens.shape[1], vocab], dtype="<i4").tofile(f)
        tokens.astype("<i4").tofile(f)
        labels.astype("<i4").tofile(f)
    return tokens, labels, lengths


def load(vocab, seq_len=SEQ_LEN):
    p = path_for(vocab, seq_len)
    if not os.path.exists(p):
        write(vocab, seq_len)
    with open(p, "rb") as f:
        n, t, v = np.fromfile(f, dtype="<i4", count=3)
        tokens = np.fromfile(f, dtype="<i4", count=n * t).reshape(n, t)
        labels = np.fromfile(f, dtype="<i4", count=n)
    assert v == vocab
    return tokens, labels


if __name__ == "__main__":
    # (10000, 200): lstm128, gru128, lstm2x64; (20000, 200): bilstm64
    for v, t in ((300, SEQ_LEN), (500, SEQ_LEN), (10000, 200), (20000, 200)):
        tok, lab, ln = write(v, t)
        print(f"vocab {v}: {path_for(v, t)} tokens {tok.shape} mean length {ln.mean():.1f} "
              f"(min {ln.min()}, max {ln.max()}, full-length {np.mean(ln == SEQ_LEN):.2f}) "
              f"label mean {lab.mean():.3f} distinct tokens {len(np.unique(tok))}")
    sys.exit(0)
