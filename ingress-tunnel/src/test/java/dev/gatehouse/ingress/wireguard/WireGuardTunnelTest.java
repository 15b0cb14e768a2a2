package dev.gatehouse.ingress.wireguard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.config.IpPrefix;
import dev.gatehouse.core.config.Secret;
import dev.gatehouse.core.testing.FlowTestKit;
import dev.gatehouse.core.tunnel.InnerPacketSink;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.tunnel.TunnelStatus;
import dev.gatehouse.core.wire.PacketWriter;
import dev.gatehouse.ingress.wireguard.config.WireGuardPeerSettings;
import dev.gatehouse.ingress.wireguard.config.WireGuardPublicKey;
import dev.gatehouse.ingress.wireguard.config.WireGuardSettings;
import dev.gatehouse.ingress.wireguard.wire.MessageType;
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
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A real {@link WireGuardTunnel} on loopback, driven by a {@link LoopbackClient}: the engine
 * on the other side of a UDP socket. The tunnel knows two peers: the client, which owns
 * 198.18.100.0/24 and 2001:2:0:101::/64, and "silent", which owns 198.18.101.0/24 and sits at a socket
 * that never answers.
 */
class WireGuardTunnelTest {
  private static final TunnelContext CONTEXT = new TunnelContext("sites", "wireguard", "lyon", 3, 1420);
  private static final String CLIENT_V4 = "198.18.100.2";
  private static final String CLIENT_V6 = "2001:2:0:101::2";
  private static final String ORIGIN_V4 = "198.18.0.1";
  private static final String ORIGIN_V6 = "2001:2:0:200::1";
  private static final long WAIT_MILLIS = 5_000;

  private final PacketWriter writer = new PacketWriter(PooledByteBufAllocator.DEFAULT);
  private final byte[] serverPrivate = WireGuardKeys.generatePrivateKey(new SecureRandom());
  private final byte[] clientPrivate = WireGuardKeys.generatePrivateKey(new SecureRandom());
  private final BlockingQueue<Arrival> arrivals = new LinkedBlockingQueue<>();
  private final InnerPacketSink sink = (from, packet) -> {
    try {
      arrivals.add(new Arrival(from, ByteBufUtil.getBytes(packet)));
    } finally {
      packet.release();
    }
  };

  private EventLoopGroup loops;
  private DatagramSocket silent;
  private WireGuardTunnel tunnel;
  private LoopbackClient client;

  /** What the core was handed: the tunnel it came from and the packet's bytes. */
  private record Arrival(TunnelContext from, byte[] bytes) {}

  @BeforeEach
  void start() throws IOException {
    loops = FlowTestKit.loops(Epoll.isAvailable() ? "epoll" : "nio", 1);
    silent = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    WireGuardPeerSettings clientPeer = peer("client", WireGuardKeys.publicKey(clientPrivate), null,
        "198.18.100.0/24", "2001:2:0:101::/64");
    WireGuardPeerSettings silentPeer = new WireGuardPeerSettings(Optional.of("silent"),
        WireGuardPublicKey.of(WireGuardKeys.publicKey(WireGuardKeys.generatePrivateKey(new SecureRandom()))),
        Optional.empty(), List.of(prefix("198.18.101.0/24")),
        Optional.of((InetSocketAddress) silent.getLocalSocketAddress()), Optional.empty());
    tunnel = new WireGuardTunnel(CONTEXT, settings(clientPeer, silentPeer), loops);
    tunnel.start(sink);
    client = new LoopbackClient(clientPrivate, WireGuardKeys.publicKey(serverPrivate), null, tunnel.localAddress());
  }

  @AfterEach
  void stop() throws InterruptedException {
    tunnel.close();
    client.close();
    silent.close();
    loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  // ---------------------------------------------------------------- client to core

  @ParameterizedTest
  @CsvSource({CLIENT_V4 + "," + ORIGIN_V4, CLIENT_V6 + "," + ORIGIN_V6})
  void deliversAPacketFromAnAllowedSourceTrimmedOfItsPadding(String source, String destination) throws IOException {
    // 5 bytes of payload: 33 bytes over IPv4, 53 over IPv6, which the client pads to 48 and 64 (§5.4.6)
    byte[] packet = udp(source, destination, 5);
    assertNotEquals(0, packet.length % 16);

    assertEquals(SendResult.QUEUED, client.send(Unpooled.wrappedBuffer(packet)));
    client.pumpUntil("the packet reaches the core", () -> !arrivals.isEmpty());

    Arrival arrival = arrivals.poll();
    assertEquals(CONTEXT, arrival.from());
    assertArrayEquals(packet, arrival.bytes());
    assertEquals(0, dropsAroundTheEngine());
  }

  @Test
  void dropsAndCountsPacketsWhoseSourceIsNotTheSendersAndNeverDeliversThem() throws IOException {
    connect();
    byte[] marker = udp("198.18.100.3", ORIGIN_V4, 7);

    // outside every prefix; another peer's prefix; outside the client's IPv6 prefix
    client.send(Unpooled.wrappedBuffer(udp("198.18.199.9", ORIGIN_V4, 5)));
    client.send(Unpooled.wrappedBuffer(udp("198.18.101.7", ORIGIN_V4, 5)));
    client.send(Unpooled.wrappedBuffer(udp("2001:2:0:102::2", ORIGIN_V6, 5)));
    client.send(Unpooled.wrappedBuffer(marker));
    client.pumpUntil("the marker reaches the core", () -> !arrivals.isEmpty());

    // the tunnel handles one socket's datagrams in order: the three came before the marker
    assertArrayEquals(marker, arrivals.poll().bytes());
    assertTrue(arrivals.isEmpty());
    assertEquals(3, tunnel.drops(WireGuardTunnelDropReason.IN_SOURCE_NOT_ALLOWED));
    // and on the peer that sent them, which the device itself found no fault with
    WireGuardCounters sender = tunnel.peers().stream().filter(p -> p.label().equals("client")).findFirst()
        .orElseThrow().counters();
    assertEquals(3, sender.drops(WireGuardDropReason.IN_SOURCE_NOT_ALLOWED));
    assertEquals(0, tunnel.deviceCounters().totalDrops());
  }

  // ---------------------------------------------------------------- core to client

  @ParameterizedTest
  @CsvSource({ORIGIN_V4 + "," + CLIENT_V4, ORIGIN_V6 + "," + CLIENT_V6})
  void sendsACorePacketToThePeerWhoseAllowedIpsHoldItsDestination(String source, String destination)
      throws IOException {
    connect();
    byte[] packet = udp(source, destination, 300);

    assertTrue(tunnel.send(Unpooled.wrappedBuffer(packet)));
    client.pumpUntil("the client decrypts the packet", () -> !client.delivered.isEmpty());

    byte[] delivered = client.delivered.getFirst();
    assertArrayEquals(packet, Arrays.copyOf(delivered, packet.length));
    assertEquals(0, delivered.length % 16, "padded to a multiple of 16 (§5.4.6)");
    assertTrue(allZero(Arrays.copyOfRange(delivered, packet.length, delivered.length)));
  }

  @Test
  void dropsCountsAndReleasesACorePacketNoPeerOwns() {
    ByteBuf packet = Unpooled.wrappedBuffer(udp(ORIGIN_V4, "198.18.200.9", 20));
    ByteBuf tracked = PooledByteBufAllocator.DEFAULT.buffer().writeBytes(packet);
    packet.release();

    assertFalse(tunnel.send(tracked));

    assertEquals(0, tracked.refCnt());
    assertEquals(1, tunnel.drops(WireGuardTunnelDropReason.OUT_NO_PEER));
  }

  @Test
  void sendsBurstsOfCorePacketsFromTwoThreadsEachInTheOrderItWasGiven() throws Exception {
    connect();
    int perThread = 300;
    // the payload length numbers the packet; v4 from one thread, v6 from the other (made
    // here first: the packet writer is not thread-safe)
    List<byte[]> v4Packets = new ArrayList<>();
    List<byte[]> v6Packets = new ArrayList<>();
    for (int i = 0; i < perThread; i++) {
      v4Packets.add(udp(ORIGIN_V4, CLIENT_V4, 20 + i));
      v6Packets.add(udp(ORIGIN_V6, CLIENT_V6, 20 + i));
    }
    Thread v4 = new Thread(() -> v4Packets.forEach(packet -> tunnel.send(pooled(packet))));
    Thread v6 = new Thread(() -> v6Packets.forEach(packet -> tunnel.send(pooled(packet))));
    v4.start();
    v6.start();
    v4.join();
    v6.join();
    client.pumpUntil("every packet of both bursts arrives", () -> client.delivered.size() == 2 * perThread);

    List<Integer> v4Payloads = new ArrayList<>();
    List<Integer> v6Payloads = new ArrayList<>();
    for (byte[] packet : client.delivered) {
      ByteBuf view = Unpooled.wrappedBuffer(packet);
      if ((packet[0] >>> 4) == 4) {
        v4Payloads.add(view.getUnsignedShort(2) - 20 - 8);
      } else {
        v6Payloads.add(view.getUnsignedShort(4) - 8);
      }
    }
    List<Integer> expected = IntStream.range(20, 20 + perThread).boxed().toList();
    assertEquals(expected, v4Payloads);
    assertEquals(expected, v6Payloads);
    assertEquals(0, dropsAroundTheEngine());
  }

  @Test
  void bindsItsSocketWithBuffersLargeEnoughForABurst() {
    int[] bytes = tunnel.socketBufferBytes();
    // Linux reports twice what was set: its bookkeeping counts the overhead too (socket(7))
    assertTrue(bytes[0] >= WireGuardTunnel.SOCKET_BUFFER_BYTES, "receive buffer " + bytes[0]);
    assertTrue(bytes[1] >= WireGuardTunnel.SOCKET_BUFFER_BYTES, "send buffer " + bytes[1]);
  }

  // ---------------------------------------------------------------- hostile input

  @Test
  void dropsGarbageInTheDeviceAndAnswersNothing() throws IOException {
    byte[] transportForNoSession = new byte[48];
    transportForNoSession[0] = MessageType.TRANSPORT_DATA;
    transportForNoSession[4] = 0x5a;
    client.sendRaw("not wireguard at all".getBytes(StandardCharsets.US_ASCII));
    client.sendRaw(new byte[] {MessageType.HANDSHAKE_INITIATION, 0, 0, 0, 1, 2, 3});
    client.sendRaw(transportForNoSession);

    connect();

    // replies leave the tunnel's socket in order: had garbage been answered, the answer
    // would have come before the handshake response
    assertEquals(MessageType.HANDSHAKE_RESPONSE, client.datagramsIn.getFirst()[0]);
    WireGuardCounters counters = tunnel.deviceCounters();
    assertEquals(1, counters.drops(WireGuardDropReason.BAD_TYPE));
    assertEquals(1, counters.drops(WireGuardDropReason.BAD_LENGTH));
    assertEquals(1, counters.drops(WireGuardDropReason.UNKNOWN_INDEX));
    assertEquals(3, counters.totalDrops());
    assertEquals(0, tunnel.peers().getFirst().counters().totalDrops());
  }

  // ---------------------------------------------------------------- status and lifecycle

  @Test
  void reportsEachPeersHandshakeAndEndpoint() throws IOException {
    long beforeNanos = System.nanoTime();
    connect();
    long afterNanos = System.nanoTime();

    List<WireGuardTunnel.PeerStatus> peers = tunnel.peers();

    assertEquals(List.of("client", "silent"), peers.stream().map(WireGuardTunnel.PeerStatus::label).toList());
    WireGuardTunnel.PeerStatus connected = peers.get(0);
    assertEquals(client.address(), connected.endpoint());
    assertTrue(connected.latestHandshakeNanos() - beforeNanos >= 0
        && afterNanos - connected.latestHandshakeNanos() >= 0, "handshake time within the exchange");
    assertEquals(2, connected.counters().packetsIn(), "an initiation and one transport message");
    assertEquals(1, connected.counters().packetsOut(), "the response");
    WireGuardTunnel.PeerStatus idle = peers.get(1);
    assertEquals(silent.getLocalSocketAddress(), idle.endpoint());
    assertEquals(Long.MIN_VALUE, idle.latestHandshakeNanos());
    assertEquals(0, idle.counters().packetsIn());
    assertEquals(0, idle.queuedPackets());
  }

  @Test
  void showsTheDevicesCountersTheDropsAroundItAndEachPeerInItsStatus() throws IOException {
    long beforeMillis = System.currentTimeMillis();
    connect();
    long afterMillis = System.currentTimeMillis();
    client.send(Unpooled.wrappedBuffer(udp("198.18.199.9", ORIGIN_V4, 5)));
    client.sendRaw("not wireguard at all".getBytes(StandardCharsets.US_ASCII));
    client.send(Unpooled.wrappedBuffer(udp(CLIENT_V4, ORIGIN_V4, 5)));
    client.pumpUntil("the marker reaches the core", () -> !arrivals.isEmpty());
    assertFalse(tunnel.send(Unpooled.wrappedBuffer(udp(ORIGIN_V4, "198.18.200.9", 20))));

    TunnelStatus status = tunnel.status();

    assertTrue(status.running());
    assertEquals(List.of("sites", "wireguard", "lyon"), List.of(status.name(), status.type(), status.site()));
    assertEquals(tunnel.deviceCounters().packetsIn(), status.counters().get("packets.in"));
    assertEquals(tunnel.deviceCounters().bytesOut(), status.counters().get("bytes.out"));
    assertEquals(1L, status.counters().get("drops.bad-type"));
    assertEquals(1L, status.counters().get("drops.in-source-not-allowed"));
    assertEquals(1L, status.counters().get("drops.out-no-peer"));
    assertTrue(status.health().isEmpty());

    assertEquals(List.of("client", "silent"), status.peers().stream().map(TunnelStatus.Peer::name).toList());
    TunnelStatus.Peer connected = status.peers().get(0);
    assertEquals(Optional.of(client.address()), connected.endpoint());
    long handshakeMillis = connected.latestHandshakeEpochMillis().orElseThrow();
    assertTrue(handshakeMillis >= beforeMillis - 1 && handshakeMillis <= afterMillis + 1,
        handshakeMillis + " within " + beforeMillis + ".." + afterMillis);
    assertEquals(4L, connected.counters().get("packets.in"), "an initiation and three transport messages");
    assertEquals(1L, connected.counters().get("drops.in-source-not-allowed"));
    assertEquals(0L, connected.counters().get("drops.bad-type"), "no peer to blame");
    TunnelStatus.Peer idle = status.peers().get(1);
    assertEquals(Optional.of(silent.getLocalSocketAddress()), idle.endpoint());
    assertTrue(idle.latestHandshakeEpochMillis().isEmpty());
    String shown = status.toString();
    for (byte[] key : List.of(serverPrivate, clientPrivate)) {
      assertFalse(shown.contains(WireGuardKeys.toBase64(key)), "no private key in the status");
    }
  }

  @Test
  void showsNoPeersAndNotRunningBeforeStartAndAfterClose() throws Exception {
    WireGuardTunnel unstarted = new WireGuardTunnel(CONTEXT, settings(
        peer("client", client.publicKey(), null, "198.18.100.0/24"),
        peer("other", WireGuardKeys.publicKey(WireGuardKeys.generatePrivateKey(new SecureRandom())), null,
            "198.18.101.0/24")), loops);
    TunnelStatus before = unstarted.status();
    assertFalse(before.running());
    assertTrue(before.peers().isEmpty());
    assertEquals(List.of(0L), before.counters().values().stream().distinct().toList());

    connect();
    long packetsIn = tunnel.status().counters().get("packets.in");
    tunnel.close();
    loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();

    TunnelStatus after = tunnel.status();
    assertFalse(after.running());
    assertTrue(after.peers().isEmpty(), "closing forgot the peers");
    assertEquals(packetsIn, after.counters().get("packets.in"), "counters outlive the socket and the loop");
  }

  @Test
  void closeReleasesQueuedPacketsAndTheSocketAndRefusesLaterPackets() throws Exception {
    InetSocketAddress bound = tunnel.localAddress();
    ByteBuf queued = pooled(udp(ORIGIN_V4, "198.18.101.5", 64));
    assertTrue(tunnel.send(queued));
    // the packet waits in the device for the silent peer's handshake, whose initiation went out
    assertEquals(MessageType.HANDSHAKE_INITIATION, receiveOn(silent)[0]);
    assertEquals(1, tunnel.peers().get(1).queuedPackets());

    tunnel.close();

    assertEquals(0, queued.refCnt());
    try (DatagramSocket again = new DatagramSocket(bound)) {
      assertEquals(bound.getPort(), again.getLocalPort());
    }
    ByteBuf late = pooled(udp(ORIGIN_V4, CLIENT_V4, 20));
    assertFalse(tunnel.send(late));
    assertEquals(0, late.refCnt());
    assertEquals(1, tunnel.drops(WireGuardTunnelDropReason.OUT_NOT_RUNNING));
    tunnel.close();
  }

  @Test
  void wipesItsPeersWhenClosedAfterAFailedStart() throws Exception {
    WireGuardTunnel clash = new WireGuardTunnel(CONTEXT, new WireGuardSettings(Secret.of(serverPrivate),
        tunnel.localAddress().getPort(), Optional.of(InetAddress.getLoopbackAddress()), List.of(),
        List.of(peer("client", client.publicKey(), null, "198.18.100.0/24"))), loops);

    IOException refused = assertThrows(IOException.class, () -> clash.start(sink));
    assertTrue(refused.getMessage().contains("cannot listen on UDP"), refused.getMessage());
    clash.close();

    ByteBuf packet = pooled(udp(ORIGIN_V4, CLIENT_V4, 20));
    assertFalse(clash.send(packet));
    assertEquals(0, packet.refCnt());
    assertEquals(0, clash.peers().size(), "closing forgot the peers a failed start had added");
  }

  // ---------------------------------------------------------------- helpers

  /** The client sends one packet from an allowed source and the core receives it. */
  private void connect() throws IOException {
    client.send(Unpooled.wrappedBuffer(udp(CLIENT_V4, ORIGIN_V4, 5)));
    client.pumpUntil("the handshake completes and a packet reaches the core", () -> !arrivals.isEmpty());
    arrivals.clear();
  }

  private long dropsAroundTheEngine() {
    long total = 0;
    for (WireGuardTunnelDropReason reason : WireGuardTunnelDropReason.values()) {
      total += tunnel.drops(reason);
    }
    return total;
  }

  private byte[] udp(String source, String destination, int payloadBytes) {
    byte[] payload = new byte[payloadBytes];
    Arrays.fill(payload, (byte) 0x6b);
    ByteBuf packet = writer.udp(address(source), 40_000, address(destination), 53, Unpooled.wrappedBuffer(payload));
    try {
      return ByteBufUtil.getBytes(packet);
    } finally {
      packet.release();
    }
  }

  private static ByteBuf pooled(byte[] bytes) {
    return PooledByteBufAllocator.DEFAULT.buffer(bytes.length).writeBytes(bytes);
  }

  private static byte[] receiveOn(DatagramSocket socket) throws IOException {
    DatagramPacket packet = new DatagramPacket(new byte[2048], 2048);
    socket.setSoTimeout((int) WAIT_MILLIS);
    socket.receive(packet);
    return Arrays.copyOf(packet.getData(), packet.getLength());
  }

  private static boolean allZero(byte[] bytes) {
    for (byte b : bytes) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }

  private WireGuardSettings settings(WireGuardPeerSettings first, WireGuardPeerSettings second) {
    return new WireGuardSettings(Secret.of(serverPrivate), 0, Optional.of(InetAddress.getLoopbackAddress()),
        List.of(), List.of(first, second));
  }

  static WireGuardPeerSettings peer(String name, byte[] publicKey, byte[] psk, String... allowedIps) {
    return new WireGuardPeerSettings(Optional.of(name), WireGuardPublicKey.of(publicKey),
        Optional.ofNullable(psk).map(Secret::of), Arrays.stream(allowedIps).map(WireGuardTunnelTest::prefix).toList(),
        Optional.empty(), Optional.empty());
  }

  static IpPrefix prefix(String text) {
    return IpPrefix.parse(text).orElseThrow();
  }

  private static InetAddress address(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (UnknownHostException e) {
      throw new AssertionError(literal, e);
    }
  }
}
