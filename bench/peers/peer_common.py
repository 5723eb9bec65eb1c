"""What the Python peers (torch_peer.py, keras_peer.py) share: the benchmark's constants and the readings of
which BLAS torch loaded and how busy the machine was around a timed block."""
import json
import os
import time

BATCH = 64
N_TRAIN = 20000
N_VAL = 5000
N_ALL = 25000
STEPS_PER_EPOCH = 313  # ceil(20000/64)
INF_BATCH = 512


def loaded_blas():
    """The BLAS this process loaded (call after importing torch)."""
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            p = line.split()[-1]
            if "blas" in p.lower() or "mkl" in p.lower():
                libs.add(p)
    if any("openblas" in p for p in libs):
        return "openblas"
    if any("mkl" in p for p in libs):
        return "mkl"
    return "reference-netlib" if libs else "none"


HZ = os.sysconf("SC_CLK_TCK")


def cpu_snap():
    """(wall, system busy jiffies, steal jiffies, this process's jiffies)"""
    with open("/proc/stat") as f:
        v = list(map(int, f.readline().split()[1:]))
    with open("/proc/self/stat") as f:
        st = f.read()
    fl = st[st.rindex(")") + 2:].split()
    return time.perf_counter(), v[0] + v[1] + v[2] + v[5] + v[6], v[7] if len(v) > 7 else 0, int(fl[11]) + int(fl[12])


def noise(a, b):
    """CPU cores used by OTHER processes, and hypervisor steal, averaged over [a, b]."""
    wall = b[0] - a[0]
    return round(((b[1] - a[1]) - (b[3] - a[3])) / HZ / wall, 3), round((b[2] - a[2]) / HZ / wall, 3)


def run_all(names, bench_model, out, path):
    """Benchmarks each model in turn, printing its result as one JSON line as it ends; writes them all to path."""
    for n in names:
        r = bench_model(n)
        print(json.dumps(r), flush=True)
        out["results"].append(r)
    if path:
        with open(path, "w") as f:
            json.dump(out, f, indent=1)
