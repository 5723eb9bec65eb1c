"""Real Keras 3 files of the interop matrix, for Sequor's reading direction.

Run with real Keras (../shared/tools/keras, Keras 3.15.1 on numpy; needs Debian's python3-numpy and python3-h5py):

    ../shared/tools/keras/keras-python tests/fixtures-src/keras/make_matrix_fixtures.py

For every model of the matrix (Embedding + SimpleRNN/LSTM/GRU, both GRU reset_after, dropout and recurrent
dropout, stacked return_sequences, Bidirectional in every merge mode, mask_zero, one-hot input, SimpleRNN relu,
2-, 3- and 4-class softmax heads, no bias, go_backwards) this builds the model in Keras, sets deterministic
weights (seeded uniform values, exactly float32), compiles it (RMSprop, Adam or SGD) and saves it three ways with
Keras's own writers: <name>.keras, <name>.h5 (Keras 3's legacy HDF5 writer) and <name>.weights.h5. It then writes
expected.json: per model the fixed inputs, Keras's predictions for them, its parameter count and optimizer.

Files go to tests/Sequor.Tests/Fixtures/Keras/. The same matrix written by Sequor and opened by Keras is the
other direction (tests/Sequor.Tests/Formats/KerasInteropTests.cs).
"""

import json
import os

import numpy as np
import keras
from keras import layers

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "Sequor.Tests", "Fixtures", "Keras"))

VOCAB, STEPS = 12, 7


def matrix():
    """(name, input kind, layers factory, head units); a head of 1 unit is sigmoid, more is softmax.

    Layers are made only when their model is, after clear_session, so every model names them lstm, lstm_1, … afresh.
    """
    L = layers
    return [
        ("simplernn", "ids", lambda: [L.Embedding(VOCAB, 4), L.SimpleRNN(3)], 1),
        ("simplernn_relu", "ids", lambda: [L.Embedding(VOCAB, 4), L.SimpleRNN(3, activation="relu")], 1),
        ("lstm", "ids", lambda: [L.Embedding(VOCAB, 4), L.LSTM(3)], 1),
        ("gru_reset_after", "ids", lambda: [L.Embedding(VOCAB, 4), L.GRU(3, reset_after=True)], 2),
        ("gru_reset_before", "ids", lambda: [L.Embedding(VOCAB, 4), L.GRU(3, reset_after=False)], 3),
        ("dropout", "ids", lambda: [L.Embedding(VOCAB, 4), L.LSTM(3, dropout=0.3, recurrent_dropout=0.2),
                            L.Dropout(0.5)], 1),
        ("stacked", "ids", lambda: [L.Embedding(VOCAB, 4), L.LSTM(3, return_sequences=True),
                            L.GRU(3, return_sequences=True, dropout=0.1), L.SimpleRNN(2)], 4),
        ("bidirectional_concat", "ids", lambda: [L.Embedding(VOCAB, 4), L.Bidirectional(L.LSTM(3), merge_mode="concat")], 1),
        ("bidirectional_sum", "ids", lambda: [L.Embedding(VOCAB, 4), L.Bidirectional(L.GRU(3), merge_mode="sum")], 2),
        ("bidirectional_mul", "ids", lambda: [L.Embedding(VOCAB, 4), L.Bidirectional(L.SimpleRNN(3), merge_mode="mul")], 1),
        ("bidirectional_ave", "ids", lambda: [L.Embedding(VOCAB, 4),
                                      L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode="ave"),
                                      L.LSTM(2)], 3),
        ("mask_zero", "ids", lambda: [L.Embedding(VOCAB, 4, mask_zero=True), L.LSTM(3, return_sequences=True),
                              L.Bidirectional(L.GRU(2, reset_after=False)), L.Dropout(0.2)], 1),
        ("mask_zero_go_backwards", "ids", lambda: [L.Embedding(VOCAB, 4, mask_zero=True),
                                           L.SimpleRNN(3, go_backwards=True, return_sequences=True),
                                           L.GRU(2, go_backwards=True)], 2),
        ("one_hot", "one_hot", lambda: [L.SimpleRNN(3)], 1),
        ("no_bias", "ids", lambda: [L.Embedding(VOCAB, 4), L.LSTM(3, use_bias=False, return_sequences=True),
                            L.GRU(2, use_bias=False, reset_after=False)], 3),
        ("go_backwards", "ids", lambda: [L.Embedding(VOCAB, 4), L.LSTM(3, go_backwards=True, return_sequences=True),
                                 L.GRU(3, go_backwards=True)], 4),
    ]


def inputs(kind):
    """Fixed rows: random ids, pre-padded rows (zeros first), and an all-padding row."""
    rng = np.random.default_rng(13)
    ids = rng.integers(1, VOCAB, size=(5, STEPS))
    ids[2, :3] = 0
    ids[3, :STEPS - 1] = 0
    ids[4, :] = 0
    if kind == "ids":
        return ids
    return np.eye(VOCAB, dtype=np.float32)[ids]


def optimizer(index):
    choices = [
        ("RMSprop", lambda: keras.optimizers.RMSprop(learning_rate=0.002)),
        ("Adam", lambda: keras.optimizers.Adam(learning_rate=1.0)),
        ("SGD", lambda: keras.optimizers.SGD(momentum=0.0)),
        ("SGD", lambda: keras.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True)),
    ]
    return choices[index % len(choices)]


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = []
    for index, (name, kind, body, head) in enumerate(matrix()):
        keras.backend.clear_session()
        shape = (STEPS,) if kind == "ids" else (STEPS, VOCAB)
        model = keras.Sequential([keras.Input(shape), *body(),
                                  layers.Dense(head, activation="sigmoid" if head == 1 else "softmax")])
        rng = np.random.default_rng(1000 + index)
        model.set_weights([rng.uniform(-0.6, 0.6, w.shape).astype(np.float32) for w in model.get_weights()])
        optimizer_name, make = optimizer(index)
        model.compile(optimizer=make(), loss="binary_crossentropy" if head == 1 else "categorical_crossentropy",
                      metrics=["accuracy"])
        model.save(os.path.join(OUT, name + ".keras"))
        model.save(os.path.join(OUT, name + ".h5"))
        model.save_weights(os.path.join(OUT, name + ".weights.h5"))
        x = inputs(kind)
        y = model.predict(x, verbose=0)
        expected.append({
            "name": name,
            "input_kind": kind,
            "input_shape": list(shape),
            "input": x.astype(float).tolist(),
            "predictions": y.astype(float).tolist(),
            "params": int(model.count_params()),
            "optimizer": optimizer_name,
        })
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump({"keras_version": keras.__version__, "backend": keras.backend.backend(), "models": expected}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
