using System.Text.Json;

namespace DistGmm.Data.Tests;

/// <summary>The 'seed' preset against scikit-learn (tests/fixtures/data/make_seed_fixture.py → seed_minmax.json).</summary>
public sealed class SeedPresetTests
{
    internal static JsonElement Fixture(string block)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestData.Fixture("seed_minmax.json")));
        return doc.RootElement.GetProperty(block).Clone();
    }

    internal static void AssertMatchesFixture(Preprocessor pre, JsonElement fixture, Func<int, double[]> transformedRow)
    {
        var columns = fixture.GetProperty("columns").EnumerateArray().Select(c => c.GetString()!).ToList();
        Assert.Equal(columns, pre.FeatureNames);
        Assert.Equal(39, pre.OutputDimension);
        Assert.Equal("protocol_type", pre.FeatureNames[1]);
        var dataMin = fixture.GetProperty("dataMin").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var dataMax = fixture.GetProperty("dataMax").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        for (var c = 0; c < 39; c++)
        {
            var range = dataMax[c] - dataMin[c];
            var scale = 1.0 / (range < 10 * 2.220446049250313e-16 ? 1.0 : range);
            Assert.Equal(scale, pre.Columns[c].Scale);
            Assert.Equal(-(dataMin[c] * scale), pre.Columns[c].Offset);
        }
        var sampleRows = fixture.GetProperty("sampleRows").EnumerateArray().Select(v => v.GetInt32()).ToList();
        var sample = fixture.GetProperty("sample").EnumerateArray().ToList();
        for (var i = 0; i < sampleRows.Count; i++)
        {
            var expected = sample[i].EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.Equal(expected, transformedRow(sampleRows[i])); // bit-exact: the same x·scale + min as sklearn
        }
    }

    [Fact]
    public void Seed_on_the_notebook_csv_equals_scikit_learn_exactly()
    {
        var (batch, format) = SourceReading.ReadAll(TestData.Head500Csv);
        Assert.Equal(SourceFormat.KddHeader, format);
        var pre = TestData.Fit(batch, PreprocessingSpec.Preset("seed"));
        var rows = pre.SelectRows(batch, null, out _);
        var matrix = pre.Transform(batch, rows);
        var fixture = Fixture("head500");
        Assert.Equal(fixture.GetProperty("rows").GetInt32(), matrix.Rows);
        AssertMatchesFixture(pre, fixture, r => matrix.Row(r).ToArray());
    }
}
