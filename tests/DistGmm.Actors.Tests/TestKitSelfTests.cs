using DistGmm.Actors;
using DistGmm.TestKit;
using Xunit;

namespace DistGmm.Actors.Tests;

public sealed class TestKitSelfTests : TestKitBase
{
    public TestKitSelfTests() : base(TestKitSettings.Default with { DefaultTimeout = TimeSpan.FromSeconds(2) }) { }

    [Fact]
    public void ExpectMsg_of_the_wrong_type_fails_with_what_arrived()
    {
        TestActor.Tell("hello");
        var ex = Assert.Throws<TestKitAssertionException>(() => ExpectMsg<int>());
        Assert.Contains("Expected Int32", ex.Message);
        Assert.Contains("hello", ex.Message);
    }

    [Fact]
    public void ExpectMsg_times_out_with_a_clear_message()
    {
        var ex = Assert.Throws<TestKitAssertionException>(() => ExpectMsg<int>(TimeSpan.FromMilliseconds(50)));
        Assert.Contains("Timeout", ex.Message);
        Assert.Contains("Int32", ex.Message);
    }

    [Fact]
    public void ExpectNoMsg_fails_when_something_arrives()
    {
        TestActor.Tell(1);
        Assert.Throws<TestKitAssertionException>(() => ExpectNoMsg(TimeSpan.FromMilliseconds(50)));
    }

    [Fact]
    public void FishForMessage_skips_until_a_match()
    {
        foreach (var i in new[] { 1, 2, 3, 10, 4 }) TestActor.Tell(i);
        Assert.Equal(10, FishForMessage<int>(i => i > 5));
        Assert.Equal(4, ExpectMsg<int>());
    }

    [Fact]
    public void Within_bounds_nested_expectations()
    {
        TestActor.Tell("x");
        Within(TimeSpan.FromSeconds(5), () => Assert.Equal("x", ExpectMsg<string>()));
        var ex = Assert.Throws<TestKitAssertionException>(() =>
            Within(TimeSpan.FromMilliseconds(50), () => ExpectMsg<string>(TimeSpan.FromSeconds(30))));
        Assert.Contains("Timeout (0.0", ex.Message);   // the 30 s wait was cut to what was left of the 50 ms
    }

    [Fact]
    public void Reply_goes_to_the_last_sender()
    {
        var other = CreateTestProbe();
        other.Send(TestActor.Ref, "question");
        ExpectMsg<string>();
        TestActor.Reply("answer");
        Assert.Equal("answer", other.ExpectMsg<string>());
    }

    [Fact]
    public void Manual_clock_fires_timers_in_due_order_and_moves_only_on_Advance()
    {
        var fired = new List<string>();
        var start = Clock.GetUtcNow();
        using var b = Clock.CreateTimer(_ => fired.Add("b@" + (Clock.GetUtcNow() - start).TotalSeconds), null, TimeSpan.FromSeconds(2), Timeout.InfiniteTimeSpan);
        using var a = Clock.CreateTimer(_ => fired.Add("a@" + (Clock.GetUtcNow() - start).TotalSeconds), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1.5));
        Assert.Equal(start, Clock.GetUtcNow());
        Clock.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(["a@1", "b@2", "a@2.5", "a@4"], fired);
        Assert.Equal(start + TimeSpan.FromSeconds(4), Clock.GetUtcNow());
    }
}
