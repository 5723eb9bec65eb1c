"""The chapter's lstm recipe in PyTorch, for comparison with `sequor train` + `sequor evaluate` on the same CSVs.

Reads DATA_DIR/train.csv and DATA_DIR/test.csv (columns text,label; make_mr_csv.py writes them for the MR sentences).
The recipe, made the same as Sequor's CLI and the chapter's Keras code in every part that is not random:
- tokens: Keras TextVectorization defaults — ASCII lower-casing, the ASCII punctuation set (apostrophe included)
  deleted, whitespace split (Sequor also turns IMDB's "<br />" into a space first; done here too);
- vocabulary: --num-words ids in all, 0 padding and 1 OOV included, then tokens of the training part by count, ties by
  token bytes descending (Keras adapt), learnt from the whole training part as `sequor train` does;
- pad_sequences(maxlen=--maxlen) with padding and truncating at the front ("pre"), no masking;
- validation: train_test_split(test_size=0.2, random_state=42) of the training part — the first ceil(0.2 n) rows of
  RandomState(42).permutation(n) are held out;
- model: Embedding(V, 16) -> LSTM(8) -> Dense(1, sigmoid), with Keras's initialisation: embeddings U(-0.05, 0.05);
  LSTM kernel glorot_uniform, recurrent kernel orthogonal (Keras's Orthogonal), bias zeros but the forget block ones
  (unit_forget_bias); Dense glorot_uniform, bias zero;
- optimizer: Keras 3's RMSprop (keras/src/optimizers/rmsprop.py): v = rho v + (1 - rho) g^2 with rho 0.9,
  w -= lr g / sqrt(v + epsilon), epsilon 1e-7 INSIDE the square root, v starting at zero; lr 1e-4;
- batch 64 (the last one smaller), shuffled each epoch, up to 100 epochs, early stopping on val_loss (min_delta 0,
  patience 3) restoring the best weights; binary cross-entropy.
Usage: /usr/bin/python3 torch_lstm.py DATA_DIR [--seeds 1,2,3,4,5] [--num-words 2000] [--maxlen 100] [--threads 1]
       /usr/bin/python3 torch_lstm.py DATA_DIR --load-sequor RUN.keras   (a Sequor checkpoint's weights, evaluated here)
Prints one line per seed ("seed N: test loss L accuracy A (E epochs, best B)") and the mean and spread; each epoch's
validation loss and accuracy go to standard error.
"""
import collections, csv, math, os, string, sys
import numpy as np
import torch

data = sys.argv[1]
args = sys.argv[2:]
def option(name, default): return args[args.index(name) + 1] if name in args else default
seeds = [int(s) for s in option("--seeds", "1,2,3,4,5").split(",")]
num_words = int(option("--num-words", "2000"))
maxlen = int(option("--maxlen", "100"))
torch.set_num_threads(int(option("--threads", "1")))

def read(name):
    with open(os.path.join(data, name + ".csv"), encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], np.array([int(r["label"]) for r in rows], dtype=np.float32)

punctuation = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~'"
table = str.maketrans("", "", punctuation)
def lower_ascii(t): return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in t)
def tokens(t): return lower_ascii(t.replace("<br />", " ").translate(table)).split()

train_text, train_y = read("train")
test_text, test_y = read("test")
counts = collections.Counter(t for text in train_text for t in tokens(text))
ranked = sorted(counts.items(), key=lambda kv: (-kv[1], [-b for b in kv[0].encode()] + [1]))[: num_words - 2]
ids = {w: i + 2 for i, (w, _) in enumerate(ranked)}
def encode(texts):
    x = np.zeros((len(texts), maxlen), dtype=np.int64)
    for r, t in enumerate(texts):
        row = [ids.get(w, 1) for w in tokens(t)][-maxlen:]
        if row: x[r, maxlen - len(row):] = row
    return torch.tensor(x)

order = np.random.RandomState(42).permutation(len(train_text))
n_val = math.ceil(0.2 * len(train_text))
val_rows, fit_rows = order[:n_val], order[n_val:]
X, Y = encode(train_text), torch.tensor(train_y)
Xf, Yf, Xv, Yv = X[fit_rows], Y[fit_rows], X[val_rows], Y[val_rows]
Xt, Yt = encode(test_text), torch.tensor(test_y)

def glorot_uniform(fan_in, fan_out, g):
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return (torch.rand(fan_in, fan_out, generator=g) * 2 - 1) * limit  # Keras layout [in, out]

def orthogonal(rows, cols, g):
    # keras.initializers.Orthogonal: QR of a normal (max, min) matrix, signs fixed by diag(R), transposed if wide
    a = torch.randn(max(rows, cols), min(rows, cols), generator=g)
    q, r = torch.linalg.qr(a)
    q = q * torch.sign(torch.diagonal(r))
    return q.T if rows < cols else q

class Model(torch.nn.Module):
    def __init__(self, seed):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.embedding = torch.nn.Embedding(num_words, 16)
        self.lstm = torch.nn.LSTM(16, 8, batch_first=True)
        self.dense = torch.nn.Linear(8, 1)
        with torch.no_grad():
            self.embedding.weight.copy_((torch.rand(num_words, 16, generator=g) * 2 - 1) * 0.05)
            # Keras kernel [16, 4*8] and recurrent kernel [8, 4*8], gates i, f, c, o — PyTorch's order, transposed
            self.lstm.weight_ih_l0.copy_(glorot_uniform(16, 32, g).T)
            self.lstm.weight_hh_l0.copy_(orthogonal(8, 32, g).T)
            bias = torch.zeros(32)
            bias[8:16] = 1.0  # unit_forget_bias
            self.lstm.bias_ih_l0.copy_(bias)
            self.lstm.bias_hh_l0.zero_()  # PyTorch adds two biases; Keras has one
            self.dense.weight.copy_(glorot_uniform(8, 1, g).T)
            self.dense.bias.zero_()
    def forward(self, x):
        _, (h, _) = self.lstm(self.embedding(x))
        return self.dense(h[-1]).squeeze(1)

class KerasRMSprop:
    """keras/src/optimizers/rmsprop.py without momentum or centering: epsilon inside the square root."""
    def __init__(self, params, lr=1e-4, rho=0.9, epsilon=1e-7):
        self.params, self.lr, self.rho, self.epsilon = list(params), lr, rho, epsilon
        self.v = [torch.zeros_like(p) for p in self.params]
    def zero_grad(self):
        for p in self.params: p.grad = None
    @torch.no_grad()
    def step(self):
        for p, v in zip(self.params, self.v):
            g = p.grad
            v.mul_(self.rho).add_((1 - self.rho) * g * g)
            p.sub_(self.lr * g / torch.sqrt(v + self.epsilon))

loss_fn = torch.nn.BCEWithLogitsLoss()
def measure(model, x, y):
    model.eval()
    with torch.no_grad():
        z = model(x)
        return loss_fn(z, y).item(), ((z > 0).float() == y).float().mean().item()

def run(seed):
    torch.manual_seed(seed)
    model = Model(seed)
    opt = KerasRMSprop(model.parameters())
    shuffle = torch.Generator().manual_seed(seed + 1)
    best, best_epoch, best_state, wait, epoch = float("inf"), 0, None, 0, 0
    for epoch in range(1, 101):
        model.train()
        perm = torch.randperm(len(Xf), generator=shuffle)
        for s in range(0, len(Xf), 64):
            b = perm[s:s + 64]
            opt.zero_grad()
            loss_fn(model(Xf[b]), Yf[b]).backward()
            opt.step()
        vl, va = measure(model, Xv, Yv)
        print(f"  seed {seed} epoch {epoch}: val_loss {vl:.4f} val_accuracy {va:.4f}", file=sys.stderr, flush=True)
        if vl < best:
            best, best_epoch, wait = vl, epoch, 0
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        else:
            wait += 1
            if wait >= 3: break
    model.load_state_dict(best_state)
    tl, ta = measure(model, Xt, Yt)
    print(f"seed {seed}: test loss {tl:.4f} accuracy {ta:.4f} ({len(Xt)} samples; {epoch} epochs, best {best_epoch}, val_loss {best:.4f})", flush=True)
    return ta

print(f"{len(Xf)} training, {len(Xv)} validation, {len(Xt)} test sequences of length {maxlen}; vocabulary {len(ids) + 2}", flush=True)
if "--load-sequor" in args:
    # the same pipeline and forward pass on the weights of a Sequor checkpoint: its test figures should be evaluate's
    import h5py, zipfile, io
    path = option("--load-sequor", None)
    with zipfile.ZipFile(path) as z:
        weights = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
        w = lambda name: torch.tensor(weights["layers/" + name][()])
        model = Model(0)
        with torch.no_grad():
            model.embedding.weight.copy_(w("embedding/vars/0"))
            model.lstm.weight_ih_l0.copy_(w("lstm/cell/vars/0").T)
            model.lstm.weight_hh_l0.copy_(w("lstm/cell/vars/1").T)
            model.lstm.bias_ih_l0.copy_(w("lstm/cell/vars/2"))
            model.lstm.bias_hh_l0.zero_()
            model.dense.weight.copy_(w("dense/vars/0").T)
            model.dense.bias.copy_(w("dense/vars/1"))
    tl, ta = measure(model, Xt, Yt)
    vl, va = measure(model, Xv, Yv)
    print(f"{path} in PyTorch: test loss {tl:.4f} accuracy {ta:.4f}; validation loss {vl:.4f} accuracy {va:.4f}")
    sys.exit(0)
accuracies = [run(s) for s in seeds]
print(f"pytorch test accuracy over {len(seeds)} seeds: mean {np.mean(accuracies):.4f}, std {np.std(accuracies, ddof=1) if len(seeds) > 1 else 0:.4f}, "
      f"min {min(accuracies):.4f}, max {max(accuracies):.4f}")
