#!/usr/bin/python3
"""PyTorch reference fixtures for Sequor's layers.

Run with Debian's python3-torch:  /usr/bin/python3 tests/fixtures-src/torch/make_layer_fixtures.py

For fixed seeds this builds small cases in torch (float64), converts the weights to Keras's layout
(docs/keras-semantics.md, "PyTorch as the outside reference": transposed kernels, LSTM bias = b_ih + b_hh, GRU gate order z,r,h
instead of torch's r,z,n, GRU reset_after bias rows [input; recurrent]), and writes one JSON file per
case to tests/Sequor.Tests/Fixtures/Torch/.

The loss is L = sum(y * R) for a fixed random projection R, so dL/dy = R ("output_gradient").
Every value written (weights, inputs, R) is exactly representable in float32, so the float32 engine
sees exactly the numbers torch used; only the arithmetic differs. Expected values are float64 results.

Fixture JSON:
  name, layer ("SimpleRNN" | "LSTM" | "GRU" | "Embedding" | "Dense" | "Bidirectional"), options {...},
  weights: [{name, shape, values}] in Keras order and layout,
  input, output_gradient, expected_output, expected_input_gradient (null for Embedding): {shape, values},
  expected_weight_gradients: [{name, shape, values}] in Keras order and layout.
"""

import json
import os

import torch

torch.set_default_dtype(torch.float64)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "Sequor.Tests", "Fixtures", "Torch"))

BATCH, STEPS, FEATURES = 3, 6, 5


def f32(t):
    """Rounds to the nearest float32 value, kept as float64."""
    return t.detach().to(torch.float32).to(torch.float64)


def rand(*shape, scale=1.0):
    return f32(torch.randn(*shape) * scale)


def tensor_json(t):
    t = t.detach().to(torch.float64).contiguous()
    return {"shape": list(t.shape), "values": [float(v) for v in t.reshape(-1).tolist()]}


def named(name, t):
    d = tensor_json(t)
    return {"name": name, **d}


def round_params(module, scale=1.0):
    """Makes every parameter float32-representable (optionally widened by scale, for livelier gates)."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(f32(p * scale))


def split_bias(module, suffix=""):
    """For cells whose Keras bias is b_ih + b_hh: choose b_ih so that b_ih + b_hh is exactly a float32 value."""
    with torch.no_grad():
        b_ih = getattr(module, "bias_ih_l0" + suffix)
        b_hh = getattr(module, "bias_hh_l0" + suffix)
        total = f32(b_ih + b_hh)
        b_ih.copy_(total - b_hh)  # exact: total and b_hh are float32 values of similar magnitude
        assert torch.equal(b_ih + b_hh, total)


def gru_reorder(m, units):
    """torch rows r, z, n -> Keras blocks z, r, h (along the first axis of torch's layout)."""
    r, z, n = m[:units], m[units:2 * units], m[2 * units:]
    return torch.cat([z, r, n], dim=0)


def keras_weights(module, kind, units, suffix=""):
    """(values, gradients) of one direction of a torch RNN/LSTM/GRU in Keras order and layout."""
    w_ih = getattr(module, "weight_ih_l0" + suffix)
    w_hh = getattr(module, "weight_hh_l0" + suffix)
    b_ih = getattr(module, "bias_ih_l0" + suffix)
    b_hh = getattr(module, "bias_hh_l0" + suffix)

    if kind == "GRU":
        def convert(wi, wh, bi, bh):
            return [gru_reorder(wi, units).t(), gru_reorder(wh, units).t(),
                    torch.stack([gru_reorder(bi, units), gru_reorder(bh, units)])]
        values = convert(w_ih, w_hh, b_ih, b_hh)
        grads = convert(w_ih.grad, w_hh.grad, b_ih.grad, b_hh.grad)
    else:
        # SimpleRNN, LSTM (torch's gate order i, f, g, o is Keras's i, f, c, o): Keras bias = b_ih + b_hh,
        # so its gradient is the gradient of either torch bias (they are equal).
        assert torch.allclose(b_ih.grad, b_hh.grad, rtol=1e-12, atol=1e-12)
        values = [w_ih.t(), w_hh.t(), b_ih + b_hh]
        grads = [w_ih.grad.t(), w_hh.grad.t(), b_ih.grad]
    names = ["kernel", "recurrent_kernel", "bias"]
    return list(zip(names, values)), list(zip(names, grads))


def make_rnn(kind, features, units, bidirectional=False):
    if kind == "SimpleRNN":
        m = torch.nn.RNN(features, units, nonlinearity="tanh", batch_first=True, bidirectional=bidirectional)
    elif kind == "LSTM":
        m = torch.nn.LSTM(features, units, batch_first=True, bidirectional=bidirectional)
    else:
        m = torch.nn.GRU(features, units, batch_first=True, bidirectional=bidirectional)
    # torch's default U(-1/sqrt(H), 1/sqrt(H)) is rather small for 3-5 units; widen it so gates saturate a little.
    round_params(m, scale=1.5)
    if kind != "GRU":
        split_bias(m)
        if bidirectional:
            split_bias(m, "_reverse")
    return m


def fixture(name, layer, options, weights, x, r, y, dx, weight_grads):
    return {
        "name": name,
        "layer": layer,
        "options": options,
        "weights": [named(n, v) for n, v in weights],
        "input": tensor_json(x),
        "output_gradient": tensor_json(r),
        "expected_output": tensor_json(y),
        "expected_input_gradient": None if dx is None else tensor_json(dx),
        "expected_weight_gradients": [named(n, g) for n, g in weight_grads],
    }


def recurrent_case(name, kind, units, return_sequences=False, go_backwards=False, batch=BATCH, steps=STEPS,
                   features=FEATURES):
    m = make_rnn(kind, features, units)
    x = rand(batch, steps, features).requires_grad_(True)
    # Keras go_backwards: the layer reads the steps T-1 ... 0; its sequence output is in processing order.
    seq, _ = m(x.flip(1) if go_backwards else x)
    y = seq if return_sequences else seq[:, -1, :]
    r = rand(*y.shape)
    (y * r).sum().backward()
    weights, grads = keras_weights(m, kind, units)
    options = {"units": units, "return_sequences": return_sequences, "go_backwards": go_backwards}
    if kind == "GRU":
        options["reset_after"] = True
    return fixture(name, kind, options, weights, x, r, y, x.grad, grads)


def bidirectional_case(name, kind, units, merge_mode, return_sequences, batch=BATCH, steps=STEPS, features=FEATURES):
    m = make_rnn(kind, features, units, bidirectional=True)
    x = rand(batch, steps, features).requires_grad_(True)
    seq, _ = m(x)
    # torch: seq[:, t, :H] forward after time t, seq[:, t, H:] backward direction after reading time t
    # (from T-1 down to t). Keras's backward output, reversed back to original time when return_sequences,
    # is the same; without sequences it is the backward's last processed step = original time 0.
    if return_sequences:
        yf, yb = seq[:, :, :units], seq[:, :, units:]
    else:
        yf, yb = seq[:, -1, :units], seq[:, 0, units:]
    y = {"concat": lambda: torch.cat([yf, yb], dim=-1), "sum": lambda: yf + yb,
         "mul": lambda: yf * yb, "ave": lambda: (yf + yb) / 2}[merge_mode]()
    r = rand(*y.shape)
    (y * r).sum().backward()
    wf, gf = keras_weights(m, kind, units)
    wb, gb = keras_weights(m, kind, units, "_reverse")
    options = {"units": units, "inner": kind, "merge_mode": merge_mode, "return_sequences": return_sequences}
    if kind == "GRU":
        options["reset_after"] = True
    return fixture(name, "Bidirectional", options, wf + wb, x, r, y, x.grad, gf + gb)


def dense_case(name, activation, units=4, shape=(4, FEATURES)):
    m = torch.nn.Linear(shape[-1], units)
    round_params(m, scale=2.0)
    x = rand(*shape).requires_grad_(True)
    z = m(x)
    y = {"linear": lambda: z, "relu": lambda: torch.relu(z), "sigmoid": lambda: torch.sigmoid(z),
         "tanh": lambda: torch.tanh(z), "softmax": lambda: torch.softmax(z, dim=-1)}[activation]()
    r = rand(*y.shape)
    (y * r).sum().backward()
    weights = [("kernel", m.weight.t()), ("bias", m.bias)]
    grads = [("kernel", m.weight.grad.t()), ("bias", m.bias.grad)]
    return fixture(name, "Dense", {"units": units, "activation": activation}, weights, x, r, y, x.grad, grads)


def embedding_case(name, input_dim=7, output_dim=4, batch=4, steps=6):
    m = torch.nn.Embedding(input_dim, output_dim)
    round_params(m)
    ids = torch.randint(0, input_dim, (batch, steps))
    ids[0, 0] = ids[0, 1] = ids[2, 3] = 3  # make sure some id repeats across steps and rows
    ids[1, 5] = 0
    y = m(ids)
    r = rand(*y.shape)
    (y * r).sum().backward()
    return fixture(name, "Embedding", {"input_dim": input_dim, "output_dim": output_dim},
                   [("embeddings", m.weight)], ids.to(torch.float64), r, y, None, [("embeddings", m.weight.grad)])


def main():
    cases = []

    def add(seed, make, *args, **kwargs):
        torch.manual_seed(seed)
        cases.append(make(*args, **kwargs))

    add(101, recurrent_case, "simple_rnn", "SimpleRNN", 4)
    add(102, recurrent_case, "simple_rnn_return_sequences", "SimpleRNN", 3, return_sequences=True, batch=4, steps=7)
    add(103, recurrent_case, "simple_rnn_go_backwards", "SimpleRNN", 4, go_backwards=True)
    add(201, recurrent_case, "lstm", "LSTM", 4)
    add(202, recurrent_case, "lstm_return_sequences", "LSTM", 5, return_sequences=True, batch=4, steps=7, features=4)
    add(203, recurrent_case, "lstm_go_backwards", "LSTM", 3, go_backwards=True, features=6)
    add(204, recurrent_case, "lstm_go_backwards_return_sequences", "LSTM", 4, return_sequences=True, go_backwards=True)
    add(301, recurrent_case, "gru", "GRU", 4)
    add(302, recurrent_case, "gru_return_sequences", "GRU", 5, return_sequences=True, batch=4, steps=5, features=6)
    add(303, recurrent_case, "gru_go_backwards", "GRU", 3, go_backwards=True)
    add(304, recurrent_case, "gru_go_backwards_return_sequences", "GRU", 4, return_sequences=True, go_backwards=True)
    add(401, embedding_case, "embedding")
    for i, act in enumerate(["linear", "relu", "sigmoid", "tanh", "softmax"]):
        add(501 + i, dense_case, "dense_" + act, act)
    add(510, dense_case, "dense_tanh_sequence", "tanh", units=3, shape=(3, 5, 4))
    seed = 600
    for mode in ["concat", "sum", "mul", "ave"]:
        for seqs in [False, True]:
            seed += 1
            add(seed, bidirectional_case, "bidirectional_lstm_%s%s" % (mode, "_return_sequences" if seqs else ""),
                "LSTM", 4, mode, seqs)
    add(611, bidirectional_case, "bidirectional_gru_concat_return_sequences", "GRU", 3, "concat", True)
    add(612, bidirectional_case, "bidirectional_gru_mul", "GRU", 4, "mul", False)
    add(613, bidirectional_case, "bidirectional_simple_rnn_sum_return_sequences", "SimpleRNN", 4, "sum", True)
    add(614, bidirectional_case, "bidirectional_simple_rnn_ave", "SimpleRNN", 3, "ave", False)

    # Unit counts that take the fast float32 kernels (a multiple of the 8-float vector: 8 is the chapter's one-vector
    # LSTM step, 16 the general fused steps), with batches of 5 and 7 rows so that the kernels' two- and four-row
    # blocks and their tails all run.
    add(701, recurrent_case, "simple_rnn_8", "SimpleRNN", 8, batch=5)
    add(702, recurrent_case, "simple_rnn_16_go_backwards_return_sequences", "SimpleRNN", 16, return_sequences=True,
        go_backwards=True, batch=7)
    add(711, recurrent_case, "lstm_8", "LSTM", 8, batch=5)
    add(712, recurrent_case, "lstm_8_return_sequences", "LSTM", 8, return_sequences=True, batch=7, features=16)
    add(713, recurrent_case, "lstm_16_go_backwards", "LSTM", 16, go_backwards=True, batch=5)
    add(714, recurrent_case, "lstm_16_return_sequences", "LSTM", 16, return_sequences=True, batch=7, features=8)
    add(721, recurrent_case, "gru_8", "GRU", 8, batch=5)
    add(722, recurrent_case, "gru_16_go_backwards_return_sequences", "GRU", 16, return_sequences=True,
        go_backwards=True, batch=7)
    add(731, bidirectional_case, "bidirectional_lstm_8_concat_return_sequences", "LSTM", 8, "concat", True, batch=5)
    add(732, bidirectional_case, "bidirectional_gru_16_sum", "GRU", 16, "sum", False, batch=7)

    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        if old.endswith(".json"):
            os.remove(os.path.join(OUT, old))
    total = 0
    for case in cases:
        path = os.path.join(OUT, case["name"] + ".json")
        # json writes floats with repr, the shortest string that round-trips the float64 value.
        text = json.dumps(case, separators=(",", ":")) + "\n"
        with open(path, "w") as f:
            f.write(text)
        total += len(text)
    print("wrote %d fixtures (%d bytes) to %s (torch %s)" % (len(cases), total, OUT, torch.__version__))


if __name__ == "__main__":
    main()
