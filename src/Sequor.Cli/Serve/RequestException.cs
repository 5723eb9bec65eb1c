using Microsoft.AspNetCore.Http;

namespace Sequor.Cli.Serve;

/// <summary>A request the server refuses: the HTTP status and the one-line reason sent back as <c>{"error": ...}</c>.</summary>
internal sealed class RequestException(int status, string message) : Exception(message)
{
    public int Status => status;

    public static RequestException BadRequest(string message) => new(StatusCodes.Status400BadRequest, message);
}
