"""Keras 3 fixtures for `summary` (Optimizer params) and for models of open sequence length (Input(shape=(None,))).

Run with real Keras 3.6.0 on torch, which trains; it then runs itself under Keras 3.15.1 (numpy), whose summary
Sequor prints:

    KERAS_TORCH=1 ../shared/tools/keras/keras-python tests/fixtures-src/keras/make_summary_fixtures.py

Writes tests/Sequor.Tests/Fixtures/Keras/Summary/:
    <name>.keras           the model as Keras 3.6.0 saved it: compiled and trained one step (the optimizer is built
                           and its variables saved), compiled only, or not compiled
    <name>.summary.txt     Keras 3.15.1's model.summary() of that file, as printed when the output is not a terminal
    <name>.json            open-length models only: {"inputs": [{shape, values}], "outputs": [{shape, values}]} —
                           Keras 3.15.1's predict on id batches of different lengths (float32 values, shortest form)
"""

import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "Sequor.Tests", "Fixtures", "Keras", "Summary"))
KERAS_PYTHON = os.environ.get("KERAS_PYTHON", os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "shared", "tools", "keras", "keras-python")))


def models(keras):
    layers = keras.layers
    ids = lambda length: keras.Input(shape=(length,))  # noqa: E731
    return {
        # name: (model, optimizer or None (not compiled), loss, train one step?, batch length, classes)
        "lstm_adam_trained": (keras.Sequential([ids(20), layers.Embedding(50, 8), layers.LSTM(4), layers.Dense(1, activation="sigmoid")], name="lstm_adam"),
                              keras.optimizers.Adam(), "binary_crossentropy", True, 20, 1),
        "gru_rmsprop_centered_momentum_trained": (keras.Sequential([ids(20), layers.Embedding(50, 8), layers.GRU(4), layers.Dense(1, activation="sigmoid")]),
                                                  keras.optimizers.RMSprop(momentum=0.9, centered=True), "binary_crossentropy", True, 20, 1),
        "simple_rnn_sgd_trained": (keras.Sequential([ids(20), layers.Embedding(50, 8), layers.SimpleRNN(4), layers.Dense(1, activation="sigmoid")]),
                                   keras.optimizers.SGD(), "binary_crossentropy", True, 20, 1),
        "lstm_adam_compiled": (keras.Sequential([ids(20), layers.Embedding(50, 8), layers.LSTM(4), layers.Dense(1, activation="sigmoid")]),
                               keras.optimizers.Adam(), "binary_crossentropy", False, 20, 1),
        "open_length_masked_lstm_gru_trained": (keras.Sequential([ids(None), layers.Embedding(50, 8, mask_zero=True), layers.LSTM(4, return_sequences=True),
                                                                  layers.GRU(4), layers.Dense(1, activation="sigmoid")], name="open_length"),
                                                keras.optimizers.RMSprop(), "binary_crossentropy", True, 7, 1),
        "open_length_bidirectional_sequence_softmax": (keras.Sequential([ids(None), layers.Embedding(50, 8), layers.Bidirectional(layers.LSTM(4, return_sequences=True)),
                                                                         layers.Dense(3, activation="softmax")]),
                                                       None, None, False, 7, 3),
    }


def number(v):
    return float(str(np.float32(v)))


def tensor(value):
    value = np.asarray(value)
    return {"shape": list(value.shape), "values": [number(v) for v in value.reshape(-1)]}


def write_models():
    import keras
    assert keras.backend.backend() == "torch", "run with KERAS_TORCH=1"
    os.makedirs(OUT, exist_ok=True)
    keras.utils.set_random_seed(7)
    rng = np.random.RandomState(7)
    for name, (model, optimizer, loss, train, length, classes) in models(keras).items():
        if optimizer is not None:
            model.compile(optimizer, loss)
        if train:
            x = rng.randint(1, 50, size=(8, length))
            x[:4, :2] = 0
            model.train_on_batch(x, rng.randint(0, 2, size=(8, 1)).astype("float32"))
        model.save(os.path.join(OUT, name + ".keras"))
        print("wrote", name + ".keras")


def write_summaries():
    import keras
    assert keras.__version__ == "3.15.1", keras.__version__
    rng = np.random.RandomState(8)
    for file in sorted(os.listdir(OUT)):
        if not file.endswith(".keras"):
            continue
        name = file[:-len(".keras")]
        model = keras.saving.load_model(os.path.join(OUT, file))
        lines = []
        model.summary(print_fn=lambda text, line_break=False: lines.append(text))
        with open(os.path.join(OUT, name + ".summary.txt"), "w") as f:
            f.write("".join(lines))
        if name.startswith("open_length"):
            inputs = []
            for length in (3, 11):
                x = rng.randint(0, 50, size=(4, length))
                x[0, :length - 1] = 0  # a mostly padded row
                inputs.append(x)
            with open(os.path.join(OUT, name + ".json"), "w") as f:
                json.dump({"inputs": [tensor(x.astype("float32")) for x in inputs],
                           "outputs": [tensor(model.predict(x, verbose=0)) for x in inputs]}, f, separators=(",", ":"))
                f.write("\n")
        print("wrote", name + ".summary.txt")


if __name__ == "__main__":
    if sys.argv[1:] == ["--summaries"]:
        write_summaries()
    else:
        write_models()
        env = {k: v for k, v in os.environ.items() if k not in ("KERAS_TORCH", "KERAS_BACKEND", "KERAS_HOME", "PYTHONPATH", "COLUMNS")}
        # Keras 3.6.0 on torch records its torch optimizer classes' modules in compile_config; Keras 3.15.1 imports
        # them to load the file, which needs the torch shims (the backend stays numpy).
        env["PYTHONPATH"] = os.path.join(os.path.dirname(KERAS_PYTHON), "shims_torch")
        subprocess.run([KERAS_PYTHON, os.path.abspath(__file__), "--summaries"], check=True, env=env)
