using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Remote.Transport.DotNetty;
using DistGmm.Cluster.Security;
using Xunit;
using Xunit.Abstractions;
using AkkaTestKit = Akka.TestKit.Xunit2.TestKit;

namespace DistGmm.Cluster.Tests.Security;

/// <summary>
/// Real Akka.Remote associations over DotNetty TLS between actor systems on 127.0.0.1 (random ports): nodes with
/// certificates of the same cluster CA talk; a self-signed certificate and one from another CA are refused in
/// the handshake, logged and counted, and their messages never arrive.
/// </summary>
public sealed class MutualTlsRemotingTests : AkkaTestKit
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static readonly Config NodeConfig = ConfigurationFactory.ParseString("""
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        akka.loglevel = INFO
        """);

    private static readonly TestCluster Cluster = new("cluster-ca");
    private static readonly TlsSettings Member = Cluster.Node("coordinator");
    private static readonly TlsRejections MemberRejections = new();

    public MutualTlsRemotingTests(ITestOutputHelper output)
        : base(Member.CreateActorSystemSetup(NodeConfig, rejections: MemberRejections), "member", output)
    {
    }

    /// <summary>Replies to every message and tells the test about it.</summary>
    private sealed class Inbox : ReceiveActor
    {
        public Inbox(IActorRef test) => ReceiveAny(message =>
        {
            test.Forward(message);
            Sender.Tell($"ack:{message}");
        });
    }

    private Address MemberAddress => ((ExtendedActorSystem)Sys).Provider.DefaultAddress;

    private static ActorSystem StartNode(string name, ActorSystemSetup setup) => ActorSystem.Create(name, setup);

    /// <summary>
    /// Dials (one message) until a dialler's validation callback has refused a certificate; returns that dialler. Both
    /// sides validate, and SslStream runs the client's callback only as it completes the handshake: when the accepting
    /// node has refused the client's certificate and closed first, the dialler fails with "Channel is closed", its own
    /// callback never runs, and Akka stops it (seen with other test projects loading both cores: 21 dials of one
    /// stopped dialler counted nothing). So a dialler that has stopped without a refusal is replaced by a fresh one; the
    /// refusal asserted is the same. Every dialler started is added to <paramref name="started"/> (to shut down).
    /// </summary>
    private ActorSystem AwaitRefusal(TlsRejections rejections, Func<ActorSystem> startDialler, Action<ActorSystem> dial, List<ActorSystem> started)
    {
        var dialler = startDialler();
        started.Add(dialler);
        AwaitAssert(() =>
        {
            if (rejections.Count == 0)
            {
                if (dialler.WhenTerminated.IsCompleted)
                {
                    Output?.WriteLine($"dialler stopped without a refusal ({CoordinatedShutdown.Get(dialler).ShutdownReason?.GetType().Name}); a fresh one dials");
                    started.Add(dialler = startDialler());
                }
                dial(dialler);
            }
            Assert.True(rejections.Count >= 1);
        }, Patience, TimeSpan.FromSeconds(1));
        return dialler;
    }

    private static ActorSystemSetup WithSsl(DotNettySslSetup ssl) =>
        ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(new TlsSettings(true, "unused", null, "unused", false).ToAkkaConfig().WithFallback(NodeConfig)), ssl);

    [Fact]
    public void Nodes_with_certificates_of_the_cluster_CA_associate_and_exchange_messages_both_ways()
    {
        Assert.Equal("akka.ssl.tcp", MemberAddress.Protocol);
        Sys.ActorOf(Props.Create(() => new Inbox(TestActor)), "inbox");
        var workerRejections = new TlsRejections();
        var worker = StartNode("worker", Cluster.Node("worker-1").CreateActorSystemSetup(NodeConfig, rejections: workerRejections));
        try
        {
            var probe = CreateTestProbe(worker);
            worker.ActorSelection(new RootActorPath(MemberAddress) / "user" / "inbox").Tell("hello", probe.Ref);
            ExpectMsg("hello", Patience);
            probe.ExpectMsg("ack:hello", Patience); // the reply crossed the association in the other direction
            Assert.Equal(0, workerRejections.Count);
            Assert.DoesNotContain(MemberRejections.Recent, r => r.Certificate.Contains("CN=worker-1"));
        }
        finally { Shutdown(worker); }
    }

    [Fact]
    public void A_self_signed_node_is_refused_in_the_handshake_logged_and_counted()
    {
        Sys.ActorOf(Props.Create(() => new Inbox(TestActor)), "inbox");
        // The intruder trusts anything (suppress-validation) and presents a certificate it made itself.
        var intruder = StartNode("intruder", WithSsl(new DotNettySslSetup(SelfSigned.Create("intruder"), suppressValidation: true, requireMutualAuthentication: true)));
        try
        {
            var before = RejectionsOf("CN=intruder");
            var probe = CreateTestProbe(intruder);
            intruder.ActorSelection(new RootActorPath(MemberAddress) / "user" / "inbox").Tell("let me in", probe.Ref);
            AwaitAssert(() => Assert.True(RejectionsOf("CN=intruder") > before), Patience);
            var refusal = MemberRejections.Recent.Last(r => r.Certificate.StartsWith("CN=intruder"));
            Assert.StartsWith("self-signed certificate, not issued by the cluster CA 'CN=cluster-ca'", refusal.Reason);
            Assert.Contains("127.0.0.1]:", refusal.Peer); // the accepting side knows the peer by its socket address
            ExpectNoMsg(TimeSpan.FromSeconds(1));
            probe.ExpectNoMsg(TimeSpan.Zero);
        }
        finally { Shutdown(intruder); }
    }

    // Akka.Remote (since 1.5.55) runs CoordinatedShutdown with TlsHandshakeFailureReason (exit code 79) on the
    // side that dialled when its TLS handshake fails; the accepting side only logs. So each direction gets its own
    // dialling system, and the test asserts that rule too: the refusing dialler stops, nothing crosses.

    [Fact]
    public async Task A_node_of_another_CA_dialling_the_member_refuses_its_certificate_and_Akka_stops_that_node_the_member_stays_up()
    {
        Sys.ActorOf(Props.Create(() => new Inbox(TestActor)), "inbox");
        var otherRejections = new TlsRejections();
        var otherTls = new TestCluster("other-ca").Node("worker-9");
        var diallers = new List<ActorSystem>();
        try
        {
            var other = AwaitRefusal(otherRejections,
                () => StartNode("other", otherTls.CreateActorSystemSetup(NodeConfig, rejections: otherRejections)),
                d => d.ActorSelection(new RootActorPath(MemberAddress) / "user" / "inbox").Tell("from foreign"), diallers);
            Assert.StartsWith("certificate issued by 'CN=cluster-ca', not by the cluster CA 'CN=other-ca'", otherRejections.Recent[0].Reason);
            Assert.Equal($"ssl.tcp://member@127.0.0.1:{MemberAddress.Port}", otherRejections.Recent[0].Peer);
            await other.WhenTerminated.WaitAsync(Patience); // Akka stops the node whose outbound TLS handshake failed
            Assert.Equal("TlsHandshakeFailureReason", CoordinatedShutdown.Get(other).ShutdownReason?.GetType().Name); // internal to Akka.Remote
            ExpectNoMsg(TimeSpan.FromSeconds(1));
            Assert.False(Sys.WhenTerminated.IsCompleted); // the accepting member only logs
        }
        finally { foreach (var d in diallers) Shutdown(d); }
    }

    [Fact]
    public async Task A_cluster_node_dialling_a_node_of_another_CA_refuses_its_server_certificate_logs_and_counts_it()
    {
        var foreign = StartNode("other", new TestCluster("other-ca").Node("worker-9").CreateActorSystemSetup(NodeConfig));
        var dialerRejections = new TlsRejections();
        var dialerTls = Cluster.Node("worker-2");
        var diallers = new List<ActorSystem>();
        try
        {
            foreign.ActorOf(Props.Create(() => new Inbox(TestActor)), "inbox");
            var foreignAddress = ((ExtendedActorSystem)foreign).Provider.DefaultAddress;
            var dialer = AwaitRefusal(dialerRejections,
                () => StartNode("dialer", dialerTls.CreateActorSystemSetup(NodeConfig, rejections: dialerRejections)),
                d => d.ActorSelection(new RootActorPath(foreignAddress) / "user" / "inbox").Tell("to foreign"), diallers);
            var refusal = dialerRejections.Recent[0];
            Assert.StartsWith("certificate issued by 'CN=other-ca', not by the cluster CA 'CN=cluster-ca'", refusal.Reason);
            Assert.StartsWith("CN=worker-9", refusal.Certificate);
            Assert.Equal($"ssl.tcp://other@127.0.0.1:{foreignAddress.Port}", refusal.Peer); // the dialler names the peer by its transport address
            await dialer.WhenTerminated.WaitAsync(Patience); // Akka stops the node whose outbound TLS handshake failed
            Assert.Equal("TlsHandshakeFailureReason", CoordinatedShutdown.Get(dialer).ShutdownReason?.GetType().Name); // internal to Akka.Remote
            ExpectNoMsg(TimeSpan.FromSeconds(1));
        }
        finally { foreach (var d in diallers) Shutdown(d); Shutdown(foreign); }
    }

    [Fact]
    public void A_node_presenting_no_certificate_is_refused_by_Akka_before_the_CA_check_and_not_counted()
    {
        Sys.ActorOf(Props.Create(() => new Inbox(TestActor)), "inbox");
        // Without mutual authentication on its side, the intruder's client hello carries no certificate at all.
        var intruder = StartNode("anonymous", WithSsl(new DotNettySslSetup(SelfSigned.Create("anonymous"), suppressValidation: true, requireMutualAuthentication: false)));
        try
        {
            var failures = CreateTestProbe(intruder);
            intruder.EventStream.Subscribe(failures.Ref, typeof(Akka.Remote.AssociationErrorEvent));
            intruder.ActorSelection(new RootActorPath(MemberAddress) / "user" / "inbox").Tell("anonymous hello");
            var error = failures.ExpectMsg<Akka.Remote.AssociationErrorEvent>(Patience);
            Assert.Equal(MemberAddress, error.RemoteAddress);
            ExpectNoMsg(TimeSpan.FromSeconds(1));
            // Akka.Remote refuses a missing client certificate itself (a warning in the log); the callback never
            // runs, so TlsRejections does not count it.
            Assert.DoesNotContain(MemberRejections.Recent, r => r.Certificate.Contains("anonymous"));
            Assert.DoesNotContain(MemberRejections.Recent, r => r.Certificate == "(none)");
        }
        finally { Shutdown(intruder); }
    }

    private static long RejectionsOf(string subject) => MemberRejections.Recent.Count(r => r.Certificate.StartsWith(subject));
}
