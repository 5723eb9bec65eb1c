"""Opens model files with real Keras and reports what Keras sees: predictions, parameter count, optimizer state.

Run with real Keras (../shared/tools/keras/keras-python; Debian's python3-numpy and python3-h5py):

    keras-python tools/keras_open.py manifest.json results.json

manifest.json is a list of {"file", "input" (nested list), optionally "architecture" (a .keras file whose model
receives the weights of a .weights.h5 "file")}. All files are opened in this one process, so a whole matrix costs
one Keras start-up. results.json gets one entry per file, in order: {"file", "ok", "error" (one line),
"predictions", "params", "optimizer": {"class_name", "variables": [flattened values, in Keras's order]}}.
A file Keras refuses is reported, not raised, so one bad file does not hide the others.
"""

import json
import sys
import warnings

import numpy as np

warnings.filterwarnings("ignore")
import keras  # noqa: E402
from absl import logging as absl_logging  # noqa: E402

absl_logging.set_verbosity(absl_logging.ERROR)  # Keras's notes on every load ("compiled metrics have yet to be built")


def open_one(entry):
    x = np.array(entry["input"])
    architecture = entry.get("architecture")
    if architecture:
        model = keras.saving.load_model(architecture, compile=False)
        # Wiped first, so only the weights file can restore the model's numbers.
        model.set_weights([np.zeros_like(w) for w in model.get_weights()])
        model.load_weights(entry["file"])
    else:
        model = keras.saving.load_model(entry["file"])
    result = {
        "predictions": model.predict(x, verbose=0).astype(float).tolist(),
        "params": int(model.count_params()),
        "optimizer": None,
    }
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and not architecture:
        result["optimizer"] = {
            "class_name": type(optimizer).__name__,
            "variables": [np.asarray(v).astype(float).ravel().tolist() for v in optimizer.variables],
        }
    return result


def main():
    with open(sys.argv[1]) as f:
        manifest = json.load(f)
    results = []
    for entry in manifest:
        try:
            result = {"file": entry["file"], "ok": True, "error": None, **open_one(entry)}
        except Exception as e:  # report every refusal with Keras's own words
            message = " ".join(f"{type(e).__name__}: {e}".split())
            result = {"file": entry["file"], "ok": False, "error": message[:500]}
        results.append(result)
    with open(sys.argv[2], "w") as f:
        json.dump({"keras_version": keras.__version__, "backend": keras.backend.backend(), "results": results}, f)


if __name__ == "__main__":
    main()
