using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace DistGmm.Remoting;

/// <summary>
/// Nodes over RabbitMQ (RabbitMQ.Client 7 async API). Each node consumes its own durable queue
/// (<c>distgmm.node.&lt;name&gt;</c>); a send publishes to the recipient's queue through the default exchange,
/// mandatory, and waits for the publisher confirm (transient unless <see cref="RabbitMqTransportOptions.PersistentMessages"/>).
/// Unroutable (no such queue) becomes <see cref="NodeUnreachableException"/>.
/// <para>Broker restarts: automatic connection and topology recovery re-create the channels, the queue and the
/// consumer, then <see cref="Reconnected"/> fires (queued transient messages are gone: the layer above asks again).
/// A send during the outage waits (bounded by <see cref="RabbitMqTransportOptions.SendTimeout"/>) until the
/// connection is back, then publishes; a send whose confirm was lost in the crash is published again, and the
/// receiver drops the duplicate by message id.</para>
/// </summary>
public sealed class RabbitMqTransport : ITransport
{
    private readonly RabbitMqTransportOptions _options;
    private readonly EnvelopeCodec _codec;
    private readonly Action<string> _log;
    private readonly InboundFilter _filter;
    private readonly Channel<Envelope> _inbox = Channel.CreateUnbounded<Envelope>(new UnboundedChannelOptions { SingleWriter = false });
    private readonly SemaphoreSlim _publishGate = new(1, 1);
    private readonly Lock _stateGate = new();
    private IConnection _connection = null!;
    private IChannel _publishChannel = null!;
    private IChannel _consumeChannel = null!;
    private TaskCompletionSource _connected = NewSignal(completed: true);
    private volatile bool _disposing;

    private RabbitMqTransport(RabbitMqTransportOptions options, EnvelopeCodec codec, Action<string>? log)
    {
        NodeNames.Validate(options.NodeName);
        _options = options;
        _codec = codec;
        _log = log ?? Console.Error.WriteLine;
        _filter = new InboundFilter(codec, Counters, _log, options.NodeName);
    }

    public string NodeName => _options.NodeName;

    public string QueueName => _options.QueueFor(NodeName);

    public TransportCounters Counters { get; } = new();

    /// <summary>Raised after the broker connection was lost and recovered (on a RabbitMQ.Client thread).</summary>
    public event Action? Reconnected;

    /// <summary>Connects, declares this node's queue and starts consuming it.</summary>
    public static async Task<RabbitMqTransport> ConnectAsync(RabbitMqTransportOptions options, EnvelopeCodec codec,
        Action<string>? log = null, CancellationToken ct = default)
    {
        var transport = new RabbitMqTransport(options, codec, log);
        try
        {
            await transport.StartAsync(ct);
            return transport;
        }
        catch
        {
            await transport.DisposeAsync();
            throw;
        }
    }

    public static ConnectionFactory CreateFactory(RabbitMqTransportOptions options)
    {
        var factory = new ConnectionFactory
        {
            Uri = options.BrokerUri,
            AutomaticRecoveryEnabled = true,
            TopologyRecoveryEnabled = true,
            NetworkRecoveryInterval = options.NetworkRecoveryInterval,
            RequestedHeartbeat = options.Heartbeat,
            ClientProvidedName = "distgmm:" + options.NodeName,
        };
        if (options.UserName is not null) factory.UserName = options.UserName;
        if (options.Password is not null) factory.Password = options.Password;
        if (options.Tls is { Enabled: true } tls)
        {
            factory.Ssl = new SslOption
            {
                Enabled = true,
                ServerName = tls.ServerName ?? options.BrokerUri.Host,
                CertPath = tls.ClientCertificateFile ?? "",
                CertPassphrase = tls.ClientCertificatePassword ?? "",
            };
            if (tls.CaCertificateFile is { } caFile)
            {
                var ca = X509CertificateLoader.LoadCertificateFromFile(caFile);
                factory.Ssl.CertificateValidationCallback = (_, certificate, _, errors) =>
                    ValidateWithPrivateCa(certificate, errors, ca);
            }
        }
        return factory;
    }

    public async Task SendAsync(string nodeName, Envelope envelope, CancellationToken ct = default)
    {
        NodeNames.Validate(nodeName);
        ObjectDisposedException.ThrowIf(_disposing, this);
        var body = _codec.Encode(envelope);
        var properties = new BasicProperties
        {
            Persistent = _options.PersistentMessages, // see the option: lost work is re-requested after a reconnect
            MessageId = envelope.MessageId.ToString("N"),
            Type = envelope.MessageType,
            AppId = NodeName,
        };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.SendTimeout);
        try
        {
            while (true)
            {
                ObjectDisposedException.ThrowIf(_disposing, this);
                Task connected;
                lock (_stateGate) connected = _connected.Task;
                await connected.WaitAsync(timeout.Token);
                await _publishGate.WaitAsync(timeout.Token);
                try
                {
                    if (!_publishChannel.IsOpen && _connection.IsOpen)
                        _publishChannel = await CreatePublishChannelAsync(timeout.Token); // closed by a channel error
                    await _publishChannel.BasicPublishAsync("", _options.QueueFor(nodeName), mandatory: true, properties, body, timeout.Token);
                    Counters.Sent(body.Length);
                    return;
                }
                catch (PublishException ex) when (ex.IsReturn)
                {
                    throw new NodeUnreachableException(nodeName, $"the broker has no queue '{_options.QueueFor(nodeName)}' (node not started, or gone)", ex);
                }
                catch (Exception ex) when (IsConnectionFailure(ex) && !timeout.IsCancellationRequested)
                {
                    // The connection dropped under us; wait for recovery, then publish again.
                    if (!_connection.IsOpen) MarkDisconnected();
                }
                finally
                {
                    _publishGate.Release();
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new RemotingException(
                $"sending '{envelope.MessageType}' to node '{nodeName}' timed out after {_options.SendTimeout.TotalSeconds:0.#} s: " +
                $"broker {_options.BrokerUri.Host}:{_options.BrokerUri.Port} not reachable");
        }
    }

    public async IAsyncEnumerable<Envelope> ReceiveAllAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var envelope in _inbox.Reader.ReadAllAsync(ct)) yield return envelope;
    }

    /// <summary>Completes when the broker connection is up (immediately when it is).</summary>
    public Task WhenConnectedAsync(CancellationToken ct = default)
    {
        lock (_stateGate) return _connected.Task.WaitAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposing) return;
        _disposing = true;
        lock (_stateGate) _connected.TrySetException(new ObjectDisposedException(nameof(RabbitMqTransport))); // wake waiting sends
        try
        {
            // Bounded: during a broker outage there is nobody to answer the close handshake.
            if (_connection is not null) await _connection.CloseAsync(Constants.ReplySuccess, "node shutting down", TimeSpan.FromSeconds(5), abort: false);
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            // Already gone: nothing to close.
        }
        if (_connection is not null) await _connection.DisposeAsync();
        _inbox.Writer.TryComplete();
        _publishGate.Dispose();
    }

    private async Task StartAsync(CancellationToken ct)
    {
        var factory = CreateFactory(_options);
        try
        {
            _connection = await factory.CreateConnectionAsync(ct);
        }
        catch (BrokerUnreachableException ex)
        {
            throw new RemotingException($"cannot connect node '{NodeName}' to the broker at {_options.BrokerUri.Host}:{_options.BrokerUri.Port}: {ex.InnerException?.Message ?? ex.Message}", ex);
        }
        _connection.ConnectionShutdownAsync += OnConnectionShutdownAsync;
        _connection.RecoverySucceededAsync += OnRecoverySucceededAsync;
        _connection.ConnectionRecoveryErrorAsync += (_, args) =>
        {
            _log($"remoting[{NodeName}]: broker reconnect attempt failed: {args.Exception.Message}");
            return Task.CompletedTask;
        };

        _publishChannel = await CreatePublishChannelAsync(ct);
        _consumeChannel = await _connection.CreateChannelAsync(cancellationToken: ct);
        await _consumeChannel.QueueDeclareAsync(QueueName, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-expires"] = (int)_options.QueueExpiry.TotalMilliseconds },
            cancellationToken: ct);
        if (_options.PurgeOnStart) await _consumeChannel.QueuePurgeAsync(QueueName, ct);
        await _consumeChannel.BasicQosAsync(0, _options.Prefetch, global: false, ct);
        var consumer = new AsyncEventingBasicConsumer(_consumeChannel);
        consumer.ReceivedAsync += OnReceivedAsync;
        await _consumeChannel.BasicConsumeAsync(QueueName, autoAck: false, consumer, ct);
    }

    private Task<IChannel> CreatePublishChannelAsync(CancellationToken ct) =>
        _connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);

    private async Task OnReceivedAsync(object sender, BasicDeliverEventArgs delivery)
    {
        // The body buffer is only valid during this handler: the filter decodes it into owned arrays.
        if (_filter.TryAccept(delivery.Body.Span, out var envelope)) _inbox.Writer.TryWrite(envelope); // unbounded: fails only once disposed
        try
        {
            await _consumeChannel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            // The channel died with the connection: the broker will redeliver, and the filter drops the duplicate.
        }
    }

    private Task OnConnectionShutdownAsync(object sender, ShutdownEventArgs args)
    {
        if (_disposing || args.Initiator == ShutdownInitiator.Application) return Task.CompletedTask;
        Counters.ConnectionLost();
        MarkDisconnected();
        _log($"remoting[{NodeName}]: broker connection lost ({args.ReplyCode} {args.ReplyText}); recovering");
        return Task.CompletedTask;
    }

    private Task OnRecoverySucceededAsync(object sender, AsyncEventArgs args)
    {
        Counters.Recovered();
        lock (_stateGate) _connected.TrySetResult();
        _log($"remoting[{NodeName}]: broker connection recovered");
        Reconnected?.Invoke();
        return Task.CompletedTask;
    }

    private void MarkDisconnected()
    {
        if (_disposing) return;
        lock (_stateGate)
            if (_connected.Task.IsCompleted) _connected = NewSignal(completed: false);
    }

    private static TaskCompletionSource NewSignal(bool completed)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (completed) signal.SetResult();
        return signal;
    }

    private static bool IsConnectionFailure(Exception ex) =>
        ex is AlreadyClosedException or OperationInterruptedException or ObjectDisposedException or IOException
            or PublishException { IsReturn: false };

    private static bool ValidateWithPrivateCa(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2 ca)
    {
        if (errors == SslPolicyErrors.None) return true;
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(new X509Certificate2(certificate));
    }
}
