"""PyTorch peer for the six reference Keras models (M1..M6) and the four larger ones of issue 17
(lstm128, gru128, bilstm64, lstm2x64; sequences of 200).

Run with Debian's Python (has torch 1.13):
    /usr/bin/python3 torch_peer.py --threads 1 --out results-torch-t1-run1.json
    /usr/bin/python3 torch_peer.py --threads 2 --out results-torch-t2-run1.json
then aggregate with:  /usr/bin/python3 aggregate.py
(run_torch.sh does all of this.)

What is measured, per model:
  * training: 5 warm-up steps, then `--repeats` blocks of `--steps` optimizer
    steps (batch 64, seq 100, RMSprop lr=1e-4, BCE on sigmoid output); each
    step draws its batch from a shuffled permutation of the 20000 training rows
    exactly as a fit() loop would.  ms/step = median block time / steps;
    s/epoch = ms/step * 313.
  * inference: model.eval(), torch.no_grad(), 25000 sequences in batches of
    512, `--repeats` passes after one warm-up batch; seq/s = 25000 / median.
  * for "lstm" (M3) also `--full-epochs` real epochs (313 steps incl. the
    final 32-row batch, reshuffled each epoch) to check the extrapolation, and
    the validation pass over 5000 rows that Keras fit(validation_data=...)
    would add.
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--steps", type=int, default=100, help="timed steps per block")
ap.add_argument("--warmup", type=int, default=5)
ap.add_argument("--repeats", type=int, default=3)
ap.add_argument("--full-epochs", type=int, default=3, help="real epochs timed for M3 (0 = skip)")
ap.add_argument("--models", default="all")
ap.add_argument("--out", default=None)
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--infer-n", type=int, default=25000, help="sequences in the inference pass (Sequor's bench: fewer for the large models)")
args = ap.parse_args()

# thread env before importing torch (OpenMP reads it at load time)
os.environ["OMP_NUM_THREADS"] = str(args.threads)
os.environ["MKL_NUM_THREADS"] = str(args.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_data  # noqa: E402
from peer_common import BATCH, INF_BATCH, N_ALL, N_TRAIN, N_VAL, STEPS_PER_EPOCH, cpu_snap, loaded_blas, noise, run_all  # noqa: E402

torch.set_num_threads(args.threads)
BLAS = loaded_blas()

SEQ = 100

MODELS = {
    # name: (vocab, sequence length)
    "simplernn-onehot": (300, SEQ),
    "embedding-simplernn": (300, SEQ),
    "lstm": (500, SEQ),
    "lstm-dropout": (500, SEQ),
    "lstm-2layer": (500, SEQ),
    "gru": (500, SEQ),
    # the sizes people train after the chapter (issue 17), sequences of 200: Embedding(10000,128) -> LSTM(128) /
    # GRU(128); Keras's IMDB bidirectional example (vocabulary 20,000); two stacked LSTM(64) with dropout 0.3
    "lstm128": (10000, 200),
    "gru128": (10000, 200),
    "bilstm64": (20000, 200),
    "lstm2x64": (10000, 200),
}


class Net(nn.Module):
    def __init__(self, name):
        super().__init__()
        self.name = name
        vocab, _ = MODELS[name]
        self.vocab = vocab
        self.emb = None
        self.drop1 = self.drop2 = None
        self.rnn2 = None
        units = 8
        if name == "simplernn-onehot":
            self.rnn = nn.RNN(vocab, 8, nonlinearity="tanh", batch_first=True)
        elif name == "embedding-simplernn":
            self.emb = nn.Embedding(vocab, 16)
            self.rnn = nn.RNN(16, 8, nonlinearity="tanh", batch_first=True)
        elif name == "lstm":
            self.emb = nn.Embedding(vocab, 16)
            self.rnn = nn.LSTM(16, 8, batch_first=True)
        elif name == "lstm-dropout":
            self.emb = nn.Embedding(vocab, 16)
            self.drop1 = nn.Dropout(0.3)
            self.rnn = nn.LSTM(16, 8, batch_first=True)
        elif name == "lstm-2layer":
            self.emb = nn.Embedding(vocab, 16)
            self.drop1 = nn.Dropout(0.3)
            self.rnn = nn.LSTM(16, 8, batch_first=True)  # return_sequences=True
            self.drop2 = nn.Dropout(0.3)
            self.rnn2 = nn.LSTM(8, 8, batch_first=True)
        elif name == "gru":
            self.emb = nn.Embedding(vocab, 16)
            self.rnn = nn.GRU(16, 8, batch_first=True)  # torch GRU == Keras reset_after=True
        elif name == "lstm128":
            self.emb = nn.Embedding(vocab, 128)
            self.rnn = nn.LSTM(128, 128, batch_first=True)
            units = 128
        elif name == "gru128":
            self.emb = nn.Embedding(vocab, 128)
            self.rnn = nn.GRU(128, 128, batch_first=True)  # torch GRU == Keras reset_after=True
            units = 128
        elif name == "bilstm64":
            # Bidirectional(LSTM(64, return_sequences=True)) -> Bidirectional(LSTM(64)): Keras concatenates the
            # two directions, so the second layer reads 128 features and the head the two final states
            self.emb = nn.Embedding(vocab, 128)
            self.rnn = nn.LSTM(128, 64, batch_first=True, bidirectional=True)
            self.rnn2 = nn.LSTM(128, 64, batch_first=True, bidirectional=True)
            units = 128
        elif name == "lstm2x64":
            # Keras's LSTM(dropout=0.3) drops the layer's input with one mask per sequence; a Dropout on the
            # LSTM's input (a mask per element) is the closest torch equivalent at the same cost
            self.emb = nn.Embedding(vocab, 128)
            self.drop1 = nn.Dropout(0.3)
            self.rnn = nn.LSTM(128, 64, batch_first=True)  # return_sequences=True
            self.drop2 = nn.Dropout(0.3)
            self.rnn2 = nn.LSTM(64, 64, batch_first=True)
            units = 64
        else:
            raise ValueError(name)
        self.fc = nn.Linear(units, 1)

    def forward(self, x):
        if self.emb is not None:
            x = self.emb(x)
        if self.drop1 is not None:
            x = self.drop1(x)
        rnn = self.rnn
        out, h = rnn(x)
        if self.rnn2 is not None:
            if self.drop2 is not None:
                out = self.drop2(out)
            rnn = self.rnn2
            out, h = rnn(out)
        if isinstance(h, tuple):
            h = h[0]
        # the last layer's final state; both directions' (forward, backward) concatenated for a bidirectional one
        last = torch.cat([h[-2], h[-1]], 1) if rnn.bidirectional else h[-1]
        return torch.sigmoid(self.fc(last)).squeeze(1)


def load_inputs(name):
    vocab, seq_len = MODELS[name]
    tokens, labels = make_data.load(vocab, seq_len)
    y = torch.from_numpy(labels.astype(np.float32))
    if name == "simplernn-onehot":
        # the notebook feeds to_categorical(x, 300) float arrays: build them up front
        t = torch.from_numpy(tokens.astype(np.int64))
        x = torch.zeros(N_ALL, SEQ, vocab, dtype=torch.float32)
        x.scatter_(2, t.unsqueeze(2), 1.0)
    else:
        x = torch.from_numpy(tokens.astype(np.int64))
    return x, y


def make_opt(model):
    # Keras RMSprop defaults: rho=0.9, epsilon=1e-7
    return torch.optim.RMSprop(model.parameters(), lr=1e-4, alpha=0.9, eps=1e-7)


def train_step(model, opt, xb, yb):
    opt.zero_grad(set_to_none=True)
    p = model(xb)
    loss = F.binary_cross_entropy(p, yb)
    loss.backward()
    opt.step()
    return loss


class BatchStream:
    """Shuffled mini-batches over the first 20000 rows, reshuffled per epoch."""

    def __init__(self, x, y, gen):
        self.x, self.y, self.gen = x, y, gen
        self.perm = None
        self.pos = N_TRAIN

    def next(self):
        if self.pos >= N_TRAIN:
            self.perm = torch.randperm(N_TRAIN, generator=self.gen)
            self.pos = 0
        idx = self.perm[self.pos:self.pos + BATCH]
        self.pos += BATCH
        return self.x[idx], self.y[idx]


def bench_model(name):
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed + 1)
    x, y = load_inputs(name)
    model = Net(name)
    nparams = sum(p.numel() for p in model.parameters())
    opt = make_opt(model)
    model.train()
    stream = BatchStream(x, y, gen)

    for _ in range(args.warmup):
        train_step(model, opt, *stream.next())

    blocks, block_noise = [], []
    for _ in range(args.repeats):
        c0 = cpu_snap()
        t0 = time.perf_counter()
        for _ in range(args.steps):
            loss = train_step(model, opt, *stream.next())
        blocks.append(time.perf_counter() - t0)
        block_noise.append(noise(c0, cpu_snap()))
    ms_step = [b / args.steps * 1e3 for b in blocks]
    ms_med = statistics.median(ms_step)

    res = {
        "peer": "pytorch",
        "torch_version": torch.__version__,
        "blas": BLAS,
        "model": name,
        "threads": args.threads,
        "params": nparams,
        "train_ms_per_step": round(ms_med, 3),
        "train_ms_per_step_samples": [round(v, 3) for v in ms_step],
        "train_s_per_epoch_extrapolated": round(ms_med * STEPS_PER_EPOCH / 1e3, 3),
        "train_noise_foreign_cores_steal_cores": block_noise,
        "steps_timed_per_block": args.steps,
        "last_loss": float(loss.item()),
    }

    if name == "lstm" and args.full_epochs > 0:
        ep_times, val_times, ep_noise = [], [], []
        for _ in range(args.full_epochs):
            model.train()
            perm = torch.randperm(N_TRAIN, generator=gen)
            c0 = cpu_snap()
            t0 = time.perf_counter()
            for s in range(STEPS_PER_EPOCH):
                idx = perm[s * BATCH:(s + 1) * BATCH]
                train_step(model, opt, x[idx], y[idx])
            ep_times.append(time.perf_counter() - t0)
            ep_noise.append(noise(c0, cpu_snap()))
            # Keras fit(validation_data=...) also evaluates 5000 rows (batch 64 by default? no:
            # Keras uses validation_batch_size = batch_size = 64)
            model.eval()
            t0 = time.perf_counter()
            with torch.no_grad():
                for s in range(0, N_VAL, BATCH):
                    xb = x[N_TRAIN + s:N_TRAIN + s + BATCH]
                    yb = y[N_TRAIN + s:N_TRAIN + s + BATCH]
                    F.binary_cross_entropy(model(xb), yb)
            val_times.append(time.perf_counter() - t0)
        res["full_epoch_s_samples"] = [round(v, 3) for v in ep_times]
        res["full_epoch_s"] = round(statistics.median(ep_times), 3)
        res["full_epoch_noise_foreign_cores_steal_cores"] = ep_noise
        res["val_pass_s_batch64_samples"] = [round(v, 3) for v in val_times]
        res["val_pass_s_batch64"] = round(statistics.median(val_times), 3)

    # inference
    model.eval()
    inf, inf_noise = [], []
    with torch.no_grad():
        model(x[:INF_BATCH])  # warm-up
        for _ in range(args.repeats):
            c0 = cpu_snap()
            t0 = time.perf_counter()
            acc = 0.0
            for s in range(0, args.infer_n, INF_BATCH):
                p = model(x[s:s + INF_BATCH])
                acc += float(p[0])
            inf.append(time.perf_counter() - t0)
            inf_noise.append(noise(c0, cpu_snap()))
    t_med = statistics.median(inf)
    res["infer_s_25000"] = round(t_med, 4)
    res["infer_s_25000_samples"] = [round(v, 4) for v in inf]
    res["infer_noise_foreign_cores_steal_cores"] = inf_noise
    res["infer_n"] = args.infer_n
    res["infer_seq_per_s"] = round(args.infer_n / t_med, 1)
    return res


def main():
    names = list(MODELS) if args.models == "all" else args.models.split(",")
    out = {
        "peer": "pytorch",
        "torch_version": torch.__version__,
        "python": platform.python_version(),
        "threads": args.threads,
        "torch_num_threads": torch.get_num_threads(),
        "blas": BLAS,
        "steps": args.steps,
        "warmup": args.warmup,
        "repeats": args.repeats,
        "results": [],
    }
    run_all(names, bench_model, out, args.out)


if __name__ == "__main__":
    main()
