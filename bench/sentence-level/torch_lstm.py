"""The chapter's lstm recipe in PyTorch on a sentence-level sentiment set, for comparison with `sequor train` + `evaluate`.

With no SST-2 on this machine (no network), `--make-from-imdb` writes a substitute: the first 20 words of each review of
the shared IMDB subset (decoded with its word index; out-of-vocabulary ids dropped; the decoded text has no punctuation,
so "sentences" are word windows), as train.csv / test.csv. Then both programs read the same CSVs.

Recipe (as Sequor's CLI and the chapter): text lower-cased, ASCII punctuation stripped, whitespace split; vocabulary of
--num-words ids (0 padding, 1 OOV, then by count, ties by token bytes descending); pad_sequences(maxlen=100) pre/pre;
validation = 20 % of the training rows (a seeded random split); Embedding(V,16) -> LSTM(8) -> Dense(1, sigmoid);
RMSprop(lr=1e-4, rho=0.9, eps=1e-7), batch 64, up to 100 epochs, early stopping on val_loss, patience 3, best weights.
Usage: /usr/bin/python3 torch_lstm.py OUT_DIR [--make-from-imdb SHARED/data/imdb-subset] [--num-words 2000]
"""
import collections, csv, json, os, string, sys
import numpy as np
import torch

out = sys.argv[1]
args = sys.argv[2:]
num_words = int(args[args.index("--num-words") + 1]) if "--num-words" in args else 2000
os.makedirs(out, exist_ok=True)
if "--make-from-imdb" in args:
    src = args[args.index("--make-from-imdb") + 1]
    z = np.load(os.path.join(src, "imdb_subset.npz"), allow_pickle=True)
    index = json.load(open(os.path.join(src, "imdb_word_index.json")))
    words = {r + 3: w for w, r in index.items()}
    for name, x, y in (("train", z["arr_0"], z["arr_1"]), ("test", z["arr_2"], z["arr_3"])):
        with open(os.path.join(out, name + ".csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["text", "label"])
            for ids, label in zip(x, y):
                w.writerow([" ".join([words[i] for i in ids if i >= 3][:20]), int(label)])

def read(name):
    with open(os.path.join(out, name + ".csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], np.array([int(r["label"]) for r in rows], dtype=np.float32)

table = str.maketrans("", "", string.punctuation)
def tokens(t): return t.replace("<br />", " ").translate(table).lower().split()

train_text, train_y = read("train")
test_text, test_y = read("test")
counts = collections.Counter(t for text in train_text for t in tokens(text))
ranked = sorted(counts.items(), key=lambda kv: (-kv[1], [-b for b in kv[0].encode()]))[: num_words - 2]
ids = {w: i + 2 for i, (w, _) in enumerate(ranked)}
def encode(texts, maxlen=100):
    x = np.zeros((len(texts), maxlen), dtype=np.int64)
    for r, t in enumerate(texts):
        row = [ids.get(w, 1) for w in tokens(t)][-maxlen:]
        if row: x[r, maxlen - len(row):] = row
    return torch.tensor(x)

torch.manual_seed(42)
rng = np.random.RandomState(42)
order = rng.permutation(len(train_text))
n_val = int(np.ceil(0.2 * len(train_text)))
val_rows, fit_rows = order[:n_val], order[n_val:]
X = encode(train_text); Y = torch.tensor(train_y)
Xf, Yf, Xv, Yv = X[fit_rows], Y[fit_rows], X[val_rows], Y[val_rows]
Xt, Yt = encode(test_text), torch.tensor(test_y)

class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = torch.nn.Embedding(num_words, 16)
        self.lstm = torch.nn.LSTM(16, 8, batch_first=True)
        self.dense = torch.nn.Linear(8, 1)
    def forward(self, x):
        _, (h, _) = self.lstm(self.embedding(x))
        return self.dense(h[-1]).squeeze(1)

model = Model()
opt = torch.optim.RMSprop(model.parameters(), lr=1e-4, alpha=0.9, eps=1e-7)
loss_fn = torch.nn.BCEWithLogitsLoss()
def measure(x, y):
    model.eval()
    with torch.no_grad():
        z = model(x)
        return loss_fn(z, y).item(), ((z > 0).float() == y).float().mean().item()
best, best_state, wait = float("inf"), None, 0
for epoch in range(100):
    model.train()
    perm = torch.randperm(len(Xf))
    for s in range(0, len(Xf), 64):
        b = perm[s:s + 64]
        opt.zero_grad()
        loss_fn(model(Xf[b]), Yf[b]).backward()
        opt.step()
    vl, va = measure(Xv, Yv)
    print(f"epoch {epoch + 1}: val_loss {vl:.4f} val_accuracy {va:.4f}", flush=True)
    if vl < best:
        best, wait = vl, 0
        best_state = {k: v.clone() for k, v in model.state_dict().items()}
    else:
        wait += 1
        if wait >= 3: break
model.load_state_dict(best_state)
tl, ta = measure(Xt, Yt)
print(f"pytorch test: loss {tl:.4f} accuracy {ta:.4f} ({len(Xt)} samples)")
