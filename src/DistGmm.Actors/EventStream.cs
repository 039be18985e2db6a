namespace DistGmm.Actors;

/// <summary>System-wide publish/subscribe by message type (dead letters, unhandled messages, actor errors, ...).</summary>
public sealed class EventStream
{
    private readonly Lock _gate = new();
    private (IActorRef Subscriber, Type Channel)[] _subscriptions = [];

    public void Subscribe(IActorRef subscriber, Type channel)
    {
        lock (_gate) _subscriptions = [.. _subscriptions, (subscriber, channel)];
    }

    public void Unsubscribe(IActorRef subscriber)
    {
        lock (_gate) _subscriptions = [.. _subscriptions.Where(s => !Equals(s.Subscriber, subscriber))];
    }

    public void Publish(object evt)
    {
        foreach (var (subscriber, channel) in Volatile.Read(ref _subscriptions))
            if (channel.IsInstanceOfType(evt)) subscriber.Tell(evt, ActorRefs.Nobody);
    }
}
