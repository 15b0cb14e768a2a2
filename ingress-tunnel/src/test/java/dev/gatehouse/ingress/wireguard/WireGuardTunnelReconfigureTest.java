package dev.gatehouse.ingress.wireguard;

import static dev.gatehouse.ingress.wireguard.WireGuardTunnelTest.peer;
import static dev.gatehouse.ingress.wireguard.WireGuardTunnelTest.prefix;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.config.IpPrefix;
import dev.gatehouse.core.config.Secret;
import dev.gatehouse.core.testing.FlowTestKit;
import dev.gatehouse.core.tunnel.InnerPacketSink;
import dev.gatehouse.core.tunnel.Tunnel;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.tunnel.TunnelPlan;
import dev.gatehouse.core.tunnel.TunnelReconfiguration;
import dev.gatehouse.core.wire.PacketWriter;
import dev.gatehouse.ingress.wireguard.config.WireGuardPeerSettings;
import dev.gatehouse.ingress.wireguard.config.WireGuardSettings;
import dev.gatehouse.ingress.wireguard.config.WireGuardTunnelPlan;
import dev.gatehouse.ingress.wireguard.wire.MessageType;
import dev.gatehouse.ingress.wireguard.wire.TransportData;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Peers of a running tunnel changed by a reloaded plan (issue #5), between real clients on
 * loopback: the tunnel starts with peer "a" (198.18.100.0/24) and peer "b" (198.18.102.0/24), both
 * with a session, and each test shows that what did not change keeps its session, the
 * same keypair object, and its packets.
 */
class WireGuardTunnelReconfigureTest {
  private static final TunnelContext CONTEXT = new TunnelContext("sites", "wireguard", "lyon", 3, 1420);
  private static final String ORIGIN = "198.18.0.1";

  private final PacketWriter writer = new PacketWriter(PooledByteBufAllocator.DEFAULT);
  private final SecureRandom random = new SecureRandom();
  private final byte[] serverPrivate = WireGuardKeys.generatePrivateKey(random);
  private final byte[] aPrivate = WireGuardKeys.generatePrivateKey(random);
  private final byte[] bPrivate = WireGuardKeys.generatePrivateKey(random);
  private final byte[] cPrivate = WireGuardKeys.generatePrivateKey(random);
  private final WireGuardPeerSettings peerA = peer("a", WireGuardKeys.publicKey(aPrivate), null, "198.18.100.0/24");
  private final WireGuardPeerSettings peerB = peer("b", WireGuardKeys.publicKey(bPrivate), null, "198.18.102.0/24");
  private final WireGuardPeerSettings peerC = peer("c", WireGuardKeys.publicKey(cPrivate), null, "198.18.103.0/24");
  private final BlockingQueue<byte[]> arrivals = new LinkedBlockingQueue<>();
  private final InnerPacketSink sink = (from, packet) -> {
    try {
      arrivals.add(ByteBufUtil.getBytes(packet));
    } finally {
      packet.release();
    }
  };
  private final List<AutoCloseable> closeLast = new ArrayList<>();

  private EventLoopGroup loops;
  private WireGuardTunnel tunnel;
  private LoopbackClient a;
  private LoopbackClient b;

  @BeforeEach
  void startWithTwoConnectedPeers() throws IOException {
    loops = FlowTestKit.loops(Epoll.isAvailable() ? "epoll" : "nio", 1);
    tunnel = new WireGuardTunnel(CONTEXT, settings(serverPrivate, peerA, peerB), loops);
    tunnel.start(sink);
    a = client(aPrivate, null);
    b = client(bPrivate, null);
    exchange(a, "198.18.100.2");
    exchange(b, "198.18.102.2");
  }

  @AfterEach
  void stop() throws Exception {
    tunnel.close();
    for (AutoCloseable closeable : closeLast) {
      closeable.close();
    }
    loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  @Test
  void removesAndAddsPeersWhileAnUnchangedPeerKeepsItsSession() throws IOException {
    Keypair aSession = session(peerA);
    long aHandshakeNanos = tunnel.inspectPeer(publicKey(peerA), WireGuardPeer::latestHandshakeNanos);

    TunnelReconfiguration result = tunnel.reconfigure(plan(CONTEXT, serverPrivate, peerA, peerC));

    assertEquals(TunnelReconfiguration.of(List.of("peer b removed", "peer c added"), List.of()), result);
    assertSame(aSession, session(peerA));
    long aHandshakeAfterNanos = tunnel.inspectPeer(publicKey(peerA), WireGuardPeer::latestHandshakeNanos);
    assertEquals(aHandshakeNanos, aHandshakeAfterNanos);
    exchange(a, "198.18.100.2");
    assertEquals(1, handshakeResponses(a), "a's flows ran on its first session throughout");

    // b is gone: no route to it, and its session's index names nothing any more
    assertFalse(tunnel.send(packet(ORIGIN, "198.18.102.2")));
    assertEquals(1, tunnel.drops(WireGuardTunnelDropReason.OUT_NO_PEER));
    b.send(Unpooled.wrappedBuffer(bytes("198.18.102.2", ORIGIN)));
    b.pumpUntil("the tunnel drops b's packet",
        () -> tunnel.deviceCounters().drops(WireGuardDropReason.UNKNOWN_INDEX) == 1);
    assertTrue(arrivals.isEmpty());

    exchange(client(cPrivate, null), "198.18.103.2");
    assertEquals(List.of("a", "c"), tunnel.peers().stream().map(WireGuardTunnel.PeerStatus::label).toList());
  }

  @Test
  void updatesChangedPeersInPlaceAndKeepsTheirSessions() throws IOException {
    Keypair aSession = session(peerA);
    Keypair bSession = session(peerB);
    DatagramSocket elsewhere = socket();
    WireGuardPeerSettings movedA = with(peerA, List.of(prefix("198.18.109.0/24")), Optional.empty(),
        Optional.of(Duration.ofSeconds(1)));
    WireGuardPeerSettings movedB = with(peerB, peerB.allowedIps(),
        Optional.of((InetSocketAddress) elsewhere.getLocalSocketAddress()), Optional.empty());

    TunnelReconfiguration result = tunnel.reconfigure(plan(CONTEXT, serverPrivate, movedA, movedB));

    assertEquals(TunnelReconfiguration.of(List.of("peer a changed", "peer b changed"), List.of()), result);
    assertSame(aSession, session(peerA));
    assertSame(bSession, session(peerB));

    // a's allowed IPs moved: the old prefix is refused both ways, the new one works
    a.send(Unpooled.wrappedBuffer(bytes("198.18.100.2", ORIGIN)));
    byte[] fromNewPrefix = bytes("198.18.109.2", ORIGIN);
    a.send(Unpooled.wrappedBuffer(fromNewPrefix));
    a.pumpUntil("a's packet from its new prefix reaches the core", () -> !arrivals.isEmpty());
    assertArrayEquals(fromNewPrefix, arrivals.poll());
    assertEquals(1, tunnel.drops(WireGuardTunnelDropReason.IN_SOURCE_NOT_ALLOWED));
    assertFalse(tunnel.send(packet(ORIGIN, "198.18.100.2")));
    byte[] toNewPrefix = bytes(ORIGIN, "198.18.109.2");
    int deliveredBefore = a.delivered.size();
    assertTrue(tunnel.send(Unpooled.wrappedBuffer(toNewPrefix)));
    a.pumpUntil("the packet to a's new prefix arrives", () -> a.delivered.size() > deliveredBefore);
    assertArrayEquals(toNewPrefix, Arrays.copyOf(a.delivered.getLast(), toNewPrefix.length));

    // a's new persistent keepalive runs on the same session (§6.5)
    a.pumpUntil("a keepalive from the tunnel", () -> a.datagramsIn.stream()
        .anyMatch(d -> d[0] == MessageType.TRANSPORT_DATA && d.length == TransportData.MIN_LENGTH_BYTES));
    assertSame(aSession, session(peerA));

    // b's configured endpoint applies at once
    assertTrue(tunnel.send(packet(ORIGIN, "198.18.102.2")));
    assertEquals(MessageType.TRANSPORT_DATA, receiveOn(elsewhere)[0]);
    assertEquals(1, handshakeResponses(a));
  }

  @Test
  void startsANewSessionForAPeerWhosePresharedKeyChanged() throws IOException {
    Keypair bSession = session(peerB);
    byte[] psk = WireGuardKeys.generatePrivateKey(random);
    WireGuardPeerSettings rekeyedA = peer("a", WireGuardKeys.publicKey(aPrivate), psk, "198.18.100.0/24");

    TunnelReconfiguration result = tunnel.reconfigure(plan(CONTEXT, serverPrivate, rekeyedA, peerB));

    assertEquals(TunnelReconfiguration.of(List.of("peer a preshared key changed: new session"), List.of()),
        result);
    assertNull(session(peerA));
    assertSame(bSession, session(peerB));
    a.send(Unpooled.wrappedBuffer(bytes("198.18.100.2", ORIGIN)));
    a.pumpUntil("the old session's packet is dropped",
        () -> tunnel.deviceCounters().drops(WireGuardDropReason.UNKNOWN_INDEX) == 1);
    assertTrue(arrivals.isEmpty());

    exchange(client(aPrivate, psk), "198.18.100.2");
    exchange(b, "198.18.102.2");
    assertSame(bSession, session(peerB));
  }

  @Test
  void namesWhatNeedsARestartAndStillAppliesThePeers() throws IOException {
    Keypair aSession = session(peerA);
    byte[] otherPrivate = WireGuardKeys.generatePrivateKey(random);
    TunnelContext moved = new TunnelContext("sites", "wireguard", "paris", 4, 1380);
    WireGuardTunnelPlan plan = new WireGuardTunnelPlan(moved, new WireGuardSettings(Secret.of(otherPrivate), 51999,
        Optional.empty(), List.of(prefix("198.18.51.1/32")), List.of(peerA, peerB, peerC)));

    TunnelReconfiguration result = tunnel.reconfigure(plan);

    assertEquals(TunnelReconfiguration.of(List.of("peer c added"),
        List.of("mtu", "site", "virtual-network", "private-key", "listen-port", "listen-address", "address")), result);
    assertFalse(result.toString().contains(WireGuardKeys.toBase64(otherPrivate)));
    assertSame(aSession, session(peerA));
    exchange(a, "198.18.100.2");
    exchange(client(cPrivate, null), "198.18.103.2");
    assertEquals(TunnelReconfiguration.of(List.of(), result.restartNeeded()), tunnel.reconfigure(plan),
        "the same plan again changes nothing more");
  }

  @Test
  void changesNothingForItsOwnPlanAndAsksARestartForAnotherType() {
    Keypair aSession = session(peerA);

    assertEquals(TunnelReconfiguration.of(List.of(), List.of()),
        tunnel.reconfigure(plan(CONTEXT, serverPrivate, peerA, peerB)));
    assertEquals(TunnelReconfiguration.of(List.of(), List.of("type")), tunnel.reconfigure(new TunnelPlan() {
      @Override
      public TunnelContext context() {
        return new TunnelContext("sites", "tun", "sites", 0, 1500);
      }

      @Override
      public Tunnel create(EventLoopGroup group) {
        throw new AssertionError("a reload never creates a tunnel");
      }
    }));
    assertSame(aSession, session(peerA));
    assertNotNull(aSession);
  }

  // ---------------------------------------------------------------- helpers

  private LoopbackClient client(byte[] privateKey, byte[] psk) throws IOException {
    LoopbackClient client = new LoopbackClient(privateKey, WireGuardKeys.publicKey(serverPrivate), psk,
        tunnel.localAddress());
    closeLast.add(client);
    return client;
  }

  private DatagramSocket socket() throws IOException {
    DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    closeLast.add(socket);
    return socket;
  }

  /** {@code client} sends a packet from {@code source}, the core gets it; and a reply goes back. */
  private void exchange(LoopbackClient client, String source) throws IOException {
    byte[] out = bytes(source, ORIGIN);
    client.send(Unpooled.wrappedBuffer(out));
    client.pumpUntil("a packet from " + source + " reaches the core", () -> !arrivals.isEmpty());
    assertArrayEquals(out, arrivals.poll());

    int before = client.delivered.size();
    byte[] back = bytes(ORIGIN, source);
    assertTrue(tunnel.send(Unpooled.wrappedBuffer(back)));
    client.pumpUntil("the reply to " + source + " arrives", () -> client.delivered.size() > before);
    assertArrayEquals(back, Arrays.copyOf(client.delivered.getLast(), back.length));
  }

  /** The tunnel's current keypair with {@code peer}, read on its loop. */
  private Keypair session(WireGuardPeerSettings peer) {
    return tunnel.inspectPeer(publicKey(peer), p -> p.current);
  }

  private static long handshakeResponses(LoopbackClient client) {
    return client.datagramsIn.stream().filter(d -> d[0] == MessageType.HANDSHAKE_RESPONSE).count();
  }

  private static byte[] publicKey(WireGuardPeerSettings peer) {
    return peer.publicKey().bytes();
  }

  private static WireGuardPeerSettings with(WireGuardPeerSettings peer, List<IpPrefix> allowedIps,
      Optional<InetSocketAddress> endpoint, Optional<Duration> keepalive) {
    return new WireGuardPeerSettings(peer.name(), peer.publicKey(), peer.presharedKey(), allowedIps, endpoint,
        keepalive);
  }

  private static WireGuardSettings settings(byte[] privateKey, WireGuardPeerSettings... peers) {
    return new WireGuardSettings(Secret.of(privateKey), 0, Optional.of(InetAddress.getLoopbackAddress()),
        List.of(), List.of(peers));
  }

  private static WireGuardTunnelPlan plan(TunnelContext context, byte[] privateKey, WireGuardPeerSettings... peers) {
    return new WireGuardTunnelPlan(context, settings(privateKey, peers));
  }

  private static byte[] receiveOn(DatagramSocket socket) throws IOException {
    DatagramPacket packet = new DatagramPacket(new byte[2048], 2048);
    socket.setSoTimeout(5_000);
    socket.receive(packet);
    return Arrays.copyOf(packet.getData(), packet.getLength());
  }

  private ByteBuf packet(String source, String destination) {
    return Unpooled.wrappedBuffer(bytes(source, destination));
  }

  private byte[] bytes(String source, String destination) {
    ByteBuf payload = Unpooled.wrappedBuffer(new byte[] {1, 2, 3, 4, 5, 6, 7});
    ByteBuf packet = writer.udp(address(source), 40_000, address(destination), 53, payload);
    try {
      return ByteBufUtil.getBytes(packet);
    } finally {
      packet.release();
    }
  }

  private static InetAddress address(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (UnknownHostException e) {
      throw new AssertionError(literal, e);
    }
  }
}
