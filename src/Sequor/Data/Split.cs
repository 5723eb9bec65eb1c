namespace Sequor.Data;

/// <summary>
/// sklearn's <c>train_test_split</c>, index for index: with the same <c>random_state</c> a C# user gets the
/// very rows the Python notebook gets (numpy's legacy <c>RandomState</c> drives both).
/// </summary>
public static class Split
{
    /// <summary>
    /// The train and test row indices sklearn's <c>train_test_split</c> picks for <paramref name="n"/> rows.
    /// Sizes follow <c>_validate_shuffle_split</c>: a fractional test size is rounded up, a fractional
    /// train size down; with neither given the test size is 0.25. With <paramref name="shuffle"/> the
    /// split is <c>ShuffleSplit</c> (test = the front of <c>permutation(n)</c>), or
    /// <c>StratifiedShuffleSplit</c> when <paramref name="stratify"/> labels are given; without it, train
    /// is the first rows and test the next. <paramref name="randomState"/> null draws a fresh seed
    /// (sklearn would use numpy's global generator: also not reproducible).
    /// </summary>
    public static (int[] Train, int[] Test) TrainTestSplit(
        int n, SplitSize? testSize = null, SplitSize? trainSize = null, long? randomState = null,
        bool shuffle = true, IReadOnlyList<int>? stratify = null)
    {
        var (nTrain, nTest) = Sizes(n, testSize, trainSize);
        if (!shuffle)
        {
            if (stratify is not null)
                throw new SequorException("TrainTestSplit: stratify needs shuffle: true (as in sklearn)");
            return (Range(0, nTrain), Range(nTrain, nTest));
        }
        var rng = randomState is long seed
            ? NumpyRandom.FromSeed(seed, "TrainTestSplit randomState")
            : new NumpyRandom((uint)Random.Shared.NextInt64(0, 1L << 32));
        if (stratify is null)
        {
            var perm = rng.Permutation(n);
            return (perm[nTest..(nTest + nTrain)], perm[..nTest]);
        }
        if (stratify.Count != n)
            throw new SequorException($"TrainTestSplit: stratify has {stratify.Count} labels for {n} rows");
        return Stratified(n, nTrain, nTest, stratify, rng);
    }

    /// <summary>
    /// Splits two parallel arrays like <c>x_train, x_test, y_train, y_test = train_test_split(x, y, …)</c>,
    /// rows in the order sklearn returns them.
    /// </summary>
    public static (TX[] XTrain, TX[] XTest, TY[] YTrain, TY[] YTest) TrainTestSplit<TX, TY>(
        IReadOnlyList<TX> x, IReadOnlyList<TY> y, SplitSize? testSize = null, SplitSize? trainSize = null,
        long? randomState = null, bool shuffle = true, IReadOnlyList<int>? stratify = null)
    {
        if (x.Count != y.Count)
            throw new SequorException($"TrainTestSplit: x has {x.Count} rows but y has {y.Count}");
        var (train, test) = TrainTestSplit(x.Count, testSize, trainSize, randomState, shuffle, stratify);
        return (Take(x, train), Take(x, test), Take(y, train), Take(y, test));
    }

    internal static (int Train, int Test) Sizes(int n, SplitSize? testSize, SplitSize? trainSize)
    {
        if (n <= 0) throw new SequorException($"TrainTestSplit: n is {n}, expected at least one row");
        if (testSize is null && trainSize is null) testSize = 0.25;
        Check(testSize, n, "testSize");
        Check(trainSize, n, "trainSize");
        if (testSize is { IsCount: false } te && trainSize is { IsCount: false } tr && te.Fraction + tr.Fraction > 1)
            throw new SequorException($"TrainTestSplit: testSize {te} + trainSize {tr} = {te.Fraction + tr.Fraction}, expected at most 1");
        double nTest = testSize is { } t ? (t.IsCount ? t.Count : Math.Ceiling(t.Fraction * n)) : 0;
        double nTrain = trainSize is { } r ? (r.IsCount ? r.Count : Math.Floor(r.Fraction * n)) : 0;
        if (trainSize is null) nTrain = n - nTest;
        else if (testSize is null) nTest = n - nTrain;
        if (nTrain + nTest > n)
            throw new SequorException($"TrainTestSplit: train {nTrain} + test {nTest} rows exceed the {n} rows available");
        if (nTrain == 0)
            throw new SequorException($"TrainTestSplit: with n={n}, testSize={testSize} and trainSize={trainSize} the train set would be empty");
        return ((int)nTrain, (int)nTest);
    }

    private static void Check(SplitSize? size, int n, string name)
    {
        if (size is not { } s) return;
        if (s.IsCount ? s.Count <= 0 || s.Count >= n : !(s.Fraction > 0 && s.Fraction < 1))
            throw new SequorException($"TrainTestSplit: {name}={s} should be a count in 1..{n - 1} or a fraction in (0, 1)");
    }

    private static (int[] Train, int[] Test) Stratified(int n, int nTrain, int nTest, IReadOnlyList<int> y, NumpyRandom rng)
    {
        // np.unique(y, return_inverse=True): classes in ascending order.
        int[] classes = y.Distinct().Order().ToArray();
        var classOf = new Dictionary<int, int>();
        for (int c = 0; c < classes.Length; c++) classOf[classes[c]] = c;
        var counts = new int[classes.Length];
        // A stable sort of the class ids, split per class: each class's rows in ascending order.
        var classIndices = new List<int>[classes.Length];
        for (int c = 0; c < classes.Length; c++) classIndices[c] = [];
        for (int i = 0; i < n; i++) { int c = classOf[y[i]]; counts[c]++; classIndices[c].Add(i); }
        int smallest = counts.Min();
        if (smallest < 2)
            throw new SequorException($"TrainTestSplit: stratify class {classes[Array.IndexOf(counts, smallest)]} has only {smallest} member, at least 2 are needed");
        if (nTrain < classes.Length)
            throw new SequorException($"TrainTestSplit: train size {nTrain} is smaller than the {classes.Length} stratify classes");
        if (nTest < classes.Length)
            throw new SequorException($"TrainTestSplit: test size {nTest} is smaller than the {classes.Length} stratify classes");

        var trainPerClass = ApproximateMode(counts, nTrain, rng);
        var remaining = new int[counts.Length];
        for (int c = 0; c < counts.Length; c++) remaining[c] = counts[c] - trainPerClass[c];
        var testPerClass = ApproximateMode(remaining, nTest, rng);

        var train = new List<int>(nTrain);
        var test = new List<int>(nTest);
        for (int c = 0; c < classes.Length; c++)
        {
            var perm = rng.Permutation(counts[c]);
            var rows = classIndices[c];
            for (int k = 0; k < trainPerClass[c]; k++) train.Add(rows[perm[k]]);
            for (int k = trainPerClass[c]; k < trainPerClass[c] + testPerClass[c]; k++) test.Add(rows[perm[k]]);
        }
        var trainShuffled = rng.Permutation(train);
        var testShuffled = rng.Permutation(test);
        return (trainShuffled, testShuffled);
    }

    /// <summary>
    /// sklearn's <c>_approximate_mode</c>: the per-class draw counts closest to the class proportions,
    /// the leftover draws going to the largest remainders, ties broken at random by the same generator.
    /// </summary>
    internal static int[] ApproximateMode(int[] classCounts, int draws, NumpyRandom rng)
    {
        long total = 0;
        foreach (int c in classCounts) total += c;
        var continuous = new double[classCounts.Length];
        var floored = new int[classCounts.Length];
        double flooredSum = 0;
        for (int i = 0; i < continuous.Length; i++)
        {
            continuous[i] = (double)classCounts[i] / total * draws;
            double f = Math.Floor(continuous[i]);
            floored[i] = (int)f;
            flooredSum += f;
        }
        int needToAdd = (int)(draws - flooredSum);
        if (needToAdd > 0)
        {
            var remainder = new double[continuous.Length];
            for (int i = 0; i < remainder.Length; i++) remainder[i] = continuous[i] - floored[i];
            foreach (double value in remainder.Distinct().OrderDescending())
            {
                var inds = Enumerable.Range(0, remainder.Length).Where(i => remainder[i] == value).ToArray();
                int addNow = Math.Min(inds.Length, needToAdd);
                foreach (int i in rng.ChoiceWithoutReplacement(inds, addNow)) floored[i]++;
                needToAdd -= addNow;
                if (needToAdd == 0) break;
            }
        }
        return floored;
    }

    private static int[] Range(int start, int count)
    {
        var r = new int[count];
        for (int i = 0; i < count; i++) r[i] = start + i;
        return r;
    }

    private static T[] Take<T>(IReadOnlyList<T> items, int[] rows)
    {
        var r = new T[rows.Length];
        for (int i = 0; i < rows.Length; i++) r[i] = items[rows[i]];
        return r;
    }
}
