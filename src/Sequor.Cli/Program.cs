using System.Runtime.InteropServices;
using Sequor.Cli;

using var cancellation = new CancellationTokenSource();
// The first Ctrl-C (SIGINT) or SIGTERM stops training after the current batch: that epoch is dropped and the
// best checkpoint stays as the last completed epoch left it. A second Ctrl-C kills.
void Stop(PosixSignalContext context)
{
    if (cancellation.IsCancellationRequested) return;
    context.Cancel = true;
    cancellation.Cancel();
    Console.Error.WriteLine(SequorCli.StopMessage(context.Signal, args, terminal: !Console.IsOutputRedirected && !Console.IsErrorRedirected));
}
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
var options = new CliOptions(Console.Out, Console.Error, !Console.IsOutputRedirected, cancellation.Token);
return SequorCli.Run(args, options);
