package dev.gatehouse.core.udp;

import static dev.gatehouse.core.testing.FlowTestKit.TUNNEL;
import static dev.gatehouse.core.testing.Pcap4jChecks.decodeVerified;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.flow.DropCounters;
import dev.gatehouse.core.flow.DropReason;
import dev.gatehouse.core.flow.FlowDispatcher;
import dev.gatehouse.core.flow.Transport;
import dev.gatehouse.core.log.ActivityRecord;
import dev.gatehouse.core.log.CloseReason;
import dev.gatehouse.core.policy.Policies;
import dev.gatehouse.core.policy.Policy;
import dev.gatehouse.core.policy.PolicyAction;
import dev.gatehouse.core.policy.PolicySet;
import dev.gatehouse.core.policy.expr.Expression;
import dev.gatehouse.core.testing.FlowTestKit;
import dev.gatehouse.core.testing.HexResources;
import dev.gatehouse.core.testing.FlowTestKit.RecordingActivityLog;
import dev.gatehouse.core.testing.FlowTestKit.RecordingReturnPath;
import dev.gatehouse.core.wire.PacketWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.IpPacket;
import org.pcap4j.packet.UdpPacket;

/** Network policies on UDP sessions: decided on the first datagram, with what it shows. */
class UdpPolicyTest {
  private static final int CLIENT_PORT = 40000;
  private static final byte[] REQUEST = "request".getBytes(StandardCharsets.US_ASCII);

  private final PacketWriter writer = new PacketWriter(ByteBufAllocator.DEFAULT);
  private final RecordingReturnPath returnPath = new RecordingReturnPath();
  private final RecordingActivityLog activityLog = new RecordingActivityLog();
  private final DropCounters drops = new DropCounters();
  private final InetAddress client = address("198.18.0.2");
  private final InetAddress loopback = address("127.0.0.1");
  private EventLoopGroup loops;
  private FlowDispatcher dispatcher;

  private void start(Policy... rules) {
    Policies policies = new Policies(PolicySet.of(List.of(rules), PolicyAction.ALLOW), Duration.ofSeconds(3));
    loops = FlowTestKit.loops("epoll", 2);
    dispatcher = new FlowDispatcher(loops,
        Map.of(Transport.UDP, new UdpEngine(UdpSettings.defaults(), activityLog, policies)),
        returnPath, drops, policies);
  }

  @AfterEach
  void stop() throws Exception {
    if (dispatcher != null) {
      dispatcher.close();
    }
    if (loops != null) {
      loops.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
    }
    returnPath.releaseAll();
  }

  @Test
  void blockedSessionSendsNothingToTheOriginAndIsLoggedOnce() throws Exception {
    try (DatagramSocket origin = new DatagramSocket(new InetSocketAddress(loopback, 0))) {
      origin.setSoTimeout(300);
      start(Policy.of("no-udp", Expression.compile("net.dst.port == " + origin.getLocalPort()), PolicyAction.BLOCK));
      for (int i = 0; i < 3; i++) {
        send(origin.getLocalPort(), REQUEST);
      }
      assertThrows(SocketTimeoutException.class, () -> origin.receive(new DatagramPacket(new byte[64], 64)));
      assertEquals(3, drops.forTunnel(TUNNEL.name(), DropReason.POLICY_BLOCKED));

      dispatcher.close();
      List<ActivityRecord> ends = activityLog.awaitEnds(1, Duration.ofSeconds(5));
      assertEquals(CloseReason.POLICY_BLOCKED, ends.getFirst().closeReason());
      assertEquals("no-udp", ends.getFirst().policyName());
      assertEquals(3, ends.getFirst().packetsSent());
    }
  }

  @Test
  void dnsIsDetectedOnTheFirstDatagramSoThatAPolicyCanSelectIt() throws Exception {
    try (DatagramSocket origin = new DatagramSocket(new InetSocketAddress(loopback, 0))) {
      origin.setSoTimeout(300);
      start(Policy.of("no-dns", Expression.compile("net.detected_protocol == \"dns\""), PolicyAction.BLOCK));
      send(origin.getLocalPort(), dnsQuery());
      assertThrows(SocketTimeoutException.class, () -> origin.receive(new DatagramPacket(new byte[64], 64)));

      // Not DNS, same port: allowed.
      origin.setSoTimeout(5_000);
      sendFrom(CLIENT_PORT + 1, origin.getLocalPort(), REQUEST);
      DatagramPacket received = new DatagramPacket(new byte[64], 64);
      origin.receive(received);
      assertArrayEquals(REQUEST, Arrays.copyOf(received.getData(), received.getLength()));

      dispatcher.close();
      ActivityRecord blocked = activityLog.await(r -> "no-dns".equals(r.policyName()), 5_000);
      assertEquals("dns", blocked.detectedProtocol());
    }
  }

  @Test
  void overrideSendsTheSessionToTheOtherOriginAndRepliesComeFromTheAskedAddress() throws Exception {
    try (DatagramSocket other = new DatagramSocket(new InetSocketAddress(loopback, 0))) {
      other.setSoTimeout(5_000);
      int asked = other.getLocalPort() == 65_000 ? 65_001 : 65_000;
      start(new Policy("move", Expression.compile("net.dst.port == " + asked), PolicyAction.OVERRIDE,
          loopback, other.getLocalPort(), false));
      send(asked, REQUEST);
      DatagramPacket received = new DatagramPacket(new byte[64], 64);
      other.receive(received);
      assertArrayEquals(REQUEST, Arrays.copyOf(received.getData(), received.getLength()));
      other.send(new DatagramPacket(REQUEST, REQUEST.length, received.getSocketAddress()));

      ByteBuf reply = returnPath.take();
      try {
        IpPacket packet = decodeVerified(reply);
        assertEquals(loopback, packet.getHeader().getSrcAddr());
        assertEquals(asked, ((UdpPacket) packet.getPayload()).getHeader().getSrcPort().valueAsInt());
      } finally {
        reply.release();
      }
      dispatcher.close();
      ActivityRecord record = activityLog.awaitEnd(Duration.ofSeconds(5));
      assertEquals("override", record.policyAction());
      assertEquals(other.getLocalPort(), record.overrideDestination().getPort());
    }
  }

  @Test
  void aSessionWhoseSocketCannotOpenAbsorbsRetriesAndEndsInOneRecord() throws Exception {
    Policies policies = Policies.allowAll();
    loops = FlowTestKit.loops("epoll", 2);
    UdpSettings unbindable = new UdpSettings(UdpSettings.DEFAULT_IDLE_TIMEOUT, UdpSettings.DEFAULT_MAX_SESSIONS,
        null, null, "gh-no-such-if", true);
    dispatcher = new FlowDispatcher(loops, Map.of(Transport.UDP, new UdpEngine(unbindable, activityLog, policies)),
        returnPath, drops, policies);
    for (int i = 0; i < 3; i++) {
      send(9, REQUEST);
    }
    dispatcher.close();

    List<ActivityRecord> ends = activityLog.awaitEnds(1, Duration.ofSeconds(5));
    assertEquals(CloseReason.ORIGIN_ERROR, ends.getFirst().closeReason());
    assertEquals(3, ends.getFirst().packetsSent());
    assertEquals(3, drops.forTunnel(TUNNEL.name(), DropReason.ORIGIN_UNAVAILABLE));
    assertTrue(returnPath.nothingWithin(100));
  }

  /** RFC 9001 Appendix A.2: a real client Initial whose ClientHello names example.com. */
  private static final byte[] RFC9001_INITIAL = HexResources.read("/dev/gatehouse/core/inspect/rfc9001-a2-client-initial.hex");

  @Test
  void aQuicSniBlockDecryptsTheInitialAndSendsNothingToTheOrigin() throws Exception {
    try (DatagramSocket origin = new DatagramSocket(new InetSocketAddress(loopback, 0))) {
      origin.setSoTimeout(300);
      start(Policy.of("no-example", Expression.compile("net.sni.host == \"example.com\""), PolicyAction.BLOCK));
      send(origin.getLocalPort(), RFC9001_INITIAL);
      send(origin.getLocalPort(), RFC9001_INITIAL);
      assertThrows(SocketTimeoutException.class, () -> origin.receive(new DatagramPacket(new byte[1500], 1500)));

      dispatcher.close();
      ActivityRecord record = activityLog.awaitEnd(Duration.ofSeconds(5));
      assertEquals(CloseReason.POLICY_BLOCKED, record.closeReason());
      assertEquals("no-example", record.policyName());
      assertEquals("example.com", record.sni());
      assertEquals("quic", record.detectedProtocol());
      assertEquals(2, record.packetsSent());
    }
  }

  @Test
  void aQuicFlowAnSniRuleDoesNotMatchReachesTheOriginWithItsHeldInitial() throws Exception {
    try (DatagramSocket origin = new DatagramSocket(new InetSocketAddress(loopback, 0))) {
      origin.setSoTimeout(5_000);
      start(Policy.of("no-other", Expression.compile("net.sni.host == \"other.example\""), PolicyAction.BLOCK));
      send(origin.getLocalPort(), RFC9001_INITIAL);
      DatagramPacket received = new DatagramPacket(new byte[1500], 1500);
      origin.receive(received);
      assertArrayEquals(RFC9001_INITIAL, Arrays.copyOf(received.getData(), received.getLength()));

      dispatcher.close();
      ActivityRecord record = activityLog.awaitEnd(Duration.ofSeconds(5));
      assertEquals("allow", record.policyAction());
      assertEquals("example.com", record.sni());
    }
  }

  private void send(int port, byte[] payload) {
    sendFrom(CLIENT_PORT, port, payload);
  }

  private void sendFrom(int clientPort, int port, byte[] payload) {
    dispatcher.accept(TUNNEL, writer.udp(client, clientPort, loopback, port, Unpooled.wrappedBuffer(payload)));
  }

  /** A standard query for A records of {@code example.com} (RFC 1035 §4.1). */
  private static byte[] dnsQuery() {
    byte[] header = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
    byte[] question = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1};
    byte[] query = Arrays.copyOf(header, header.length + question.length);
    System.arraycopy(question, 0, query, header.length, question.length);
    return query;
  }

  private static InetAddress address(String text) {
    try {
      return InetAddress.getByName(text);
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
