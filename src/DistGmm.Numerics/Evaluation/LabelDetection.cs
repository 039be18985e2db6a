namespace DistGmm.Numerics.Evaluation;

/// <summary>How many records of one label (e.g. an attack type) were flagged positive.</summary>
public readonly record struct LabelDetection(string Label, long Count, long Detected)
{
    public double Rate => Count == 0 ? 0.0 : (double)Detected / Count;
}
