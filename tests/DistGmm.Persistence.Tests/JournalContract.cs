using System.Text;
using Xunit;

namespace DistGmm.Persistence.Tests;

/// <summary>The behaviour both journals must have; each dialect's test class supplies the journal.</summary>
public abstract class JournalContract
{
    protected static readonly DateTimeOffset T0 = new(2026, 11, 21, 12, 0, 0, 123, TimeSpan.Zero);

    /// <summary>A new journal over the same store each call (null when the store is not available here).</summary>
    protected abstract IJournal? OpenJournal(TimeProvider? clock = null);

    protected static string NewJobId() => "job-" + Guid.NewGuid().ToString("N");

    private static NewEvent Event(string type, string text) => new(type, Encoding.UTF8.GetBytes(text));

    [Fact]
    public async Task Appended_events_replay_in_order_with_types_payloads_and_timestamps()
    {
        var clock = new ManualClock(T0);
        await using var journal = OpenJournal(clock);
        if (journal is null) return;
        var job = NewJobId();

        Assert.Equal(0, await journal.HighestSequenceNrAsync(job));
        Assert.Equal(2, await journal.AppendAsync(job, 0, [Event("JobStarted", "a"), Event("IterationCompleted", "b")]));
        clock.Now = T0.AddSeconds(5);
        Assert.Equal(3, await journal.AppendAsync(job, 2, [new NewEvent("Binary", new byte[] { 0, 255, 7 })]));

        var events = await journal.ReplayAsync(job).ToListAsync();
        Assert.Equal([1L, 2L, 3L], events.Select(e => e.SequenceNr));
        Assert.Equal(["JobStarted", "IterationCompleted", "Binary"], events.Select(e => e.EventType));
        Assert.Equal("a", Encoding.UTF8.GetString(events[0].Payload));
        Assert.Equal("b", Encoding.UTF8.GetString(events[1].Payload));
        Assert.Equal(new byte[] { 0, 255, 7 }, events[2].Payload);
        Assert.Equal([T0, T0, T0.AddSeconds(5)], events.Select(e => e.Timestamp));
        Assert.All(events, e => Assert.Equal(job, e.PersistenceId));
        Assert.Equal(3, await journal.HighestSequenceNrAsync(job));
    }

    [Fact]
    public async Task Replay_from_a_sequence_number_skips_earlier_events()
    {
        await using var journal = OpenJournal();
        if (journal is null) return;
        var job = NewJobId();
        await journal.AppendAsync(job, 0, [.. Enumerable.Range(1, 5).Select(i => Event("E", i.ToString()))]);

        var tail = await journal.ReplayAsync(job, fromSequenceNr: 4).ToListAsync();

        Assert.Equal([4L, 5L], tail.Select(e => e.SequenceNr));
        Assert.Equal(["4", "5"], tail.Select(e => Encoding.UTF8.GetString(e.Payload)));
        Assert.Empty(await journal.ReplayAsync(job, fromSequenceNr: 6).ToListAsync());
        Assert.Empty(await journal.ReplayAsync(NewJobId()).ToListAsync());
    }

    [Fact]
    public async Task Append_with_a_stale_expected_number_is_a_conflict_and_writes_nothing()
    {
        await using var journal = OpenJournal();
        if (journal is null) return;
        var job = NewJobId();
        await journal.AppendAsync(job, 0, [Event("A", "1"), Event("A", "2")]);

        var conflict = await Assert.ThrowsAsync<JournalConflictException>(
            () => journal.AppendAsync(job, 1, [Event("B", "x"), Event("B", "y")]));

        Assert.Equal(1, conflict.ExpectedSequenceNr);
        Assert.Equal(2, conflict.ActualSequenceNr);
        Assert.Contains(job, conflict.Message);
        Assert.Contains("concurrent writer", conflict.Message);
        Assert.Equal(["A", "A"], (await journal.ReplayAsync(job).ToListAsync()).Select(e => e.EventType));
    }

    [Fact]
    public async Task Of_concurrent_writers_expecting_the_same_number_exactly_one_wins()
    {
        const int writers = 6;
        var journals = Enumerable.Range(0, writers).Select(_ => OpenJournal()).ToArray();
        if (journals[0] is null) return;
        try
        {
            var job = NewJobId();
            await journals[0]!.AppendAsync(job, 0, [Event("Start", "s")]);
            using var go = new ManualResetEventSlim(false);
            var attempts = journals.Select((journal, i) => Task.Run(async () =>
            {
                go.Wait();
                try
                {
                    await journal!.AppendAsync(job, 1, [Event("Writer", i.ToString()), Event("Writer", i.ToString())]);
                    return (Won: true, Conflict: (JournalConflictException?)null);
                }
                catch (JournalConflictException conflict) { return (Won: false, Conflict: conflict); }
            })).ToArray();
            go.Set();
            var results = await Task.WhenAll(attempts);

            Assert.Equal(1, results.Count(r => r.Won));
            Assert.All(results.Where(r => !r.Won), r => Assert.Equal(3, r.Conflict!.ActualSequenceNr));
            var stored = await journals[0]!.ReplayAsync(job).ToListAsync();
            Assert.Equal([1L, 2L, 3L], stored.Select(e => e.SequenceNr));
            var winner = Array.FindIndex(results, r => r.Won).ToString();
            Assert.Equal([winner, winner], stored.Skip(1).Select(e => Encoding.UTF8.GetString(e.Payload)));
        }
        finally
        {
            foreach (var journal in journals) await journal!.DisposeAsync();
        }
    }

    [Fact]
    public async Task Bad_arguments_are_refused_before_touching_the_store()
    {
        await using var journal = OpenJournal();
        if (journal is null) return;
        await Assert.ThrowsAsync<ArgumentException>(() => journal.AppendAsync(NewJobId(), 0, []));
        await Assert.ThrowsAsync<ArgumentException>(() => journal.AppendAsync("", 0, [Event("A", "1")]));
        await Assert.ThrowsAsync<ArgumentException>(() => journal.AppendAsync(NewJobId(), 0, [Event(" ", "1")]));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => journal.AppendAsync(NewJobId(), -1, [Event("A", "1")]));
    }

    [Fact]
    public async Task The_latest_snapshot_is_loaded_and_a_snapshot_at_the_same_number_is_replaced()
    {
        await using var journal = OpenJournal();
        if (journal is null) return;
        var job = NewJobId();
        Assert.Null(await journal.LoadLatestSnapshotAsync(job));

        await journal.SaveSnapshotAsync(new SnapshotRecord(job, 3, "State", [3], T0));
        await journal.SaveSnapshotAsync(new SnapshotRecord(job, 7, "State", [7], T0.AddMinutes(1)));
        await journal.SaveSnapshotAsync(new SnapshotRecord(job, 5, "State", [5], T0.AddMinutes(2)));
        var latest = await journal.LoadLatestSnapshotAsync(job);
        Assert.Equal(new SnapshotRecord(job, 7, "State", latest!.Payload, T0.AddMinutes(1)), latest);
        Assert.Equal(new byte[] { 7 }, latest.Payload);

        await journal.SaveSnapshotAsync(new SnapshotRecord(job, 7, "StateV2", [70, 71], T0.AddMinutes(3)));
        latest = await journal.LoadLatestSnapshotAsync(job);
        Assert.Equal("StateV2", latest!.SnapshotType);
        Assert.Equal(new byte[] { 70, 71 }, latest.Payload);
        Assert.Equal(T0.AddMinutes(3), latest.Timestamp);
    }

    [Fact]
    public async Task A_second_claim_on_a_job_is_refused_with_job_already_owned_until_the_first_is_released()
    {
        var clock = new ManualClock(T0);
        await using var first = OpenJournal(clock);
        await using var second = OpenJournal(clock);
        if (first is null || second is null) return;
        var job = NewJobId();

        var claim = await first.ClaimOwnershipAsync(job, "coordinator-A");
        Assert.True(claim.IsHeld);
        Assert.True(await claim.VerifyAsync());
        Assert.Equal("coordinator-A", claim.Owner.OwnerId);
        Assert.Equal(Environment.ProcessId, claim.Owner.ProcessId);

        var refused = await Assert.ThrowsAsync<JobAlreadyOwnedException>(() => second.ClaimOwnershipAsync(job, "coordinator-B"));
        Assert.StartsWith("job already owned", refused.Message);
        Assert.Contains("coordinator-A", refused.Message);
        Assert.Equal("coordinator-A", refused.CurrentOwner!.OwnerId);
        // The same journal object is no way around it either.
        await Assert.ThrowsAsync<JobAlreadyOwnedException>(() => first.ClaimOwnershipAsync(job, "coordinator-A2"));

        // Another job is independent.
        await using (var other = await second.ClaimOwnershipAsync(NewJobId(), "coordinator-B")) Assert.True(other.IsHeld);

        await claim.DisposeAsync();
        Assert.False(claim.IsHeld);
        Assert.False(await claim.VerifyAsync());
        clock.Now = T0.AddSeconds(1);
        await using var again = await second.ClaimOwnershipAsync(job, "coordinator-B");
        Assert.Equal("coordinator-B", (await first.LastOwnerAsync(job))!.OwnerId);
        Assert.Equal(T0.AddSeconds(1), (await first.LastOwnerAsync(job))!.ClaimedAt);
    }
}
