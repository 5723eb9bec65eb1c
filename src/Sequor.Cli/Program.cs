using Sequor.Cli;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl-C stops training after the current batch (checkpoints stay intact); a second one kills.
    if (cancellation.IsCancellationRequested) return;
    e.Cancel = true;
    cancellation.Cancel();
    Console.Error.WriteLine("sequor: stopping after the current batch (Ctrl-C again to abort)");
};
var options = new CliOptions(Console.Out, Console.Error, !Console.IsOutputRedirected, cancellation.Token);
return SequorCli.Run(args, options);
