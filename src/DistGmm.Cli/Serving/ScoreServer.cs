using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using DistGmm.Reporting.Hosting;

namespace DistGmm.Cli.Serving;

public sealed record ScoreServerOptions
{
    /// <summary>Semicolon-separated http(s) URLs; port 0 picks a free port (see <see cref="ScoreServer.BaseAddress"/>).</summary>
    public string Urls { get; init; } = "http://127.0.0.1:8080";

    /// <summary>A non-loopback bind exposes the model to the network, so it must be asked for explicitly.</summary>
    public bool AllowRemote { get; init; }

    /// <summary>Larger request bodies get 413 before they are read.</summary>
    public long MaxBodyBytes { get; init; } = 1 << 20;

    /// <summary>More rows in one request get 413.</summary>
    public int MaxRows { get; init; } = 10_000;

    /// <summary>Unlikely features listed per row.</summary>
    public int TopFeatures { get; init; } = 5;
}

/// <summary>
/// The model over HTTP (Kestrel): <c>POST /score</c> (JSON rows → score, anomaly flag, unlikely features),
/// <c>GET /model</c> (summary and the expected columns), <c>GET /healthz</c>. Answers are JSON; refusals carry
/// <c>{"error", "reasons"}</c> with 400 (bad rows), 413 (too large), 415 (not JSON).
/// </summary>
public sealed class ScoreServer : IAsyncDisposable
{
    private readonly LoopbackWebHost _host;

    private ScoreServer(LoopbackWebHost host) => _host = host;

    public IReadOnlyList<Uri> Addresses => _host.Addresses;

    public Uri BaseAddress => _host.BaseAddress;

    public static async Task<ScoreServer> StartAsync(ServingModel model, ScoreServerOptions options, CancellationToken ct = default)
    {
        if (options.MaxBodyBytes < 2) throw new ArgumentException($"--max-body-bytes must be at least 2 (got {options.MaxBodyBytes})");
        if (options.MaxRows < 1) throw new ArgumentException($"--max-rows must be at least 1 (got {options.MaxRows})");
        var modelSummary = ModelSummary(model, options);
        var host = await LoopbackWebHost.StartAsync("serve", options.Urls, options.AllowRemote, app =>
        {
            app.MapGet("/healthz", () => Results.Text("ok"));
            app.MapGet("/model", () => Results.Bytes(modelSummary, "application/json"));
            app.MapPost("/score", (HttpContext http) => HandleScore(http, model, options));
        }, k => k.Limits.MaxRequestBodySize = options.MaxBodyBytes, ct).ConfigureAwait(false);
        return new ScoreServer(host);
    }

    /// <summary>Completes when the server stops (Ctrl+C / SIGTERM through the host's lifetime, or <paramref name="ct"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken ct) => _host.WaitForShutdownAsync(ct);

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private static async Task HandleScore(HttpContext http, ServingModel model, ScoreServerOptions options)
    {
        var contentType = http.Request.ContentType;
        if (contentType is not null && !contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            await Refuse(http, new RequestError(415, [$"content type '{contentType}' is not JSON; send application/json"]));
            return;
        }
        byte[] body;
        try
        {
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
            body = buffer.ToArray();
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await Refuse(http, new RequestError(413, [$"body: larger than the limit of {options.MaxBodyBytes} bytes"]));
            return;
        }
        var (batch, multiplicities, error) = ScoreRequest.ParseRows(body, model, options.MaxRows);
        if (error is not null)
        {
            await Refuse(http, error);
            return;
        }
        if (model.UnscorableRows(batch!, ScoreRequest.MaxReasons) is { Count: > 0 } unscorable)
        {
            await Refuse(http, new RequestError(400, unscorable));
            return;
        }
        ScoredRow[] scored;
        try
        {
            scored = model.Score(batch!, options.TopFeatures, multiplicities);
        }
        catch (Exception ex) when (ex is DistGmm.Data.DataFormatException or ArgumentException)
        {
            // Anything the row checks missed but the preprocessor refuses is still the caller's data.
            await Refuse(http, new RequestError(400, [ex.Message]));
            return;
        }
        http.Response.ContentType = "application/json";
        await http.Response.Body.WriteAsync(ScoreResponse(model, scored), http.RequestAborted);
    }

    private static async Task Refuse(HttpContext http, RequestError error)
    {
        http.Response.StatusCode = error.Status;
        http.Response.ContentType = "application/json";
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, JsonNumbers.Relaxed))
        {
            w.WriteStartObject();
            w.WriteString("error", error.Status switch
            {
                413 => "request too large",
                415 => "unsupported media type",
                _ => "invalid request",
            });
            w.WriteStartArray("reasons");
            foreach (var reason in error.Reasons) w.WriteStringValue(reason);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        await http.Response.Body.WriteAsync(buffer.ToArray(), http.RequestAborted);
    }

    /// <summary>
    /// {"threshold", "results": [{"row", "score", "anomaly" (null without a threshold), "component", "componentWeight", "multiplicity"? (records),
    /// "reason"? (anomalies: why the rule flagged it), "unlikelyFeatures", "unseenCategories"?}]}.
    /// </summary>
    public static byte[] ScoreResponse(ServingModel model, IReadOnlyList<ScoredRow> scored)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, JsonNumbers.Relaxed))
        {
            w.WriteStartObject();
            JsonNumbers.Write(w, "threshold", model.Threshold);
            w.WriteStartArray("results");
            for (var r = 0; r < scored.Count; r++)
            {
                var row = scored[r];
                w.WriteStartObject();
                w.WriteNumber("row", r);
                JsonNumbers.Write(w, "score", row.Score);
                if (row.Anomaly is { } anomaly) w.WriteBoolean("anomaly", anomaly);
                else w.WriteNull("anomaly");
                w.WriteNumber("component", row.Component);
                JsonNumbers.Write(w, "componentWeight", row.ComponentWeight);
                if (row.Multiplicity is { } m) w.WriteNumber("multiplicity", m);
                if (row.Reason is { } reason) w.WriteString("reason", reason);
                w.WriteStartArray("unlikelyFeatures");
                foreach (var f in row.UnlikelyFeatures)
                {
                    w.WriteStartObject();
                    w.WriteString("feature", f.Feature);
                    w.WriteString("column", f.Column);
                    JsonNumbers.Write(w, "z", f.Z);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                if (row.UnseenCategories.Count > 0)
                {
                    w.WriteStartArray("unseenCategories");
                    foreach (var u in row.UnseenCategories) w.WriteStringValue(u);
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static byte[] ModelSummary(ServingModel model, ScoreServerOptions options)
    {
        var file = model.File;
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, JsonNumbers.Relaxed with { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("path", Path.GetFullPath(model.Path));
            w.WriteNumber("formatVersion", Cluster.ModelFile.CurrentFormatVersion);
            w.WriteString("covarianceType", Cluster.ModelFile.CovarianceName(model.Model.CovarianceType));
            w.WriteNumber("k", model.Model.K);
            w.WriteNumber("d", model.Model.D);
            JsonNumbers.Write(w, "threshold", file.Threshold);
            if (file.ThresholdRule is not null) w.WriteString("thresholdRule", file.ThresholdRule);
            w.WriteNumber("trainingRows", file.Rows);
            w.WriteString("scoring", Cluster.ModelFile.ScoringName(file.Scoring));
            w.WriteNumber("iterations", file.Iterations);
            w.WriteBoolean("converged", file.Converged);
            JsonNumbers.Write(w, "meanLogLikelihood", file.MeanLogLikelihood);
            w.WriteString("missingValues", model.ImputesMissing ? $"imputed ({model.Preprocessor.Spec.Missing})" : "refused (DropRows)");
            w.WriteStartArray("columns");
            foreach (var c in model.Inputs)
            {
                w.WriteStartObject();
                w.WriteString("name", c.Name);
                w.WriteString("type", c.IsNumeric ? "number" : "string");
                if (c.Categories is { } categories)
                {
                    w.WriteStartArray("categories");
                    foreach (var v in categories) w.WriteStringValue(v);
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("featureNames");
            foreach (var f in model.Preprocessor.FeatureNames) w.WriteStringValue(f);
            w.WriteEndArray();
            w.WriteStartObject("limits");
            w.WriteNumber("maxBodyBytes", options.MaxBodyBytes);
            w.WriteNumber("maxRows", options.MaxRows);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>Validates --urls: http(s) only, loopback hosts only unless remote access is allowed.</summary>
    public static string[] ParseUrls(string urls, bool allowRemote) => LoopbackWebHost.ParseUrls("serve", urls, allowRemote);
}

/// <summary>Doubles as JSON: shortest round-trip numbers; non-finite values as strings (JSON has no literal for them).</summary>
internal static class JsonNumbers
{
    /// <summary>Quotes and non-ASCII text (column names, "≥") as they are: the responses are JSON, never embedded in HTML.</summary>
    public static readonly JsonWriterOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Write(Utf8JsonWriter w, string name, double? value)
    {
        if (value is not { } v) w.WriteNull(name);
        else if (double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteString(name, v.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
