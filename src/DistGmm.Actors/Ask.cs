namespace DistGmm.Actors;

/// <summary>
/// A one-shot ref that completes a task with the first message it receives: the answer of an Ask. Replying with
/// <see cref="Status.Failure"/> fails the task with its cause; a message of the wrong type fails it with a clear
/// <see cref="InvalidCastException"/>; no reply in time fails it with <see cref="AskTimeoutException"/>.
/// </summary>
internal sealed class PromiseActorRef<T> : IActorRef
{
    private readonly TaskCompletionSource<T> _promise = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IActorRef _target;
    private readonly Type _messageType;
    private ITimer? _timer;
    private CancellationTokenRegistration _cancellation;

    public PromiseActorRef(string path, IActorRef target, Type messageType)
    {
        Path = path;
        _target = target;
        _messageType = messageType;
    }

    public string Path { get; }
    public Task<T> Task => _promise.Task;

    public void Start(TimeProvider clock, TimeSpan timeout, CancellationToken ct, Action onCompleted)
    {
        _promise.Task.ContinueWith(_ =>
        {
            _timer?.Dispose();
            _cancellation.Dispose();
            onCompleted();
        }, TaskScheduler.Default);
        _timer = clock.CreateTimer(_ => _promise.TrySetException(
            new AskTimeoutException(_target.Path, _messageType, timeout)), null, timeout, Timeout.InfiniteTimeSpan);
        if (ct.CanBeCanceled) _cancellation = ct.Register(() => _promise.TrySetCanceled(ct));
    }

    public void Tell(object message, IActorRef? sender = null)
    {
        switch (message)
        {
            case T reply: _promise.TrySetResult(reply); break;
            case Status.Failure failure: _promise.TrySetException(failure.Cause); break;
            case ISystemMessage: break; // a promise is never watched meaningfully
            default:
                _promise.TrySetException(new InvalidCastException(
                    $"Ask to {_target.Path} with {_messageType.Name} expected a {typeof(T).Name} reply but got {message.GetType().Name}"));
                break;
        }
    }

    public override string ToString() => Path;
}
