"""Keras 3 training-step fixtures: what one and two optimizer steps of real Keras do to a model's weights and slots.

Run with real Keras 3.6.0 on torch (the Keras of this workspace where training works):

    KERAS_TORCH=1 ../shared/tools/keras/keras-python tests/fixtures-src/keras/make_step_fixtures.py [case ...]

For each case it builds a small Keras model (Embedding -> recurrent layer(s) -> Dense head, dropout 0 so a step is
deterministic), compiles it with the case's optimizer and loss, saves it as <name>.keras (compiled, not yet
trained: the file both programs start from), then runs two `train_on_batch` steps on one fixed batch and writes
<name>.json:

    name, keras_version, backend,
    x {shape, values}   token ids (0 is padding; masked when the Embedding has mask_zero)
    y {shape, values}   0/1 targets (binary head) or one-hot rows (softmax head)
    steps: [{loss, iterations, weights: [{name, shape, values}], slots: [{name, shape, values}]}, ...]
        one entry per step: the loss train_on_batch returned (the batch loss before that step's update),
        model.weights after the step, and optimizer.variables after the step without iteration and learning_rate
        (Keras 3's order: per variable momentum/velocity pairs for Adam, then velocity_hat; RMSprop's
        velocities, then momentums, then average gradients; SGD's momentums),
        float64: [[kind, tensor, index, value]] for each value where Keras's float32 result lies more than 5e-7 from
        the same two steps in float64 (the model copied to float64 before training, floatx float64): where float32 rounding of a
        gradient near zero is amplified by the adaptive optimizers' 1/(sqrt(v) + epsilon), two correct float32
        programs differ; there the test asks Sequor to be no further from the float64 value than Keras is.

Numbers are float32 values written in their shortest round-trip decimal form, so a float32 reader gets Keras's
exact bits. The committed outputs live in tests/Sequor.Tests/Fixtures/Keras/Steps/.
"""

import json
import os
import sys

import numpy as np

import keras
from keras import layers

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "Sequor.Tests", "Fixtures", "Keras", "Steps"))

VOCABULARY, EMBEDDING, UNITS, BATCH, LENGTH, CLASSES = 30, 4, 3, 8, 6, 3


def batch(seed, masked):
    """A fixed batch of ids; masked cases get Keras-style pre-padding (leading zeros), at least one token per row."""
    rng = np.random.RandomState(seed)
    x = rng.randint(1, VOCABULARY, size=(BATCH, LENGTH))
    if masked:
        for row, pad in enumerate([0, 1, 2, 3, 5, 0, 4, 2]):
            x[row, :pad] = 0
    else:
        x[rng.rand(BATCH, LENGTH) < 0.15] = 0  # padding ids without a mask are ordinary tokens
    return x


def targets(seed, classes):
    rng = np.random.RandomState(seed + 1)
    if classes == 1:
        return np.array([[0], [1], [1], [0], [1], [0], [0], [1]], dtype="float32")
    return np.eye(classes, dtype="float32")[rng.randint(0, classes, size=BATCH)]


def recurrent(kind, return_sequences=False, reset_after=True):
    if kind == "LSTM":
        return layers.LSTM(UNITS, return_sequences=return_sequences)
    if kind == "GRU":
        return layers.GRU(UNITS, return_sequences=return_sequences, reset_after=reset_after)
    return layers.SimpleRNN(UNITS, return_sequences=return_sequences)


# name: (body layers after the Embedding, mask_zero, head classes (1 = sigmoid), optimizer)
CASES = {
    "lstm_rmsprop": (lambda: [recurrent("LSTM")], False, 1, lambda: keras.optimizers.RMSprop(0.01)),
    "lstm_rmsprop_momentum": (lambda: [recurrent("LSTM")], False, 1, lambda: keras.optimizers.RMSprop(0.01, rho=0.8, momentum=0.5)),
    "gru_rmsprop_centered": (lambda: [recurrent("GRU")], False, 1, lambda: keras.optimizers.RMSprop(0.01, centered=True)),
    "gru_adam": (lambda: [recurrent("GRU")], False, 1, lambda: keras.optimizers.Adam(0.01)),
    "gru_reset_before_adam_amsgrad": (lambda: [recurrent("GRU", reset_after=False)], False, 1, lambda: keras.optimizers.Adam(0.01, amsgrad=True)),
    "simple_rnn_sgd": (lambda: [recurrent("SimpleRNN")], False, 1, lambda: keras.optimizers.SGD(0.1)),
    "simple_rnn_sgd_momentum": (lambda: [recurrent("SimpleRNN")], False, 1, lambda: keras.optimizers.SGD(0.1, momentum=0.9)),
    "lstm_sgd_nesterov": (lambda: [recurrent("LSTM")], False, 1, lambda: keras.optimizers.SGD(0.1, momentum=0.9, nesterov=True)),
    "stacked_lstm_gru_adam": (lambda: [recurrent("LSTM", return_sequences=True), recurrent("GRU")], False, 1, lambda: keras.optimizers.Adam(0.01)),
    "bidirectional_lstm_adam": (lambda: [layers.Bidirectional(recurrent("LSTM"))], False, 1, lambda: keras.optimizers.Adam(0.01)),
    "bidirectional_gru_sum_rmsprop": (lambda: [layers.Bidirectional(recurrent("GRU"), merge_mode="sum")], False, 1, lambda: keras.optimizers.RMSprop(0.01)),
    "masked_lstm_adam": (lambda: [recurrent("LSTM")], True, 1, lambda: keras.optimizers.Adam(0.01)),
    "masked_gru_sgd_nesterov": (lambda: [recurrent("GRU")], True, 1, lambda: keras.optimizers.SGD(0.1, momentum=0.9, nesterov=True)),
    "masked_simple_rnn_rmsprop": (lambda: [recurrent("SimpleRNN")], True, 1, lambda: keras.optimizers.RMSprop(0.01)),
    "masked_bidirectional_lstm_rmsprop": (lambda: [layers.Bidirectional(recurrent("LSTM"))], True, 1, lambda: keras.optimizers.RMSprop(0.01)),
    "lstm_softmax_adam": (lambda: [recurrent("LSTM")], False, CLASSES, lambda: keras.optimizers.Adam(0.01)),
    "masked_gru_softmax_rmsprop_momentum": (lambda: [recurrent("GRU")], True, CLASSES, lambda: keras.optimizers.RMSprop(0.01, momentum=0.9)),
    "bidirectional_simple_rnn_softmax_sgd_momentum": (lambda: [layers.Bidirectional(recurrent("SimpleRNN"), merge_mode="ave")], False, CLASSES, lambda: keras.optimizers.SGD(0.1, momentum=0.5)),
    # gradient clipping before the update (small limits, so that they do clip)
    "lstm_adam_clipnorm": (lambda: [recurrent("LSTM")], False, 1, lambda: keras.optimizers.Adam(0.01, clipnorm=0.01)),
    "gru_sgd_momentum_clipvalue": (lambda: [recurrent("GRU")], False, 1, lambda: keras.optimizers.SGD(0.1, momentum=0.9, clipvalue=0.002)),
    "masked_lstm_rmsprop_global_clipnorm": (lambda: [recurrent("LSTM")], True, 1, lambda: keras.optimizers.RMSprop(0.01, global_clipnorm=0.02)),
}


def number(v):
    """A float32 as its shortest round-trip decimal (numpy's float32 repr), as a JSON number."""
    return float(str(np.float32(v)))


def tensor(name, value):
    value = np.asarray(value)
    entry = {"shape": list(value.shape), "values": [number(v) for v in value.reshape(-1)]}
    return {"name": name, **entry} if name is not None else entry


def run(model, x, y):
    """Two train_on_batch steps: after each, the loss, step count, weights and optimizer slots."""
    steps = []
    for _ in range(2):
        # Keras 3.6.0's torch train_on_batch ignores reset_metrics=True and returns the running mean of the loss
        # over all calls; reset first so the loss is this batch's, as its docstring says.
        model.reset_metrics()
        loss = model.train_on_batch(x, y)
        assert [v.name for v in model.optimizer.variables[:2]] == ["iteration", "learning_rate"]
        steps.append({
            "loss": float(loss),
            "iterations": int(model.optimizer.iterations.numpy()),
            "weights": [(w.path, w.numpy()) for w in model.weights],
            "slots": [(s.path, s.numpy()) for s in model.optimizer.variables[2:]],
        })
    return steps


def float64_run(model, x, y):
    """The same two steps in float64 from the same weights: Keras's exact answer. floatx stays float64 for the
    whole run, since Keras casts targets and loss terms to floatx."""
    keras.config.set_floatx("float64")
    try:
        config = model.get_config()
        for layer in config["layers"]:
            layer["config"]["dtype"] = "float64"
        copy = keras.Sequential.from_config(config)
        copy.set_weights([w.numpy().astype("float64") for w in model.weights])
        copy.compile(model.optimizer.__class__.from_config(model.optimizer.get_config()), model.loss)
        return run(copy, x, y)
    finally:
        keras.config.set_floatx("float32")


def deviations(step, reference):
    """[kind, tensor, index, float64 value] where Keras's float32 result is over 5e-7 from its float64 result."""
    found = []
    for kind in ("weights", "slots"):
        for t, ((_, single), (_, double)) in enumerate(zip(step[kind], reference[kind])):
            single, double = single.reshape(-1).astype("float64"), double.reshape(-1)
            for i in np.nonzero(np.abs(single - double) > 5e-7 * np.maximum(1, np.abs(double)))[0]:
                found.append([kind, t, int(i), float(double[i])])
    return found


def make(name, seed):
    body, masked, classes, optimizer = CASES[name]
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [keras.Input(shape=(LENGTH,)), layers.Embedding(VOCABULARY, EMBEDDING, mask_zero=masked)]
        + body()
        + [layers.Dense(classes, activation="sigmoid" if classes == 1 else "softmax")],
        name=name)
    model.compile(optimizer(), "binary_crossentropy" if classes == 1 else "categorical_crossentropy")
    model.save(os.path.join(OUT, name + ".keras"))

    x, y = batch(seed, masked), targets(seed, classes)
    exact = float64_run(model, x, y)  # before the float32 steps: the same starting point
    steps = run(model, x, y)
    for step, reference in zip(steps, exact):
        step["float64"] = deviations(step, reference)
    fixture = {
        "name": name,
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
        "x": tensor(None, x.astype("float32")),
        "y": tensor(None, y),
        "steps": [{**step, "weights": [tensor(n, v) for n, v in step["weights"]], "slots": [tensor(n, v) for n, v in step["slots"]]}
                  for step in steps],
    }
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")


def main():
    if keras.backend.backend() != "torch":
        sys.exit("run with KERAS_TORCH=1 (Keras 3.6.0 on torch): training needs the torch backend here")
    os.makedirs(OUT, exist_ok=True)
    only = sys.argv[1:]  # case names to (re)write; all when none are given. Seeds follow the order of CASES.
    for seed, name in enumerate(CASES, start=1):
        if not only or name in only:
            make(name, seed)
            print("wrote", name)


if __name__ == "__main__":
    main()
