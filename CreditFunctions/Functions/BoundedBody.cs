using System.Text;
using Microsoft.AspNetCore.Http;

namespace CreditFunctions.Functions;

/// <summary>
/// Reads a request body as UTF-8 text, but never more than a cap: a larger body is refused before any parsing. Bytes that
/// are not UTF-8 are refused too, never replaced; a leading byte-order mark is dropped.
/// </summary>
internal static class BoundedBody
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <returns>The body, or null when it is longer than <paramref name="maxBytes"/>.</returns>
    /// <exception cref="DecoderFallbackException">The body is not UTF-8.</exception>
    public static async Task<string?> ReadAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        return Strict.GetString(bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? bytes[3..] : bytes);
    }
}
