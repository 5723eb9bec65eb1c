// TorchSharp peer for the six reference Keras models (M1..M6) and the four larger ones of issue 17
// (lstm128, gru128, bilstm64, lstm2x64; sequences of 200). Same protocol and models as ../torch_peer.py; see ../README.md.
//
//   dotnet run -c Release -- --threads 1 --out ../results-torchsharp-t1-run1.json
//
// Reads ../data/synth_v{300,500}.bin, synth_v{10000,20000}_t200.bin written by ../make_data.py.
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

static class P
{
    const int SEQ = 100, BATCH = 64, N_TRAIN = 20000, N_VAL = 5000, N_ALL = 25000;
    const int STEPS_PER_EPOCH = 313, INF_BATCH = 512;

    static int inferN = N_ALL;  // sequences in the inference pass (Sequor's bench: fewer for the large models)
    static int threads = 1, steps = 100, warmup = 5, repeats = 3, fullEpochs = 3;
    static long seed = 0;
    static string models = "all", outPath = null;
    static bool overheadOnly = false;
    static string dataDir = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "data"));

    static readonly (string name, int vocab, int seqLen)[] MODELS = {
        ("simplernn-onehot", 300, SEQ), ("embedding-simplernn", 300, SEQ), ("lstm", 500, SEQ),
        ("lstm-dropout", 500, SEQ), ("lstm-2layer", 500, SEQ), ("gru", 500, SEQ),
        // the sizes people train after the chapter (issue 17), sequences of 200: Embedding(10000,128) -> LSTM(128) /
        // GRU(128); Keras's IMDB bidirectional example (vocabulary 20,000); two stacked LSTM(64) with dropout 0.3
        ("lstm128", 10000, 200), ("gru128", 10000, 200), ("bilstm64", 20000, 200), ("lstm2x64", 10000, 200),
    };

    sealed class Net : nn.Module<Tensor, Tensor>
    {
        private readonly Embedding emb;
        private readonly Dropout drop1, drop2;
        private readonly RNN srnn;
        private readonly LSTM lstm, lstm2;
        private readonly GRU gru;
        private readonly Linear fc;
        private readonly bool bidirectional;

        public Net(string name, int vocab) : base(name)
        {
            int units = 8;
            switch (name)
            {
                case "simplernn-onehot":
                    srnn = nn.RNN(vocab, 8, nonLinearity: nn.NonLinearities.Tanh, batchFirst: true); break;
                case "embedding-simplernn":
                    emb = nn.Embedding(vocab, 16);
                    srnn = nn.RNN(16, 8, nonLinearity: nn.NonLinearities.Tanh, batchFirst: true); break;
                case "lstm":
                    emb = nn.Embedding(vocab, 16); lstm = nn.LSTM(16, 8, batchFirst: true); break;
                case "lstm-dropout":
                    emb = nn.Embedding(vocab, 16); drop1 = nn.Dropout(0.3); lstm = nn.LSTM(16, 8, batchFirst: true); break;
                case "lstm-2layer":
                    emb = nn.Embedding(vocab, 16); drop1 = nn.Dropout(0.3); lstm = nn.LSTM(16, 8, batchFirst: true);
                    drop2 = nn.Dropout(0.3); lstm2 = nn.LSTM(8, 8, batchFirst: true); break;
                case "gru":
                    emb = nn.Embedding(vocab, 16); gru = nn.GRU(16, 8, batchFirst: true); break;
                case "lstm128":
                    emb = nn.Embedding(vocab, 128); lstm = nn.LSTM(128, 128, batchFirst: true); units = 128; break;
                case "gru128":  // torch GRU == Keras reset_after=True
                    emb = nn.Embedding(vocab, 128); gru = nn.GRU(128, 128, batchFirst: true); units = 128; break;
                case "bilstm64":
                    // Bidirectional(LSTM(64, return_sequences=True)) -> Bidirectional(LSTM(64)): Keras concatenates the two
                    // directions, so the second layer reads 128 features and the head the two final states
                    emb = nn.Embedding(vocab, 128);
                    lstm = nn.LSTM(128, 64, batchFirst: true, bidirectional: true);
                    lstm2 = nn.LSTM(128, 64, batchFirst: true, bidirectional: true);
                    units = 128; break;
                case "lstm2x64":
                    // Keras's LSTM(dropout=0.3) drops the layer's input with one mask per sequence; a Dropout on the LSTM's
                    // input (a mask per element) is the closest torch equivalent at the same cost
                    emb = nn.Embedding(vocab, 128); drop1 = nn.Dropout(0.3); lstm = nn.LSTM(128, 64, batchFirst: true);
                    drop2 = nn.Dropout(0.3); lstm2 = nn.LSTM(64, 64, batchFirst: true); units = 64; break;
                default: throw new ArgumentException(name);
            }
            bidirectional = name == "bilstm64";
            fc = nn.Linear(units, 1);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            if (emb is not null) x = emb.call(x);
            if (drop1 is not null) x = drop1.call(x);
            Tensor h;
            if (srnn is not null) { var (_, hn) = srnn.call(x, null); h = hn; }
            else if (gru is not null) { var (_, hn) = gru.call(x, null); h = hn; }
            else
            {
                var (o, hn, _) = lstm.call(x, null); h = hn;
                if (lstm2 is not null) { var (_, hn2, _) = lstm2.call(drop2 is null ? o : drop2.call(o), null); h = hn2; }
            }
            // the last layer's final state; both directions' (forward, backward) concatenated for a bidirectional one
            var last = bidirectional ? torch.cat(new[] { h[-2], h[-1] }, 1) : h[-1];
            return torch.sigmoid(fc.call(last)).squeeze(1);
        }
    }

    static (Tensor x, Tensor y) LoadInputs(string name, int vocab, int seqLen)
    {
        var path = Path.Combine(dataDir, seqLen == SEQ ? $"synth_v{vocab}.bin" : $"synth_v{vocab}_t{seqLen}.bin");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} missing: run /usr/bin/python3 ../make_data.py first");
        var bytes = File.ReadAllBytes(path);
        var ints = MemoryMarshal.Cast<byte, int>(bytes);
        int n = ints[0], t = ints[1], v = ints[2];
        if (n != N_ALL || t != seqLen || v != vocab) throw new InvalidDataException(path);
        var tok = new long[n * t];
        for (int i = 0; i < tok.Length; i++) tok[i] = ints[3 + i];
        var lab = new float[n];
        for (int i = 0; i < n; i++) lab[i] = ints[3 + n * t + i];
        var tokens = torch.tensor(tok, new long[] { n, t });
        var y = torch.tensor(lab, new long[] { n });
        if (name == "simplernn-onehot")
        {
            // the notebook feeds to_categorical(x, 300) float arrays: build them up front
            var x = torch.zeros(new long[] { n, t, vocab }, ScalarType.Float32);
            const int chunk = 1000;
            for (int s = 0; s < n; s += chunk)
            {
                using var d = torch.NewDisposeScope();
                var oh = nn.functional.one_hot(tokens.narrow(0, s, chunk), vocab).to_type(ScalarType.Float32);
                x.narrow(0, s, chunk).copy_(oh);
            }
            tokens.Dispose();
            return (x, y);
        }
        return (tokens, y);
    }

    static Tensor TrainStep(Net model, optim.Optimizer opt, Tensor xb, Tensor yb)
    {
        opt.zero_grad();
        var p = model.call(xb);
        var loss = nn.functional.binary_cross_entropy(p, yb);
        loss.backward();
        opt.step();
        return loss;
    }

    // (wall s, system busy jiffies, steal jiffies, this process's jiffies) from /proc (HZ = 100)
    static (double, long, long, long) CpuSnap()
    {
        var v = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
        var st = File.ReadAllText("/proc/self/stat");
        var fl = st.Substring(st.LastIndexOf(')') + 2).Split(' ');
        return (Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency, v[0] + v[1] + v[2] + v[5] + v[6], v.Length > 7 ? v[7] : 0, long.Parse(fl[11]) + long.Parse(fl[12]));
    }
    // CPU cores used by OTHER processes, and hypervisor steal, averaged over [a, b]
    static JsonArray Noise((double, long, long, long) a, (double, long, long, long) b)
    {
        double wall = b.Item1 - a.Item1;
        return new JsonArray(Math.Round(((b.Item2 - a.Item2) - (b.Item4 - a.Item4)) / 100.0 / wall, 3), Math.Round((b.Item3 - a.Item3) / 100.0 / wall, 3));
    }

    static double Median(List<double> v) { var s = v.OrderBy(a => a).ToList(); int m = s.Count / 2; return s.Count % 2 == 1 ? s[m] : 0.5 * (s[m - 1] + s[m]); }
    static JsonArray Arr(List<double> v, int digits) { var a = new JsonArray(); foreach (var d in v) a.Add(Math.Round(d, digits)); return a; }

    static JsonObject Bench(string name, int vocab, int seqLen)
    {
        torch.manual_seed(seed);
        var gen = new Generator((ulong)seed + 1);
        var (x, y) = LoadInputs(name, vocab, seqLen);
        var model = new Net(name, vocab);
        long nparams = model.parameters().Sum(p => p.numel());
        // Keras RMSprop defaults: rho=0.9, epsilon=1e-7
        var opt = optim.RMSProp(model.parameters(), lr: 1e-4, alpha: 0.9, eps: 1e-7);
        model.train();

        Tensor perm = null; int pos = N_TRAIN;
        (Tensor, Tensor) Next()
        {
            if (pos >= N_TRAIN) { perm?.Dispose(); perm = torch.randperm(N_TRAIN, generator: gen).DetachFromDisposeScope(); pos = 0; }
            int len = Math.Min(BATCH, N_TRAIN - pos);
            var idx = perm.narrow(0, pos, len);
            pos += BATCH;
            return (x.index_select(0, idx), y.index_select(0, idx));
        }

        for (int i = 0; i < warmup; i++)
        {
            using var d = torch.NewDisposeScope();
            var (xb, yb) = Next(); TrainStep(model, opt, xb, yb);
        }
        var ms = new List<double>();
        var msNoise = new JsonArray();
        double lastLoss = 0;
        for (int r = 0; r < repeats; r++)
        {
            var c0 = CpuSnap();
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < steps; i++)
            {
                using var d = torch.NewDisposeScope();
                var (xb, yb) = Next();
                var loss = TrainStep(model, opt, xb, yb);
                if (i == steps - 1) lastLoss = loss.item<float>();
            }
            ms.Add(sw.Elapsed.TotalMilliseconds / steps);
            msNoise.Add(Noise(c0, CpuSnap()));
        }
        double msMed = Median(ms);
        var res = new JsonObject
        {
            ["peer"] = "torchsharp",
            ["torchsharp_version"] = typeof(torch).Assembly.GetName().Version?.ToString(),
            ["model"] = name,
            ["threads"] = threads,
            ["torch_num_threads"] = torch.get_num_threads(),
            ["params"] = nparams,
            ["train_ms_per_step"] = Math.Round(msMed, 3),
            ["train_ms_per_step_samples"] = Arr(ms, 3),
            ["train_s_per_epoch_extrapolated"] = Math.Round(msMed * STEPS_PER_EPOCH / 1e3, 3),
            ["train_noise_foreign_cores_steal_cores"] = msNoise,
            ["steps_timed_per_block"] = steps,
            ["last_loss"] = lastLoss,
        };

        if (name == "lstm" && fullEpochs > 0)
        {
            var ep = new List<double>(); var val = new List<double>(); var epNoise = new JsonArray();
            for (int e = 0; e < fullEpochs; e++)
            {
                model.train();
                using var pe = torch.randperm(N_TRAIN, generator: gen);
                var c0 = CpuSnap();
                var sw = Stopwatch.StartNew();
                for (int s = 0; s < STEPS_PER_EPOCH; s++)
                {
                    using var d = torch.NewDisposeScope();
                    int len = Math.Min(BATCH, N_TRAIN - s * BATCH);
                    var idx = pe.narrow(0, s * BATCH, len);
                    TrainStep(model, opt, x.index_select(0, idx), y.index_select(0, idx));
                }
                ep.Add(sw.Elapsed.TotalSeconds);
                epNoise.Add(Noise(c0, CpuSnap()));
                model.eval();
                sw.Restart();
                using (torch.no_grad())
                {
                    for (int s = 0; s < N_VAL; s += BATCH)
                    {
                        using var d = torch.NewDisposeScope();
                        int len = Math.Min(BATCH, N_VAL - s);
                        nn.functional.binary_cross_entropy(model.call(x.narrow(0, N_TRAIN + s, len)), y.narrow(0, N_TRAIN + s, len));
                    }
                }
                val.Add(sw.Elapsed.TotalSeconds);
            }
            res["full_epoch_s_samples"] = Arr(ep, 3);
            res["full_epoch_s"] = Math.Round(Median(ep), 3);
            res["full_epoch_noise_foreign_cores_steal_cores"] = epNoise;
            res["val_pass_s_batch64_samples"] = Arr(val, 3);
            res["val_pass_s_batch64"] = Math.Round(Median(val), 3);
        }

        model.eval();
        var inf = new List<double>();
        var infNoise = new JsonArray();
        using (torch.no_grad())
        {
            using (var d = torch.NewDisposeScope()) model.call(x.narrow(0, 0, INF_BATCH));
            for (int r = 0; r < repeats; r++)
            {
                var c0 = CpuSnap();
                var sw = Stopwatch.StartNew();
                double acc = 0;
                for (int s = 0; s < inferN; s += INF_BATCH)
                {
                    using var d = torch.NewDisposeScope();
                    int len = Math.Min(INF_BATCH, inferN - s);
                    var p = model.call(x.narrow(0, s, len));
                    acc += p[0].item<float>();
                }
                inf.Add(sw.Elapsed.TotalSeconds);
                infNoise.Add(Noise(c0, CpuSnap()));
            }
        }
        double tMed = Median(inf);
        res["infer_s_25000"] = Math.Round(tMed, 4);
        res["infer_s_25000_samples"] = Arr(inf, 4);
        res["infer_noise_foreign_cores_steal_cores"] = infNoise;
        res["infer_n"] = inferN;
        res["infer_seq_per_s"] = Math.Round(inferN / tMed, 1);

        perm?.Dispose(); opt.Dispose(); model.Dispose(); x.Dispose(); y.Dispose();
        GC.Collect();
        return res;
    }

    // per-op fixed cost of TorchSharp -> libtorch dispatch on tiny tensors (one RNN state = 64x8)
    static double PerOpUs(Func<Tensor> f, int n = 20000)
    {
        for (int i = 0; i < 1000; i++) { using var d = torch.NewDisposeScope(); f(); }
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < n; i++) { using var d = torch.NewDisposeScope(); f(); }
        return sw.Elapsed.TotalMilliseconds * 1e3 / n;
    }

    static int Overhead()
    {
        var a = torch.randn(64, 8); var b = torch.randn(64, 8); var w = torch.randn(8, 32);
        var o = new JsonObject
        {
            ["peer"] = "torchsharp", ["threads"] = threads,
            ["us_per_op_add_64x8"] = Math.Round(PerOpUs(() => torch.add(a, b)), 3),
            ["us_per_op_sigmoid_64x8"] = Math.Round(PerOpUs(() => torch.sigmoid(a)), 3),
            ["us_per_op_mm_64x8_8x32"] = Math.Round(PerOpUs(() => torch.mm(a, w)), 3),
        };
        Console.WriteLine(o.ToJsonString());
        if (outPath != null) File.WriteAllText(outPath, o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    static int Main(string[] argv)
    {
        for (int i = 0; i < argv.Length; i++)
        {
            string a = argv[i];
            string V() => argv[++i];
            switch (a)
            {
                case "--threads": threads = int.Parse(V()); break;
                case "--steps": steps = int.Parse(V()); break;
                case "--warmup": warmup = int.Parse(V()); break;
                case "--repeats": repeats = int.Parse(V()); break;
                case "--full-epochs": fullEpochs = int.Parse(V()); break;
                case "--models": models = V(); break;
                case "--out": outPath = V(); break;
                case "--seed": seed = long.Parse(V()); break;
                case "--data": dataDir = V(); break;
                case "--infer-n": inferN = int.Parse(V()); break;
                case "--overhead": overheadOnly = true; break;
                default: Console.Error.WriteLine($"unknown arg {a}"); return 2;
            }
        }
        torch.set_num_threads(threads);
        if (overheadOnly) return Overhead();
        var names = models == "all" ? MODELS.Select(m => m.name).ToArray() : models.Split(',');
        var results = new JsonArray();
        foreach (var n in names)
        {
            if (!MODELS.Any(m => m.name == n)) { Console.Error.WriteLine($"unknown model {n}"); return 2; }
            var (_, vocab, seqLen) = MODELS.First(m => m.name == n);
            var r = Bench(n, vocab, seqLen);
            Console.WriteLine(r.ToJsonString());
            results.Add(r);
        }
        var outObj = new JsonObject
        {
            ["peer"] = "torchsharp",
            ["torchsharp_version"] = typeof(torch).Assembly.GetName().Version?.ToString(),
            ["dotnet"] = Environment.Version.ToString(),
            ["threads"] = threads,
            ["torch_num_threads"] = torch.get_num_threads(),
            ["steps"] = steps, ["warmup"] = warmup, ["repeats"] = repeats,
            ["results"] = results,
        };
        if (outPath != null) File.WriteAllText(outPath, outObj.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }
}
