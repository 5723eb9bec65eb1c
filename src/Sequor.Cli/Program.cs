using System.Reflection;

var version = typeof(Sequor.Tensor).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
if (args is ["--version"] or [])
{
    Console.WriteLine($"sequor {version}");
    return 0;
}
Console.Error.WriteLine($"sequor: unknown command '{args[0]}' (this version only prints its version: sequor --version)");
return 2;
