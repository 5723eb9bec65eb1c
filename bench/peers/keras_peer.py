"""Keras 3 on torch as a training peer: the program a Keras user would actually run for the benchmark's models.

Run with the repository's real Keras (Keras 3.6.0 on Debian's torch 1.13; from the repository's root):
    KERAS_TORCH=1 ../shared/tools/keras/keras-python bench/peers/keras_peer.py --threads 1 --models lstm,gru128 --out keras.json
(bench/run.sh runs it; SKIP_KERAS=1 skips it.)

The same models, data, batch and optimizer as torch_peer.py and Sequor's bench, written as a Keras user writes them:
Sequential([Input, Embedding, LSTM/GRU/SimpleRNN/Bidirectional, Dense(1, sigmoid)]), RMSprop(1e-4) (Keras's defaults
rho 0.9, epsilon 1e-7), binary cross-entropy. Keras's GRU is reset_after=True by default; its LSTM(dropout=0.3)
draws one input mask per sequence, as Sequor's does.

What is measured, per model (the same protocol as torch_peer.py, so the columns compare):
  * training: `--warmup` steps through fit, then `--repeats` blocks of `--steps` steps, each block one
    model.fit(epochs=1, batch_size=64) call on the next `--steps` x 64 rows of a shuffled permutation of the 20,000
    training rows (reshuffled when used up); ms/step = median block time / steps; s/epoch = ms/step x 313.
  * inference: model.predict(batch_size=512) over the first `--infer-n` sequences (25,000; Sequor's bench: 2,560
    for the large models), `--repeats` passes after one warm-up pass; seq/s = n / median. `--infer-n 0` skips it.
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
ap.add_argument("--models", default="all")
ap.add_argument("--out", default=None)
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--infer-n", type=int, default=25000, help="sequences in the inference pass (0 = skip)")
args = ap.parse_args()

# thread env before importing torch (OpenMP reads it at load time)
os.environ["OMP_NUM_THREADS"] = str(args.threads)
os.environ["MKL_NUM_THREADS"] = str(args.threads)
if os.environ.get("KERAS_BACKEND") != "torch":
    sys.exit("keras_peer.py: run it with KERAS_TORCH=1 ../shared/tools/keras/keras-python (Keras on the torch backend)")

import warnings  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import keras  # noqa: E402

# Keras 3.6.0's sigmoid calls torch 1.13's deprecated nn.functional.sigmoid: one warning per run, nothing to act on
warnings.filterwarnings("ignore", message="nn.functional.sigmoid is deprecated")
from keras import layers  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_data  # noqa: E402
from peer_common import BATCH, INF_BATCH, N_TRAIN, STEPS_PER_EPOCH, cpu_snap, loaded_blas, noise, run_all  # noqa: E402

torch.set_num_threads(args.threads)

MODELS = {
    # name: (vocab, sequence length), as torch_peer.py and Sequor's bench
    "simplernn-onehot": (300, 100),
    "embedding-simplernn": (300, 100),
    "lstm": (500, 100),
    "lstm-dropout": (500, 100),
    "lstm-2layer": (500, 100),
    "gru": (500, 100),
    "lstm128": (10000, 200),
    "gru128": (10000, 200),
    "bilstm64": (20000, 200),
    "lstm2x64": (10000, 200),
}


def build(name):
    vocab, seq_len = MODELS[name]
    if name == "simplernn-onehot":
        stack = [keras.Input((seq_len, vocab)), layers.SimpleRNN(8)]
    else:
        stack = [keras.Input((seq_len,), dtype="int32")]
        stack += {
            "embedding-simplernn": lambda: [layers.Embedding(vocab, 16), layers.SimpleRNN(8)],
            "lstm": lambda: [layers.Embedding(vocab, 16), layers.LSTM(8)],
            "lstm-dropout": lambda: [layers.Embedding(vocab, 16), layers.LSTM(8, dropout=0.3)],
            "lstm-2layer": lambda: [layers.Embedding(vocab, 16), layers.LSTM(8, dropout=0.3, return_sequences=True),
                                    layers.LSTM(8, dropout=0.3)],
            "gru": lambda: [layers.Embedding(vocab, 16), layers.GRU(8)],
            "lstm128": lambda: [layers.Embedding(vocab, 128), layers.LSTM(128)],
            "gru128": lambda: [layers.Embedding(vocab, 128), layers.GRU(128)],
            # Keras's IMDB bidirectional example (examples/nlp/bidirectional_lstm_imdb.py)
            "bilstm64": lambda: [layers.Embedding(vocab, 128), layers.Bidirectional(layers.LSTM(64, return_sequences=True)),
                                 layers.Bidirectional(layers.LSTM(64))],
            "lstm2x64": lambda: [layers.Embedding(vocab, 128), layers.LSTM(64, dropout=0.3, return_sequences=True),
                                 layers.LSTM(64, dropout=0.3)],
        }[name]()
    model = keras.Sequential(stack + [layers.Dense(1, activation="sigmoid")], name=name.replace("-", "_"))
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-4), loss="binary_crossentropy")
    return model


def load_inputs(name):
    vocab, seq_len = MODELS[name]
    tokens, labels = make_data.load(vocab, seq_len)
    y = labels.astype(np.float32)
    if name == "simplernn-onehot":
        # the notebook feeds to_categorical(x, 300) float arrays: build them up front
        x = np.zeros(tokens.shape + (vocab,), dtype=np.float32)
        np.put_along_axis(x, tokens[..., None].astype(np.int64), 1.0, axis=2)
        return x, y
    return tokens.astype(np.int32), y


def bench_model(name):
    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed + 1)
    x, y = load_inputs(name)
    model = build(name)
    perm, pos = rng.permutation(N_TRAIN), 0

    def block(steps):
        """The next steps x 64 rows of the shuffled training rows, as fit's epoch would visit them."""
        nonlocal perm, pos
        if pos + steps * BATCH > N_TRAIN:
            perm, pos = rng.permutation(N_TRAIN), 0
        idx = perm[pos:pos + steps * BATCH]
        pos += steps * BATCH
        return x[idx], y[idx]

    model.fit(*block(args.warmup), batch_size=BATCH, epochs=1, verbose=0)
    blocks, block_noise, losses = [], [], None
    for _ in range(args.repeats):
        xb, yb = block(args.steps)
        c0 = cpu_snap()
        t0 = time.perf_counter()
        history = model.fit(xb, yb, batch_size=BATCH, epochs=1, verbose=0)
        blocks.append(time.perf_counter() - t0)
        block_noise.append(noise(c0, cpu_snap()))
        losses = history.history["loss"]
    ms_step = [b / args.steps * 1e3 for b in blocks]
    ms_med = statistics.median(ms_step)
    res = {
        "peer": "keras",
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
        "torch_version": torch.__version__,
        "blas": loaded_blas(),
        "model": name,
        "threads": args.threads,
        "params": model.count_params(),
        "train_ms_per_step": round(ms_med, 3),
        "train_ms_per_step_samples": [round(v, 3) for v in ms_step],
        "train_s_per_epoch_extrapolated": round(ms_med * STEPS_PER_EPOCH / 1e3, 3),
        "train_noise_foreign_cores_steal_cores": block_noise,
        "steps_timed_per_block": args.steps,
        "last_loss": float(losses[-1]),
    }

    if args.infer_n > 0:
        xi = x[:args.infer_n]
        model.predict(xi, batch_size=INF_BATCH, verbose=0)  # warm-up: one whole pass
        inf, inf_noise = [], []
        for _ in range(args.repeats):
            c0 = cpu_snap()
            t0 = time.perf_counter()
            model.predict(xi, batch_size=INF_BATCH, verbose=0)
            inf.append(time.perf_counter() - t0)
            inf_noise.append(noise(c0, cpu_snap()))
        t_med = statistics.median(inf)
        res["infer_s"] = round(t_med, 4)
        res["infer_s_samples"] = [round(v, 4) for v in inf]
        res["infer_noise_foreign_cores_steal_cores"] = inf_noise
        res["infer_n"] = args.infer_n
        res["infer_seq_per_s"] = round(args.infer_n / t_med, 1)
    return res


def main():
    names = list(MODELS) if args.models == "all" else args.models.split(",")
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        sys.exit(f"keras_peer.py: unknown model {unknown[0]}: expected one of {', '.join(MODELS)}")
    out = {
        "peer": "keras",
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
        "torch_version": torch.__version__,
        "python": platform.python_version(),
        "threads": args.threads,
        "torch_num_threads": torch.get_num_threads(),
        "blas": loaded_blas(),
        "steps": args.steps,
        "warmup": args.warmup,
        "repeats": args.repeats,
        "results": [],
    }
    run_all(names, bench_model, out, args.out)


if __name__ == "__main__":
    main()
