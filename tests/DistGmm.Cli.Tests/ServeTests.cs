using System.Net;
using System.Text;
using System.Text.Json;
using DistGmm.Cli.Serving;
using Xunit;

namespace DistGmm.Cli.Tests;

/// <summary>`distgmm serve`: scores equal to `distgmm score`, refusals with reasons, size limits, loopback by default.</summary>
public sealed class ServeTests : IAsyncLifetime
{
    private ServeFixture.Trained _trained = null!;
    private ServingModel _model = null!;
    private ScoreServer _server = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _trained = ServeFixture.Get();
        _model = ServingModel.Load(_trained.ModelPath);
        _server = await ScoreServer.StartAsync(_model, new ScoreServerOptions { Urls = "http://127.0.0.1:0", MaxBodyBytes = 1 << 20, MaxRows = 1000 });
        _http = new HttpClient { BaseAddress = _server.BaseAddress };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> Post(string json, string contentType = "application/json", HttpClient? http = null)
    {
        using var content = new StringContent(json, Encoding.UTF8, contentType);
        using var response = await (http ?? _http).PostAsync("/score", content);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    private static string[] Reasons(JsonElement body) => [.. body.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()!)];

    private string ValidRow(int i = 0, Func<string, string, string?>? edit = null) => ServeFixture.RowJson(_trained.ScoreLines[i], edit);

    [Fact]
    public async Task Scores_equal_distgmm_score_bit_for_bit_with_its_anomaly_flags()
    {
        var body = ServeFixture.RowsJson(_trained.ScoreLines.Select(l => ServeFixture.RowJson(l)));
        var (status, response) = await Post(body);

        Assert.Equal(HttpStatusCode.OK, status);
        var results = response.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(_trained.ScoreLines.Length, results.Length);
        Assert.True(results.Length > 400);
        Assert.Equal(_model.Threshold, response.GetProperty("threshold").GetDouble());
        for (var i = 0; i < results.Length; i++)
        {
            Assert.Equal(i, results[i].GetProperty("row").GetInt32());
            Assert.Equal(BitConverter.DoubleToInt64Bits(_trained.CliScores[i]), BitConverter.DoubleToInt64Bits(results[i].GetProperty("score").GetDouble()));
            Assert.Equal(_trained.CliAnomalies[i], results[i].GetProperty("anomaly").GetBoolean());
        }
        // The scoring set mixes normal rows with attacks: both verdicts occur.
        Assert.Contains(results, r => r.GetProperty("anomaly").GetBoolean());
        Assert.Contains(results, r => !r.GetProperty("anomaly").GetBoolean());
    }

    [Fact]
    public void A_model_without_a_threshold_gives_scores_and_no_verdict_unless_serve_is_given_one()
    {
        // What `train` writes: the same model with "threshold": null.
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(_trained.ModelPath))!.AsObject();
        json["threshold"] = null;
        var path = Path.Combine(Directory.CreateTempSubdirectory("distgmm-nothreshold-").FullName, "model.json");
        File.WriteAllText(path, json.ToJsonString());
        var body = Encoding.UTF8.GetBytes(ServeFixture.RowsJson(_trained.ScoreLines.Take(50).Select(l => ServeFixture.RowJson(l))));

        var bare = ServingModel.Load(path);
        Assert.Null(bare.Threshold);
        var scored = bare.Score(ScoreRequest.Parse(body, bare, 1000).Batch!, 3);
        Assert.All(scored, s => Assert.Null(s.Anomaly));
        Assert.Equal(_trained.CliScores.Take(50), scored.Select(s => s.Score));
        Assert.Contains("\"anomaly\":null", Encoding.UTF8.GetString(ScoreServer.ScoreResponse(bare, scored)));

        var median = scored.Select(s => s.Score).Order().ElementAt(25);
        var judged = ServingModel.Load(path, threshold: median);
        var verdicts = judged.Score(ScoreRequest.Parse(body, judged, 1000).Batch!, 3);
        Assert.Equal(scored.Select(s => (bool?)(s.Score < median)), verdicts.Select(v => v.Anomaly));
        Assert.All(verdicts.Where(v => v.Anomaly == true), v => Assert.Contains("--threshold", v.Reason));
    }

    [Fact]
    public async Task Rows_may_come_wrapped_in_an_object_and_in_any_key_order()
    {
        var reversed = "{" + string.Join(",", ValidRow(3).Trim('{', '}').Split(',').Reverse()) + "}";
        var (status, response) = await Post($"{{\"rows\": [{reversed}]}}");

        Assert.Equal(HttpStatusCode.OK, status);
        var score = response.GetProperty("results")[0].GetProperty("score").GetDouble();
        Assert.Equal(_trained.CliScores[3], score);
    }

    [Fact]
    public async Task Unlikely_features_are_the_largest_standardized_residuals_under_the_responsible_component()
    {
        // A normal http row with an absurd byte count: src_bytes must head the list.
        var (status, response) = await Post(ServeFixture.RowsJson([ValidRow(0, (name, v) => name == "src_bytes" ? "5000000000" : v)]));

        Assert.Equal(HttpStatusCode.OK, status);
        var result = response.GetProperty("results")[0];
        var features = result.GetProperty("unlikelyFeatures").EnumerateArray().ToArray();
        Assert.Equal(5, features.Length);
        Assert.Equal("src_bytes", features[0].GetProperty("feature").GetString());
        Assert.Equal("src_bytes", features[0].GetProperty("column").GetString());
        var z = features.Select(f => Math.Abs(f.GetProperty("z").GetDouble())).ToArray();
        Assert.Equal(z.OrderByDescending(v => v), z);
        Assert.True(z[0] > 3, $"|z| of src_bytes is {z[0]}");

        // z is (x - mean) / sqrt(covariance diagonal) of the reported component, in preprocessed feature space.
        var k = result.GetProperty("component").GetInt32();
        var j = _model.Preprocessor.FeatureNames.ToList().IndexOf("src_bytes");
        var fitted = _model.Preprocessor.Columns.Single(c => c.Name == "src_bytes");
        var x = (Math.Log(1 + 5e9) - fitted.Center) / fitted.Divisor;
        var expected = (x - _model.Model.Means[k][j]) / Math.Sqrt(_model.Model.Covariances[k][j * _model.Model.D + j]);
        Assert.Equal(expected, features[0].GetProperty("z").GetDouble(), 1e-9);
    }

    [Fact]
    public async Task Unlikely_features_match_a_brute_force_ranking_of_all_residuals()
    {
        var body = ServeFixture.RowsJson(_trained.ScoreLines.Take(40).Select(l => ServeFixture.RowJson(l)));
        var (_, response) = await Post(body);
        var (batch, error) = ScoreRequest.Parse(Encoding.UTF8.GetBytes(body), _model, 1000);
        Assert.Null(error);
        var x = _model.Preprocessor.Transform(batch!, [.. Enumerable.Range(0, batch!.Count)]);
        var components = new int[x.Rows];
        _model.Model.Predict(x.Values, components);
        var d = _model.Model.D;
        for (var r = 0; r < x.Rows; r++)
        {
            var k = components[r];
            var cov = _model.Model.Covariances[k];
            var expected = Enumerable.Range(0, d)
                .Select(j => (Name: _model.Preprocessor.FeatureNames[j], Z: (x.Row(r)[j] - _model.Model.Means[k][j]) / Math.Sqrt(cov[j * d + j])))
                .OrderByDescending(f => Math.Abs(f.Z)).Take(5).ToArray();
            var result = response.GetProperty("results")[r];
            Assert.Equal(k, result.GetProperty("component").GetInt32());
            var actual = result.GetProperty("unlikelyFeatures").EnumerateArray()
                .Select(f => (Name: f.GetProperty("feature").GetString()!, Z: f.GetProperty("z").GetDouble())).ToArray();
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public async Task A_row_of_the_wrong_table_gets_one_reason_listing_its_missing_columns()
    {
        var (status, response) = await Post("[{\"src_bytes\": 1, \"other\": true}]");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var reason = Assert.Single(Reasons(response));
        Assert.StartsWith("row 0: missing columns 'duration', 'protocol_type', 'service', 'flag', 'dst_bytes', ", reason);
        Assert.DoesNotContain("'src_bytes'", reason);
    }

    [Fact]
    public async Task Unseen_categories_are_scored_and_reported()
    {
        var (status, response) = await Post(ServeFixture.RowsJson([ValidRow(0, (name, v) => name == "service" ? "\"no_such_service\"" : v)]));

        Assert.Equal(HttpStatusCode.OK, status);
        var unseen = response.GetProperty("results")[0].GetProperty("unseenCategories").EnumerateArray().Select(u => u.GetString());
        Assert.Contains("service=no_such_service", unseen);
    }

    [Fact]
    public async Task Null_is_a_missing_value_imputed_as_at_training()
    {
        var (status, response) = await Post(ServeFixture.RowsJson([ValidRow(0, (name, v) => name == "duration" ? "null" : v)]));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(double.IsFinite(response.GetProperty("results")[0].GetProperty("score").GetDouble()));
    }

    [Fact]
    public async Task Bad_rows_get_400_with_every_reason_naming_row_and_column()
    {
        var rows = new[]
        {
            ValidRow(0),
            ValidRow(1, (name, v) => name == "src_bytes" ? null : v),
            ValidRow(2, (name, v) => name == "dst_bytes" ? "\"12\"" : v),
            ValidRow(3, (name, v) => name == "protocol_type" ? "6" : v),
            ValidRow(4, (name, v) => name == "duration" ? "1e999" : v),
            ValidRow(5, (name, v) => name == "count" ? "-5" : v),
            "42",
        };
        var (status, response) = await Post(ServeFixture.RowsJson(rows));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid request", response.GetProperty("error").GetString());
        Assert.Equal(
        [
            "row 1: missing column 'src_bytes'",
            "row 2: 'dst_bytes' must be a number, got a string",
            "row 3: 'protocol_type' must be a string (a category), got a number",
            "row 4: 'duration' is not a finite number (1e999)",
            "row 5: 'count' is -5, but the model takes log1p of it and needs values > -1",
            "row 6: expected a JSON object keyed by column name, got a number",
        ], Reasons(response));
    }

    [Theory]
    [InlineData("{\"duration\": ", "body: invalid JSON at line 1, column")]
    [InlineData("[]", "body: no rows to score")]
    [InlineData("\"rows\"", "body: expected a JSON array of row objects, got a string")]
    [InlineData("{\"data\": []}", "the object has no 'rows'")]
    public async Task Malformed_bodies_get_400_with_a_reason(string body, string reason)
    {
        var (status, response) = await Post(body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(reason, Assert.Single(Reasons(response)));
    }

    [Fact]
    public async Task Non_json_content_gets_415()
    {
        var (status, response) = await Post("duration=0", "application/x-www-form-urlencoded");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Contains("not JSON", Assert.Single(Reasons(response)));
    }

    [Fact]
    public async Task Oversized_bodies_and_too_many_rows_get_413()
    {
        await using var small = await ScoreServer.StartAsync(_model, new ScoreServerOptions { Urls = "http://127.0.0.1:0", MaxBodyBytes = 4096, MaxRows = 2 });
        using var http = new HttpClient { BaseAddress = small.BaseAddress };

        var big = ServeFixture.RowsJson(Enumerable.Range(0, 10).Select(i => ValidRow(i)));
        Assert.True(Encoding.UTF8.GetByteCount(big) > 4096);
        var (status, response) = await Post(big, http: http);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal(["body: larger than the limit of 4096 bytes"], Reasons(response));

        (status, response) = await Post(ServeFixture.RowsJson([ValidRow(0), ValidRow(1), ValidRow(2)]), http: http);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal(["body: 3 rows exceed the limit of 2 rows per request"], Reasons(response));

        (status, _) = await Post(ServeFixture.RowsJson([ValidRow(0), ValidRow(1)]), http: http);
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task Healthz_and_model_summary()
    {
        Assert.Equal("ok", await _http.GetStringAsync("/healthz"));

        var summary = JsonDocument.Parse(await _http.GetStringAsync("/model")).RootElement;
        Assert.Equal(3, summary.GetProperty("k").GetInt32());
        Assert.Equal("full", summary.GetProperty("covarianceType").GetString());
        Assert.Equal(_model.Threshold, summary.GetProperty("threshold").GetDouble());
        var columns = summary.GetProperty("columns").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("type").GetString());
        Assert.Equal("number", columns["src_bytes"]);
        Assert.Equal("string", columns["protocol_type"]);
        Assert.Equal(1 << 20, summary.GetProperty("limits").GetProperty("maxBodyBytes").GetInt64());
    }

    [Fact]
    public void Non_loopback_bind_needs_allow_remote()
    {
        var r = CliRunner.Run("serve", "--model", _trained.ModelPath, "--urls", "http://0.0.0.0:0");

        Assert.Equal(ExitCodes.Usage, r.ExitCode);
        var line = Assert.Single(r.ErrorLines);
        Assert.Contains("not a loopback address", line);
        Assert.Contains("--allow-remote", line);
        Assert.Throws<ArgumentException>(() => ScoreServer.ParseUrls("http://*:8080", allowRemote: false));
        Assert.Equal(["http://*:8080"], ScoreServer.ParseUrls("http://*:8080", allowRemote: true));
        Assert.Equal(["http://127.0.0.1:1", "http://[::1]:2", "http://localhost:3"], ScoreServer.ParseUrls("http://127.0.0.1:1; http://[::1]:2;http://localhost:3", false));
    }

    [Fact]
    public void Serve_without_a_model_file_is_one_line()
    {
        var r = CliRunner.Run("serve", "--model", "/nonexistent/model.json");

        Assert.Equal(ExitCodes.BadInput, r.ExitCode);
        Assert.Contains("/nonexistent/model.json", Assert.Single(r.ErrorLines));
    }
}
