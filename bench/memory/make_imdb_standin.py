# A stand-in for Keras's full imdb.npz, same structure and size: 25,000 + 25,000 reviews as Python lists of ids
# (1 = start, ids up to 88,587), lengths like IMDB's (mean ~236, median ~194; IMDB: 239, 178), for a peak-memory run.
import sys
import numpy as np
rng = np.random.default_rng(0)
def reviews(n):
    lengths = np.clip(np.round(rng.lognormal(mean=5.27, sigma=0.62, size=n)), 10, 2494).astype(int)
    out = np.empty(n, dtype=object)
    for i, l in enumerate(lengths):
        ids = np.minimum(rng.zipf(1.2, size=l - 1) + 3, 88587)
        out[i] = [1] + ids.tolist()
    return out, lengths
xtr, ltr = reviews(25000)
xte, lte = reviews(25000)
ytr = rng.integers(0, 2, 25000).astype(np.int64)
yte = rng.integers(0, 2, 25000).astype(np.int64)
np.savez(sys.argv[1] if len(sys.argv) > 1 else 'imdb-standin.npz', x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)
print('train lengths mean', ltr.mean(), 'median', np.median(ltr), 'max', ltr.max(), 'tokens', ltr.sum() + lte.sum())
