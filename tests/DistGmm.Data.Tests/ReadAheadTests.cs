namespace DistGmm.Data.Tests;

/// <summary>The fit reads the next shard while it summarises one: same items, same order, one read at a time, errors where they were.</summary>
public sealed class ReadAheadTests
{
    /// <summary>Yields 0..count-1, recording how many reads run at once and which thread produced each item.</summary>
    private sealed class Source(int count, int? failAt = null)
    {
        private int _running;
        public int MaxConcurrent;
        public int Produced;
        public bool Disposed;

        public IEnumerable<int> Items()
        {
            try
            {
                for (var i = 0; i < count; i++)
                {
                    var now = Interlocked.Increment(ref _running);
                    MaxConcurrent = Math.Max(MaxConcurrent, now);
                    if (i == failAt) { Interlocked.Decrement(ref _running); throw new InvalidDataException($"item {i} is corrupt"); }
                    Produced++;
                    Interlocked.Decrement(ref _running);
                    yield return i;
                }
            }
            finally { Disposed = true; }
        }
    }

    [Fact]
    public void Items_arrive_in_order_each_read_once_never_two_at_once()
    {
        var source = new Source(50);
        Assert.Equal(Enumerable.Range(0, 50), Preprocessor.ReadAhead(source.Items()).ToList());
        Assert.Equal(50, source.Produced);
        Assert.Equal(1, source.MaxConcurrent);
        Assert.True(source.Disposed);
    }

    [Fact]
    public void A_failed_read_surfaces_when_its_item_is_asked_for_after_the_items_before_it()
    {
        var source = new Source(10, failAt: 4);
        var seen = new List<int>();
        var error = Assert.Throws<InvalidDataException>(() => { foreach (var i in Preprocessor.ReadAhead(source.Items())) seen.Add(i); });
        Assert.Equal("item 4 is corrupt", error.Message);
        Assert.Equal([0, 1, 2, 3], seen);
        Assert.True(source.Disposed);
    }

    [Fact]
    public void Stopping_early_waits_for_the_read_in_flight_and_disposes_the_source()
    {
        var source = new Source(10);
        Assert.Equal([0, 1, 2], Preprocessor.ReadAhead(source.Items()).Take(3).ToList());
        Assert.True(source.Disposed);
        Assert.Equal(4, source.Produced); // the one read ahead, never more
    }
}
