#!/usr/bin/python3
"""PyTorch reference fixtures for whole Sequor training steps (loss, gradients, Keras optimizer updates).

Run with Debian's python3-torch:  /usr/bin/python3 tests/fixtures-src/torch/make_training_fixtures.py

Each case is one of the chapter's models, Embedding(50, 4) -> recurrent layer(s) -> Dense(1, sigmoid), trained
with binary cross-entropy on one fixed batch of 8 sequences of 6 token ids (some of them 0; no masking) for 3
optimizer steps, all in float64:
  - forward and backward are torch's own modules (nn.Embedding, nn.LSTM / nn.GRU / nn.RNN, nn.Linear) and autograd;
  - the loss is torch's binary_cross_entropy_with_logits on the Dense pre-activation z, mean over the batch,
    i.e. max(z, 0) - z*y + ln(1 + e^-|z|) -- the form Keras uses on TensorFlow for a sigmoid output;
  - the updates are Keras 3's rules written out by hand (not torch.optim, whose RMSprop and Adam differ):
      RMSprop  v <- rho*v + (1-rho)*g^2;  w <- w - lr*g/sqrt(v + eps)                       (eps inside the root)
      Adam     m <- m + (g-m)(1-b1);  v <- v + (g^2-v)(1-b2);  a = lr*sqrt(1-b2^t)/(1-b1^t);
               w <- w - a*m/(sqrt(v) + eps)                                                 (eps on uncorrected v)
      SGD      m <- mu*m - lr*g;  nesterov: w <- w + mu*m - lr*g
    Keras keeps hyper-parameters in float32 variables, so they are used here as their float32 values
    (lr 0.01 is 0.009999999776482582), which is also what a float32 engine holds.
The optimizer rules are element-wise, so they are applied in torch's layout and converted to Keras's layout
(docs/keras-semantics.md, "PyTorch as the outside reference") only when written: transposed kernels; LSTM/SimpleRNN bias = b_ih + b_hh,
with b_hh held at 0 and not trained, so the Keras bias is b_ih and its gradient b_ih's; GRU blocks z, r, h
instead of torch's r, z, n and reset_after bias rows [input; recurrent], both trained.

Every initial weight and input is exactly representable in float32. Expected values are float64 results.

Fixture JSON (tests/Sequor.Tests/Fixtures/Torch/Training/<name>.json):
  name, layers: [{layer: "Embedding" | "LSTM" | "GRU" | "SimpleRNN" | "Dense", ...options}],
  optimizer: {name: "rmsprop" | "adam" | "sgd", learning_rate, ...} (the float32 values used),
  x {shape [8, 6], values: token ids}, y {shape [8, 1], values: 0/1},
  initial_weights, final_weights: [{name, shape, values}] in Keras order and layout,
  losses: the batch loss of each step, computed before that step's update.
"""

import json
import os

import numpy as np
import torch

torch.set_default_dtype(torch.float64)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "Sequor.Tests", "Fixtures", "Torch", "Training"))

VOCABULARY, EMBEDDING, BATCH, STEPS, TRAINING_STEPS = 50, 4, 8, 6, 3


def f32(t):
    """Rounds to the nearest float32 value, kept as float64."""
    return t.detach().to(torch.float32).to(torch.float64)


def f32s(x):
    """A Python float rounded to float32, as Keras's float32 hyper-parameter variables hold it."""
    return float(np.float32(x))


def tensor_json(t):
    t = t.detach().to(torch.float64).contiguous()
    return {"shape": list(t.shape), "values": [float(v) for v in t.reshape(-1).tolist()]}


def named(name, t):
    return {"name": name, **tensor_json(t)}


def round_params(module, scale=1.0):
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(f32(p * scale))


def gru_reorder(m, units):
    """torch rows r, z, n -> Keras blocks z, r, h (along the first axis of torch's layout)."""
    r, z, n = m[:units], m[units:2 * units], m[2 * units:]
    return torch.cat([z, r, n], dim=0)


class Recurrent:
    """One torch recurrent module standing for one Keras layer."""

    def __init__(self, kind, features, units, return_sequences=False):
        self.kind, self.units, self.return_sequences = kind, units, return_sequences
        if kind == "SimpleRNN":
            self.module = torch.nn.RNN(features, units, nonlinearity="tanh", batch_first=True)
        elif kind == "LSTM":
            self.module = torch.nn.LSTM(features, units, batch_first=True)
        else:
            self.module = torch.nn.GRU(features, units, batch_first=True)
        # torch's default U(-1/sqrt(H), 1/sqrt(H)) is rather small for 3-4 units; widen it a little.
        round_params(self.module, scale=1.5)
        if kind != "GRU":
            # Keras has one bias: keep b_hh at 0 and frozen, so b_ih is the Keras bias and is what gets trained.
            with torch.no_grad():
                self.module.bias_hh_l0.zero_()
            self.module.bias_hh_l0.requires_grad_(False)

    def trainable(self):
        m = self.module
        return [p for p in (m.weight_ih_l0, m.weight_hh_l0, m.bias_ih_l0, m.bias_hh_l0) if p.requires_grad]

    def __call__(self, x):
        seq, _ = self.module(x)
        return seq if self.return_sequences else seq[:, -1, :]

    def spec(self):
        s = {"layer": self.kind, "units": self.units, "return_sequences": self.return_sequences}
        if self.kind == "GRU":
            s["reset_after"] = True
        return s

    def keras_weights(self):
        m, u = self.module, self.units
        if self.kind == "GRU":
            values = [gru_reorder(m.weight_ih_l0, u).t(), gru_reorder(m.weight_hh_l0, u).t(),
                      torch.stack([gru_reorder(m.bias_ih_l0, u), gru_reorder(m.bias_hh_l0, u)])]
        else:
            assert not m.bias_hh_l0.any()
            values = [m.weight_ih_l0.t(), m.weight_hh_l0.t(), m.bias_ih_l0 + m.bias_hh_l0]
        return list(zip(["kernel", "recurrent_kernel", "bias"], values))


class Model:
    def __init__(self, recurrent_layers):
        self.embedding = torch.nn.Embedding(VOCABULARY, EMBEDDING)
        round_params(self.embedding, scale=0.5)
        self.recurrent = []
        features = EMBEDDING
        for kind, units, return_sequences in recurrent_layers:
            self.recurrent.append(Recurrent(kind, features, units, return_sequences))
            features = units
        self.dense = torch.nn.Linear(features, 1)
        round_params(self.dense, scale=2.0)

    def trainable(self):
        """The trainable variables, in model order (the optimizer rules are per variable, so order is cosmetic)."""
        params = [self.embedding.weight]
        for r in self.recurrent:
            params += r.trainable()
        return params + [self.dense.weight, self.dense.bias]

    def logits(self, ids):
        h = self.embedding(ids)
        for r in self.recurrent:
            h = r(h)
        return self.dense(h)

    def spec(self):
        return ([{"layer": "Embedding", "input_dim": VOCABULARY, "output_dim": EMBEDDING}]
                + [r.spec() for r in self.recurrent] + [{"layer": "Dense", "units": 1, "activation": "sigmoid"}])

    def keras_weights(self):
        weights = [("embeddings", self.embedding.weight)]
        for r in self.recurrent:
            weights += r.keras_weights()
        weights += [("kernel", self.dense.weight.t()), ("bias", self.dense.bias)]
        return [named(n, v) for n, v in weights]


class RMSprop:
    def __init__(self, learning_rate, rho=0.9, epsilon=1e-7):
        self.lr, self.rho, self.eps = f32s(learning_rate), f32s(rho), f32s(epsilon)
        self.v = {}

    def config(self):
        return {"name": "rmsprop", "learning_rate": self.lr, "rho": self.rho, "epsilon": self.eps}

    def step(self, params):
        for p in params:
            g = p.grad
            v = self.v.setdefault(id(p), torch.zeros_like(p))
            v.copy_(self.rho * v + (1 - self.rho) * g * g)
            p -= self.lr * g / torch.sqrt(v + self.eps)


class Adam:
    def __init__(self, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.lr, self.b1, self.b2, self.eps = f32s(learning_rate), f32s(beta_1), f32s(beta_2), f32s(epsilon)
        self.m, self.v, self.iterations = {}, {}, 0

    def config(self):
        return {"name": "adam", "learning_rate": self.lr, "beta_1": self.b1, "beta_2": self.b2, "epsilon": self.eps}

    def step(self, params):
        t = self.iterations + 1
        alpha = self.lr * (1 - self.b2 ** t) ** 0.5 / (1 - self.b1 ** t)
        for p in params:
            g = p.grad
            m = self.m.setdefault(id(p), torch.zeros_like(p))
            v = self.v.setdefault(id(p), torch.zeros_like(p))
            m += (g - m) * (1 - self.b1)
            v += (g * g - v) * (1 - self.b2)
            p -= alpha * m / (torch.sqrt(v) + self.eps)
        self.iterations += 1


class SGD:
    def __init__(self, learning_rate, momentum=0.0, nesterov=False):
        self.lr, self.mu, self.nesterov = f32s(learning_rate), f32s(momentum), nesterov
        self.m = {}

    def config(self):
        return {"name": "sgd", "learning_rate": self.lr, "momentum": self.mu, "nesterov": self.nesterov}

    def step(self, params):
        for p in params:
            g = p.grad
            if self.mu == 0:
                p -= self.lr * g
                continue
            m = self.m.setdefault(id(p), torch.zeros_like(p))
            m.copy_(self.mu * m - self.lr * g)
            p += self.mu * m - self.lr * g if self.nesterov else m


def batch():
    ids = torch.randint(1, VOCABULARY, (BATCH, STEPS))
    ids[0, :2] = 0          # leading padding
    ids[3, 0] = 0
    ids[5, :4] = 0
    ids[6, 5] = 0           # a 0 at the last step
    ids[1, 2] = ids[4, 4] = ids[7, 1] = 7   # a token repeated across rows
    y = torch.tensor([[1.0], [0.0], [1.0], [1.0], [0.0], [0.0], [1.0], [0.0]])
    return ids, y


def case(name, recurrent_layers, optimizer):
    model = Model(recurrent_layers)
    ids, y = batch()
    initial = model.keras_weights()
    params = model.trainable()
    losses = []
    for _ in range(TRAINING_STEPS):
        for p in params:
            p.grad = None
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model.logits(ids), y)
        loss.backward()
        losses.append(float(loss))
        with torch.no_grad():
            optimizer.step(params)
    return {
        "name": name,
        "layers": model.spec(),
        "optimizer": optimizer.config(),
        "x": tensor_json(ids.to(torch.float64)),
        "y": tensor_json(y),
        "initial_weights": initial,
        "losses": losses,
        "final_weights": model.keras_weights(),
    }


def main():
    cases = []

    def add(seed, *args):
        torch.manual_seed(seed)
        cases.append(case(*args))

    add(1001, "lstm_rmsprop", [("LSTM", 3, False)], RMSprop(0.01))
    add(1002, "gru_adam", [("GRU", 3, False)], Adam(0.01))
    add(1003, "simple_rnn_sgd_nesterov", [("SimpleRNN", 3, False)], SGD(0.1, momentum=0.9, nesterov=True))
    add(1004, "stacked_lstm_rmsprop", [("LSTM", 4, True), ("LSTM", 3, False)], RMSprop(0.01))

    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        if old.endswith(".json"):
            os.remove(os.path.join(OUT, old))
    for c in cases:
        with open(os.path.join(OUT, c["name"] + ".json"), "w") as f:
            f.write(json.dumps(c, separators=(",", ":")) + "\n")
        print("%-26s losses %s" % (c["name"], ", ".join("%.6f" % v for v in c["losses"])))
    print("wrote %d fixtures to %s (torch %s)" % (len(cases), OUT, torch.__version__))


if __name__ == "__main__":
    main()
