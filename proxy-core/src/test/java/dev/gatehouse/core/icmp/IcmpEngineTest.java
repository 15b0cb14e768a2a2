package dev.gatehouse.core.icmp;

import static dev.gatehouse.core.linux.IsolatedThreads.inFreshNetworkNamespace;
import static dev.gatehouse.core.testing.FlowTestKit.TUNNEL;
import static dev.gatehouse.core.testing.Pcap4jChecks.decodeVerified;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.flow.DropCounters;
import dev.gatehouse.core.flow.FlowDispatcher;
import dev.gatehouse.core.flow.Transport;
import dev.gatehouse.core.linux.NativeException;
import dev.gatehouse.core.log.ActivityRecord;
import dev.gatehouse.core.log.CloseReason;
import dev.gatehouse.core.policy.Policies;
import dev.gatehouse.core.policy.Policy;
import dev.gatehouse.core.policy.PolicyAction;
import dev.gatehouse.core.policy.PolicySet;
import dev.gatehouse.core.policy.expr.Expression;
import dev.gatehouse.core.testing.FlowTestKit;
import dev.gatehouse.core.testing.FlowTestKit.RecordingActivityLog;
import dev.gatehouse.core.testing.FlowTestKit.RecordingReturnPath;
import dev.gatehouse.core.wire.Icmpv4Message;
import dev.gatehouse.core.wire.Icmpv6Message;
import dev.gatehouse.core.wire.IpPacket;
import dev.gatehouse.core.wire.PacketWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.pcap4j.packet.IcmpV4CommonPacket;
import org.pcap4j.packet.IcmpV4EchoReplyPacket;
import org.pcap4j.packet.IcmpV6CommonPacket;
import org.pcap4j.packet.IcmpV6EchoReplyPacket;

/**
 * Pings loopback through the ICMP engine, in a network namespace of the test's own: its
 * {@code net.ipv4.ping_group_range} is set there, and the event loops are started from the
 * namespace's thread so that they, and the ping sockets they open, live in it too.
 */
class IcmpEngineTest {

  private static final Path PING_GROUP_RANGE = Path.of("/proc/sys/net/ipv4/ping_group_range");
  private static final byte[] DATA = "echo through gatehouse".getBytes(StandardCharsets.US_ASCII);

  private final PacketWriter writer = new PacketWriter(ByteBufAllocator.DEFAULT);

  @ParameterizedTest
  @CsvSource({"127.0.0.1, 198.18.0.2", "::1, 2001:2::2"})
  void repliesWithTheClientsIdentifierSequenceAndData(String targetText, String clientText)
      throws Exception {
    inFreshNetworkNamespace(() -> {
      Files.writeString(PING_GROUP_RANGE, "0 2147483647");
      InetAddress target = InetAddress.getByName(targetText);
      InetAddress client = InetAddress.getByName(clientText);
      RecordingReturnPath returnPath = new RecordingReturnPath();
      RecordingActivityLog activityLog = new RecordingActivityLog();
      EventLoopGroup loops = startedLoops();
      IcmpEngine engine = new IcmpEngine(IcmpSettings.defaults(), activityLog);
      FlowDispatcher dispatcher = new FlowDispatcher(loops,
          Map.of(Transport.ICMP, engine, Transport.ICMPV6, engine), returnPath, new DropCounters());
      try {
        dispatcher.accept(TUNNEL, echoRequest(client, target, 0x4242, 1));
        assertEchoReply(returnPath.take(), target, client, 0x4242, 1);
        dispatcher.accept(TUNNEL, echoRequest(client, target, 0x4242, 2));
        assertEchoReply(returnPath.take(), target, client, 0x4242, 2);
        assertEquals(1, engine.openFlows(), "one ping socket for the flow");

        dispatcher.close();
        ActivityRecord record = activityLog.await(r -> true, 5000);
        assertEquals("icmp", record.transport());
        assertEquals(CloseReason.PROXY_SHUTDOWN, record.closeReason());
        assertEquals(new InetSocketAddress(client, 0), record.source());
        assertEquals(new InetSocketAddress(target, 0), record.destination());
        assertEquals(client, record.sourceInternal());
        assertEquals(TUNNEL.site(), record.site());
        assertNotNull(record.egress(), "the ping socket's address");
        assertEquals(2, record.packetsSent());
        assertEquals(2, record.packetsReceived());
        assertEquals(2L * DATA.length, record.bytesReceived());
        assertEquals(0, engine.openFlows());
      } finally {
        dispatcher.close();
        loops.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        returnPath.releaseAll();
      }
      return null;
    });
  }

  @Test
  void aBlockedEchoGetsNoReplyAndOneRecord() throws Exception {
    inFreshNetworkNamespace(() -> {
      Files.writeString(PING_GROUP_RANGE, "0 2147483647");
      InetAddress target = InetAddress.getByName("127.0.0.1");
      InetAddress client = InetAddress.getByName("198.18.0.2");
      RecordingReturnPath returnPath = new RecordingReturnPath();
      RecordingActivityLog activityLog = new RecordingActivityLog();
      EventLoopGroup loops = startedLoops();
      Policies policies = new Policies(PolicySet.of(List.of(Policy.of("no-ping",
          Expression.compile("net.protocol == \"icmp\" and net.dst.ip == 127.0.0.1"), PolicyAction.BLOCK)),
          PolicyAction.ALLOW), Duration.ofSeconds(3));
      IcmpEngine engine = new IcmpEngine(IcmpSettings.defaults(), activityLog, policies);
      FlowDispatcher dispatcher = new FlowDispatcher(loops, Map.of(Transport.ICMP, engine), returnPath,
          new DropCounters(), policies);
      try {
        dispatcher.accept(TUNNEL, echoRequest(client, target, 0x4243, 1));
        dispatcher.accept(TUNNEL, echoRequest(client, target, 0x4243, 2));
        assertTrue(returnPath.nothingWithin(300), "a blocked echo was answered");

        dispatcher.close();
        ActivityRecord record = activityLog.awaitEnd(Duration.ofSeconds(5));
        assertEquals(CloseReason.POLICY_BLOCKED, record.closeReason());
        assertEquals("no-ping", record.policyName());
        assertEquals(2, record.packetsSent());
        assertEquals(0, record.packetsReceived());
      } finally {
        dispatcher.close();
        loops.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        returnPath.releaseAll();
      }
      return null;
    });
  }

  @Test
  void startupCheckNamesTheGroupToAllow() throws Exception {
    long effectiveGid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:gid");
    inFreshNetworkNamespace(() -> {
      Files.writeString(PING_GROUP_RANGE, "1 0");

      NativeException e = assertThrows(NativeException.class, IcmpEngine::checkPingSockets);
      assertTrue(e.getMessage().contains("net.ipv4.ping_group_range=\"" + effectiveGid + " "
          + effectiveGid + "\""), e.getMessage());

      Files.writeString(PING_GROUP_RANGE, effectiveGid + " " + effectiveGid);
      IcmpEngine.checkPingSockets();
      return null;
    });
  }

  /** Epoll loops whose threads start now, from this (namespaced) thread. */
  private static EventLoopGroup startedLoops() throws InterruptedException {
    EventLoopGroup loops = FlowTestKit.loops("epoll", 2);
    for (EventExecutor loop : loops) {
      loop.submit(() -> { }).sync();
    }
    return loops;
  }

  private ByteBuf echoRequest(InetAddress client, InetAddress target, int identifier,
      int sequence) {
    // The writer makes replies; a request differs only in its type (RFC 792 p.14: 8,
    // RFC 4443 §4.1: 128) and so its checksum.
    ByteBuf packet = writer.echoReply(client, target, identifier, sequence,
        Unpooled.wrappedBuffer(DATA));
    IpPacket ip = new IpPacket();
    ip.wrap(packet, 0, packet.readableBytes());
    if (ip.isIpv4()) {
      Icmpv4Message icmp = new Icmpv4Message();
      icmp.wrap(packet, ip.payloadOffset(), ip.payloadLengthBytes());
      icmp.setType(Icmpv4Message.TYPE_ECHO_REQUEST);
      icmp.writeChecksum();
    } else {
      Icmpv6Message icmp = new Icmpv6Message();
      icmp.wrap(packet, ip.payloadOffset(), ip.payloadLengthBytes());
      icmp.setType(Icmpv6Message.TYPE_ECHO_REQUEST);
      icmp.writeChecksum(ip.pseudoHeaderSum(ip.payloadLengthBytes()));
    }
    return packet;
  }

  private static void assertEchoReply(ByteBuf reply, InetAddress from, InetAddress to,
      int identifier, int sequence) {
    try {
      org.pcap4j.packet.IpPacket packet = decodeVerified(reply);
      assertEquals(from, packet.getHeader().getSrcAddr());
      assertEquals(to, packet.getHeader().getDstAddr());
      if (packet.getPayload() instanceof IcmpV4CommonPacket icmp) {
        IcmpV4EchoReplyPacket echo = (IcmpV4EchoReplyPacket) icmp.getPayload();
        assertEquals((short) identifier, echo.getHeader().getIdentifier());
        assertEquals((short) sequence, echo.getHeader().getSequenceNumber());
        assertArrayEquals(DATA, echo.getPayload().getRawData());
      } else {
        IcmpV6EchoReplyPacket echo =
            (IcmpV6EchoReplyPacket) ((IcmpV6CommonPacket) packet.getPayload()).getPayload();
        assertEquals((short) identifier, echo.getHeader().getIdentifier());
        assertEquals((short) sequence, echo.getHeader().getSequenceNumber());
        assertArrayEquals(DATA, echo.getPayload().getRawData());
      }
    } finally {
      reply.release();
    }
  }
}
