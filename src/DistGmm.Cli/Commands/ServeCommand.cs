using System.CommandLine;
using DistGmm.Cli.Console;
using DistGmm.Cli.Serving;

namespace DistGmm.Cli.Commands;

/// <summary>`distgmm serve`: the model behind an HTTP API until Ctrl+C.</summary>
public sealed class ServeCommand : ICliCommand
{
    public int Order => 75;

    public Command Build()
    {
        var model = new Option<string>("--model") { Description = "model.json written by train or run.", Required = true };
        var urls = new Option<string>("--urls") { Description = "Where to listen (semicolon-separated http URLs; port 0 picks a free port).", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var allowRemote = new Option<bool>("--allow-remote") { Description = "Allow a non-loopback --urls (exposes the model to the network)." };
        var maxBody = new Option<long>("--max-body-bytes") { Description = "Largest request body; larger ones get 413.", DefaultValueFactory = _ => 1 << 20 };
        var maxRows = new Option<int>("--max-rows") { Description = "Most rows per request; more get 413.", DefaultValueFactory = _ => 10_000 };
        var top = new Option<int>("--top-features") { Description = "Unlikely features listed per row.", DefaultValueFactory = _ => 5 };
        var threshold = new Option<double?>("--threshold")
        {
            Description = "Flag rows scoring below this log-likelihood (default: model.json's threshold; a model written by train has none).",
        };
        threshold.Validators.Add(r => { if (r.GetValueOrDefault<double?>() is { } t && !double.IsFinite(t)) r.AddError("--threshold must be a finite number."); });
        maxBody.Validators.Add(r => { if (r.GetValueOrDefault<long>() < 2) r.AddError("--max-body-bytes must be at least 2."); });
        maxRows.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--max-rows must be at least 1."); });
        top.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError("--top-features must be non-negative."); });
        var command = new Command("serve",
            "Serve a model over HTTP: POST /score (JSON rows -> score, anomaly flag, most unlikely features), GET /model, GET /healthz. Loopback only unless --allow-remote.")
        {
            model, urls, allowRemote, maxBody, maxRows, top, threshold,
        };
        command.SetAction(async (parse, ct) =>
        {
            var terminal = new Terminal(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
            var serving = ServingModel.Load(CliPaths.ExistingFile(parse.GetValue(model)!), parse.GetValue(threshold));
            var options = new ScoreServerOptions
            {
                Urls = parse.GetValue(urls)!, AllowRemote = parse.GetValue(allowRemote), MaxBodyBytes = parse.GetValue(maxBody),
                MaxRows = parse.GetValue(maxRows), TopFeatures = parse.GetValue(top),
            };
            await using var server = await ScoreServer.StartAsync(serving, options, ct);
            terminal.Line($"serving {serving.Path} (K={serving.Model.K}, {serving.Model.D} features, threshold {serving.Threshold?.ToString("R", System.Globalization.CultureInfo.InvariantCulture) ?? "none"})");
            // A model written by `train` was never scored: say plainly that answers carry scores but no verdict.
            if (serving.Threshold is null)
                terminal.Error.WriteLine("warning: the model has no threshold (train does not score): answers give scores with \"anomaly\": null; pass --threshold, or serve a model written by run or score");
            foreach (var address in server.Addresses) terminal.Line($"listening on {address} (POST /score, GET /model, GET /healthz); Ctrl+C stops");
            try { await server.WaitForShutdownAsync(ct); }
            catch (OperationCanceledException) { }
            return ExitCodes.Ok;
        });
        return command;
    }
}
