namespace Skiff.Api;

/// <summary>
/// An error with the HTTP status Docker uses for it. The daemon turns it into
/// <c>{"message": ...}</c> with <c>Content-Type: application/json</c> exactly (the docker CLI compares
/// the header with ==, see reference NOTES.md §0).
/// </summary>
public class SkiffException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}

public sealed class NotFoundException(string message) : SkiffException(404, message);

public sealed class ConflictException(string message) : SkiffException(409, message);

public sealed class BadRequestException(string message) : SkiffException(400, message);

public sealed class NotModifiedException() : SkiffException(304, "");

public sealed class ErrorResponse
{
    [System.Text.Json.Serialization.JsonPropertyName("message")]
    public string Message { get; set; } = "";
}
