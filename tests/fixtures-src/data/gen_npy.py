#!/usr/bin/python3
"""Writes the .npy/.npz fixtures that Sequor's Data tests read, with numpy itself.

Run with Debian's /usr/bin/python3 (numpy 1.24):  /usr/bin/python3 gen_npy.py
Output: tests/Sequor.Tests/Fixtures/Data/npy/*.npy|*.npz and manifest.json (expected values,
flattened in C order, as strings so that int64/uint64 and float edge values survive JSON).

`--verify` instead checks the files Sequor wrote (Fixtures/Data/sequor-written/) with numpy and
prints what it found; the C# tests then only check that Sequor still writes those exact bytes.
"""
import io
import json
import os
import pickle
import sys
import zipfile

import numpy as np
from numpy.lib import format as npformat

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "Sequor.Tests", "Fixtures", "Data", "npy"))
WRITTEN = os.path.normpath(os.path.join(HERE, "..", "..", "Sequor.Tests", "Fixtures", "Data", "sequor-written"))


def values_for(kind, size):
    if kind == "b":
        return [True, False, True, True, False, False]
    if kind == "i":
        lo, hi = -(2 ** (8 * size - 1)), 2 ** (8 * size - 1) - 1
        return [lo, hi, 0, -1, 1, 42]
    if kind == "u":
        hi = 2 ** (8 * size) - 1
        if size == 8:
            hi = 2 ** 63 - 1  # the C# accessor is Int64; 2**64-1 is covered by its own case
        return [0, hi, 1, 2, 200, 42]
    return [0.5, -1.25, float("inf"), -0.0, 3.140625, float("nan")]


def as_strings(arr):
    flat = np.ascontiguousarray(arr).reshape(-1)
    out = []
    for v in flat.tolist():
        if isinstance(v, bool):
            out.append("1" if v else "0")
        elif isinstance(v, float):
            out.append(repr(float(v)))
        else:
            out.append(str(int(v)))
    return out


def save(name, arr, version=None, manifest=None):
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        npformat.write_array(f, arr, version=version)
    manifest[name] = {
        "descr": npformat.dtype_to_descr(arr.dtype),
        "shape": list(arr.shape),
        "fortran": bool(arr.flags.f_contiguous and not arr.flags.c_contiguous),
        "values": as_strings(arr),
    }


def object_array(items):
    a = np.empty(len(items), dtype=object)
    for i, it in enumerate(items):
        a[i] = it
    return a


def save_object(name, arr, protocol, manifest, expected):
    # numpy.save always pickles with protocol 3; other protocols need the header written by hand,
    # which is exactly what numpy.load then reads.
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        npformat.write_array_header_1_0(f, {"descr": "|O", "fortran_order": False, "shape": arr.shape})
        pickle.dump(arr, f, protocol=protocol)
    back = np.load(path, allow_pickle=True)
    assert [list(map(int, x)) for x in back] == expected
    manifest[name] = {"descr": "|O", "shape": list(arr.shape), "fortran": False,
                      "sequences": [[str(v) for v in s] for s in expected]}


def main():
    os.makedirs(OUT, exist_ok=True)
    manifest = {}
    for kind, sizes in (("b", [1]), ("i", [1, 2, 4, 8]), ("u", [1, 2, 4, 8]), ("f", [2, 4, 8])):
        for size in sizes:
            endians = ["|"] if size == 1 else ["<", ">"]
            for endian in endians:
                dt = np.dtype(endian + kind + str(size)) if endian != "|" else np.dtype(kind + str(size))
                base = np.array(values_for(kind, size), dtype=dt).reshape(2, 3)
                tag = dt.str.replace("<", "le").replace(">", "be").replace("|", "")
                save(f"{tag}_c.npy", base, manifest=manifest)
                save(f"{tag}_f.npy", np.asfortranarray(base), manifest=manifest)
    u64 = np.array([2 ** 64 - 1, 0], dtype="<u8")
    save("u8_max.npy", u64, manifest=manifest)
    cube = np.arange(24, dtype="<i4").reshape(2, 3, 4)
    save("i4_cube_f.npy", np.asfortranarray(cube), manifest=manifest)
    save("scalar_f8.npy", np.array(2.5, dtype="<f8"), manifest=manifest)
    save("empty_i8.npy", np.zeros((0,), dtype="<i8"), manifest=manifest)
    save("empty_2d_f4.npy", np.zeros((3, 0), dtype="<f4"), manifest=manifest)
    for v in ((1, 0), (2, 0), (3, 0)):
        save(f"version{v[0]}.npy", np.arange(5, dtype="<i8") * 3, version=v, manifest=manifest)

    long_list = list(range(2500))  # several APPENDS batches of 1000
    seqs = [[1, 14, 22, 300, 70000], [5, 2 ** 31, 255, -1, -300, 2 ** 40, -(2 ** 40)], [7], [], long_list]
    arr = object_array(seqs)
    for protocol in (2, 3, 4, 5):
        save_object(f"object_p{protocol}.npy", arr, protocol, manifest, seqs)
    mixed_items = [np.array([1, 2, 3], dtype="<i4"), [4, 5], np.array([2 ** 40, -7], dtype=">i8"),
                   np.array([], dtype="<i2"), np.array([9, 8], dtype="u1")]
    mixed_expected = [[1, 2, 3], [4, 5], [2 ** 40, -7], [], [9, 8]]
    for protocol in (2, 3, 5):
        save_object(f"object_arrays_p{protocol}.npy", object_array(mixed_items), protocol, manifest,
                    mixed_expected)
    # numpy.save of an object array (protocol 3, header by numpy)
    path = os.path.join(OUT, "object_numpy_save.npy")
    np.save(path, arr, allow_pickle=True)
    manifest["object_numpy_save.npy"] = {"descr": "|O", "shape": [len(seqs)], "fortran": False,
                                         "sequences": [[str(v) for v in s] for s in seqs]}

    labels = np.array([0, 1, 1, 0, 1], dtype="<i8")
    floats = np.linspace(0, 1, 7, dtype="<f4").reshape(7, 1)
    np.savez(os.path.join(OUT, "stored.npz"), x=arr, y=labels, f=floats)
    np.savez_compressed(os.path.join(OUT, "deflated.npz"), x=arr, y=labels, f=floats)
    for npz in ("stored.npz", "deflated.npz"):
        with zipfile.ZipFile(os.path.join(OUT, npz)) as z:
            kinds = {i.filename: i.compress_type for i in z.infolist()}
        manifest[npz] = {"members": kinds,
                         "x": [[str(v) for v in s] for s in seqs],
                         "y": as_strings(labels), "f": as_strings(floats), "f_shape": list(floats.shape)}

    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    print(f"wrote {len(manifest)} fixtures to {OUT}")


def verify():
    """Reads every file Sequor wrote with numpy and compares it with expected.json next to them."""
    with open(os.path.join(WRITTEN, "expected.json")) as f:
        expected = json.load(f)
    for name, exp in sorted(expected.items()):
        path = os.path.join(WRITTEN, name)
        if name.endswith(".npz"):
            with np.load(path, allow_pickle=True) as z:
                for key, e in exp.items():
                    check(f"{name}:{key}", z[key], e)
        else:
            check(name, np.load(path, allow_pickle=True), exp)
    print(f"numpy read back {len(expected)} Sequor-written files equal")


def check(name, a, e):
    assert npformat.dtype_to_descr(a.dtype) == e["descr"], (name, a.dtype, e["descr"])
    assert list(a.shape) == e["shape"], (name, a.shape)
    if e["descr"] == "|O":
        got = [[str(int(v)) for v in s] for s in a]
        assert got == e["sequences"], name
    else:
        assert as_strings(a) == e["values"], (name, as_strings(a), e["values"])
    print("ok", name, a.dtype, a.shape)


if __name__ == "__main__":
    verify() if "--verify" in sys.argv else main()
