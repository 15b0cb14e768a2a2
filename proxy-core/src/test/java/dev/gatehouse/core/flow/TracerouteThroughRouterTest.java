package dev.gatehouse.core.flow;

import static dev.gatehouse.core.linux.IsolatedThreads.inFreshNetworkNamespace;
import static dev.gatehouse.core.testing.FlowTestKit.TUNNEL;
import static dev.gatehouse.core.testing.Pcap4jChecks.decodeVerified;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.icmp.IcmpEngine;
import dev.gatehouse.core.icmp.IcmpSettings;
import dev.gatehouse.core.log.ActivityRecord;
import dev.gatehouse.core.log.CloseReason;
import dev.gatehouse.core.testing.FlowTestKit;
import dev.gatehouse.core.testing.FlowTestKit.RecordingActivityLog;
import dev.gatehouse.core.testing.FlowTestKit.RecordingReturnPath;
import dev.gatehouse.core.udp.UdpEngine;
import dev.gatehouse.core.udp.UdpSettings;
import dev.gatehouse.core.wire.Icmpv4Message;
import dev.gatehouse.core.wire.IpPacket;
import dev.gatehouse.core.wire.Ipv4Header;
import dev.gatehouse.core.wire.PacketWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Traceroute through the flow engines over a routed path of real namespaces: the test's
 * own namespace (the appliance, 198.18.96.2) reaches 198.18.97.0/24 through a router
 * namespace (198.18.96.1 / 198.18.97.1, forwarding) to a far host namespace (198.18.97.2).
 * A probe with TTL 1 must die at the router and come back to the client as the router's
 * time exceeded; with TTL 2 it must reach the far host.
 */
class TracerouteThroughRouterTest {

  private static final Path PING_GROUP_RANGE = Path.of("/proc/sys/net/ipv4/ping_group_range");
  private static final AtomicInteger PATHS = new AtomicInteger();
  private static final byte[] PROBE = "probe".getBytes(StandardCharsets.US_ASCII);
  private static final int CLIENT_PORT = 40000;
  private static final int TRACEROUTE_PORT = 33434;

  private final PacketWriter writer = new PacketWriter(ByteBufAllocator.DEFAULT);

  @Test
  void relaysTheRoutersTimeExceededForAUdpProbeWithTtlOne() throws Exception {
    onRoutedPath(path -> {
      EventLoopGroup loops = startedLoops();
      RecordingReturnPath returnPath = new RecordingReturnPath();
      UdpEngine engine = new UdpEngine(UdpSettings.defaults(), new RecordingActivityLog());
      FlowDispatcher dispatcher = new FlowDispatcher(loops, Map.of(Transport.UDP, engine),
          returnPath, new DropCounters());
      try {
        ByteBuf probe = withTtl(writer.udp(path.client, CLIENT_PORT, path.far, TRACEROUTE_PORT,
            Unpooled.wrappedBuffer(PROBE)), 1);
        byte[] sent = ByteBufUtil.getBytes(probe);
        dispatcher.accept(TUNNEL, probe);

        assertIcmpError(returnPath.take(), path.router, path.client,
            Icmpv4Message.TYPE_TIME_EXCEEDED, 0, sent);
        assertEquals(1, engine.openSessions(), "a time exceeded does not end the session");
      } finally {
        stop(dispatcher, loops, returnPath);
      }
    });
  }

  @Test
  void reachesTheFarHostWithTtlTwoWhichRefusesThePort() throws Exception {
    onRoutedPath(path -> {
      EventLoopGroup loops = startedLoops();
      RecordingReturnPath returnPath = new RecordingReturnPath();
      RecordingActivityLog activityLog = new RecordingActivityLog();
      UdpEngine engine = new UdpEngine(UdpSettings.defaults(), activityLog);
      FlowDispatcher dispatcher = new FlowDispatcher(loops, Map.of(Transport.UDP, engine),
          returnPath, new DropCounters());
      try {
        ByteBuf probe = withTtl(writer.udp(path.client, CLIENT_PORT, path.far,
            TRACEROUTE_PORT + 1, Unpooled.wrappedBuffer(PROBE)), 2);
        byte[] sent = ByteBufUtil.getBytes(probe);
        dispatcher.accept(TUNNEL, probe);

        assertIcmpError(returnPath.take(), path.far, path.client,
            Icmpv4Message.TYPE_DESTINATION_UNREACHABLE, 3, sent);
        ActivityRecord record = activityLog.await(r -> true, 5000);
        assertEquals(CloseReason.PROXY_CONN_REFUSED, record.closeReason());
      } finally {
        stop(dispatcher, loops, returnPath);
      }
    });
  }

  @Test
  void relaysTheRoutersTimeExceededForAnEchoWithTtlOneAndTheReplyWithTtlTwo()
      throws Exception {
    onRoutedPath(path -> {
      Files.writeString(PING_GROUP_RANGE, "0 2147483647");
      EventLoopGroup loops = startedLoops();
      RecordingReturnPath returnPath = new RecordingReturnPath();
      IcmpEngine engine = new IcmpEngine(IcmpSettings.defaults(), new RecordingActivityLog());
      FlowDispatcher dispatcher = new FlowDispatcher(loops, Map.of(Transport.ICMP, engine),
          returnPath, new DropCounters());
      try {
        ByteBuf request = withTtl(echoRequest(path.client, path.far, 0x7777, 1), 1);
        byte[] sent = ByteBufUtil.getBytes(request);
        dispatcher.accept(TUNNEL, request);

        assertIcmpError(returnPath.take(), path.router, path.client,
            Icmpv4Message.TYPE_TIME_EXCEEDED, 0, sent);
        assertEquals(1, engine.openFlows(), "a time exceeded does not end the flow");

        dispatcher.accept(TUNNEL, withTtl(echoRequest(path.client, path.far, 0x7777, 2), 2));
        ByteBuf reply = returnPath.take();
        try {
          org.pcap4j.packet.IpPacket packet = decodeVerified(reply);
          assertEquals(path.far, packet.getHeader().getSrcAddr());
          int icmpAt = Ipv4Header.MIN_HEADER_LENGTH_BYTES;
          assertEquals(Icmpv4Message.TYPE_ECHO_REPLY, reply.getUnsignedByte(icmpAt));
          assertEquals(2, reply.getUnsignedShort(icmpAt + Icmpv4Message.SEQUENCE_NUMBER_OFFSET));
        } finally {
          reply.release();
        }
      } finally {
        stop(dispatcher, loops, returnPath);
      }
    });
  }

  @Test
  void quotesTheMatchingRequestForEachOfSeveralEchoProbesInFlight() throws Exception {
    onRoutedPath(path -> {
      Files.writeString(PING_GROUP_RANGE, "0 2147483647");
      EventLoopGroup loops = startedLoops();
      RecordingReturnPath returnPath = new RecordingReturnPath();
      IcmpEngine engine = new IcmpEngine(IcmpSettings.defaults(), new RecordingActivityLog());
      FlowDispatcher dispatcher = new FlowDispatcher(loops, Map.of(Transport.ICMP, engine),
          returnPath, new DropCounters());
      try {
        // as traceroute -I does: probes with rising TTLs, one echo id, sent without waiting
        int[] ttlBySequence = {0, 1, 2, 1};
        Map<Integer, byte[]> sentBySequence = new HashMap<>();
        for (int sequence = 1; sequence < ttlBySequence.length; sequence++) {
          ByteBuf request = withTtl(echoRequest(path.client, path.far, 0x7777, sequence),
              ttlBySequence[sequence]);
          sentBySequence.put(sequence, ByteBufUtil.getBytes(request));
          dispatcher.accept(TUNNEL, request);
        }

        Set<Integer> quoted = new TreeSet<>();
        Set<Integer> replied = new TreeSet<>();
        while (quoted.size() < 2 || replied.isEmpty()) {
          ByteBuf packet = returnPath.take();
          int icmpAt = Ipv4Header.MIN_HEADER_LENGTH_BYTES;
          if (packet.getUnsignedByte(icmpAt) == Icmpv4Message.TYPE_ECHO_REPLY) {
            replied.add(echoReplySequence(packet, path.far));
            continue;
          }
          // the quoted request's sequence, after the error's header and the quoted IPv4 one
          int quotedSequence = packet.getUnsignedShort(icmpAt + Icmpv4Message.HEADER_LENGTH_BYTES
              + Ipv4Header.MIN_HEADER_LENGTH_BYTES + Icmpv4Message.SEQUENCE_NUMBER_OFFSET);
          assertIcmpError(packet, path.router, path.client, Icmpv4Message.TYPE_TIME_EXCEEDED,
              0, sentBySequence.get(quotedSequence));
          assertTrue(quoted.add(quotedSequence), "request " + quotedSequence + " quoted twice");
        }

        assertEquals(Set.of(1, 3), quoted, "each TTL-1 probe is quoted in its error");
        // The TTL-2 probe's reply may arrive while an error is queued: it must still come.
        assertEquals(Set.of(2), replied, "the TTL-2 probe, and only it, is answered");
      } finally {
        stop(dispatcher, loops, returnPath);
      }
    });
  }

  /** The sequence number of an echo reply from {@code sender}; releases it. */
  private static int echoReplySequence(ByteBuf reply, InetAddress sender) {
    try {
      org.pcap4j.packet.IpPacket packet = decodeVerified(reply);
      assertEquals(sender, packet.getHeader().getSrcAddr());
      int icmpAt = Ipv4Header.MIN_HEADER_LENGTH_BYTES;
      return reply.getUnsignedShort(icmpAt + Icmpv4Message.SEQUENCE_NUMBER_OFFSET);
    } finally {
      reply.release();
    }
  }

  /** An ICMP error from {@code reporter} to the client, quoting the whole probe sent. */
  private static void assertIcmpError(ByteBuf error, InetAddress reporter, InetAddress client,
      int type, int code, byte[] sent) {
    try {
      org.pcap4j.packet.IpPacket packet = decodeVerified(error);
      assertEquals(reporter, packet.getHeader().getSrcAddr());
      assertEquals(client, packet.getHeader().getDstAddr());
      int icmpAt = Ipv4Header.MIN_HEADER_LENGTH_BYTES;
      assertEquals(type, error.getUnsignedByte(icmpAt));
      assertEquals(code, error.getUnsignedByte(icmpAt + 1));
      int quoteAt = icmpAt + Icmpv4Message.HEADER_LENGTH_BYTES;
      assertTrue(error.readableBytes() >= quoteAt + sent.length, "the whole probe is quoted");
      assertArrayEquals(sent, ByteBufUtil.getBytes(error, quoteAt, sent.length));
    } finally {
      error.release();
    }
  }

  private static ByteBuf withTtl(ByteBuf packet, int ttl) {
    Ipv4Header header = new Ipv4Header();
    header.wrap(packet, 0, packet.readableBytes());
    header.rewriteTtl(ttl);
    return packet;
  }

  private ByteBuf echoRequest(InetAddress client, InetAddress target, int identifier,
      int sequence) {
    // The writer makes replies; a request differs in its type (RFC 792 p.14) and checksum.
    ByteBuf packet = writer.echoReply(client, target, identifier, sequence,
        Unpooled.wrappedBuffer(PROBE));
    IpPacket ip = new IpPacket();
    ip.wrap(packet, 0, packet.readableBytes());
    Icmpv4Message icmp = new Icmpv4Message();
    icmp.wrap(packet, ip.payloadOffset(), ip.payloadLengthBytes());
    icmp.setType(Icmpv4Message.TYPE_ECHO_REQUEST);
    icmp.writeChecksum();
    return packet;
  }

  private static void stop(FlowDispatcher dispatcher, EventLoopGroup loops,
      RecordingReturnPath returnPath) throws InterruptedException {
    dispatcher.close();
    loops.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
    returnPath.releaseAll();
  }

  /** Epoll loops whose threads start now, from this (namespaced) thread. */
  private static EventLoopGroup startedLoops() throws InterruptedException {
    EventLoopGroup loops = FlowTestKit.loops("epoll", 2);
    for (EventExecutor loop : loops) {
      loop.submit(() -> { }).sync();
    }
    return loops;
  }

  private interface PathBody {
    void run(RoutedPath path) throws Exception;
  }

  /** Runs {@code body} in a fresh namespace wired to a router and a far host, then unwires. */
  private static void onRoutedPath(PathBody body) throws Exception {
    inFreshNetworkNamespace(() -> {
      try (RoutedPath path = RoutedPath.build()) {
        body.run(path);
      }
      return null;
    });
  }

  /**
   * The router and far host namespaces, made with ip(8) from the test's namespaced thread:
   * a process started from a thread starts in that thread's network namespace.
   */
  private static final class RoutedPath implements AutoCloseable {
    final InetAddress client = address("198.18.98.2"); // the tunnel side, never routed
    final InetAddress router = address("198.18.96.1");
    final InetAddress far = address("198.18.97.2");
    final String routerNs;
    final String farNs;

    private RoutedPath(String suffix) {
      this.routerNs = "gh-router-" + suffix;
      this.farNs = "gh-far-" + suffix;
    }

    static RoutedPath build() throws IOException, InterruptedException {
      RoutedPath path = new RoutedPath(ProcessHandle.current().pid() + "-"
          + PATHS.incrementAndGet());
      try {
        path.wire();
        return path;
      } catch (IOException | InterruptedException | RuntimeException e) {
        path.close();
        throw e;
      }
    }

    private void wire() throws IOException, InterruptedException {
      String r = routerNs;
      String f = farNs;
      ip("netns", "add", r);
      ip("netns", "add", f);
      // appliance (here) <-> router
      ip("link", "add", "gh0", "type", "veth", "peer", "name", "gh1", "netns", r);
      ip("addr", "add", "198.18.96.2/24", "dev", "gh0");
      ip("link", "set", "gh0", "up");
      ip("route", "add", "198.18.97.0/24", "via", "198.18.96.1");
      ip("-n", r, "link", "set", "lo", "up");
      ip("-n", r, "addr", "add", "198.18.96.1/24", "dev", "gh1");
      ip("-n", r, "link", "set", "gh1", "up");
      // router <-> far host
      ip("-n", r, "link", "add", "gh2", "type", "veth", "peer", "name", "gh3", "netns", f);
      ip("-n", r, "addr", "add", "198.18.97.1/24", "dev", "gh2");
      ip("-n", r, "link", "set", "gh2", "up");
      ip("netns", "exec", r, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
      ip("-n", f, "link", "set", "lo", "up");
      ip("-n", f, "addr", "add", "198.18.97.2/24", "dev", "gh3");
      ip("-n", f, "link", "set", "gh3", "up");
      ip("-n", f, "route", "add", "default", "via", "198.18.97.1");
    }

    @Override
    public void close() throws IOException {
      // Deleting the namespaces takes their veth ends, and so the peers, with them.
      try {
        run(false, "ip", "netns", "del", routerNs);
        run(false, "ip", "netns", "del", farNs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while deleting " + routerNs + " and " + farNs, e);
      }
    }

    private static void ip(String... arguments) throws IOException, InterruptedException {
      String[] command = new String[arguments.length + 1];
      command[0] = "ip";
      System.arraycopy(arguments, 0, command, 1, arguments.length);
      run(true, command);
    }

    private static void run(boolean check, String... command)
        throws IOException, InterruptedException {
      Process process = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException("timed out: " + String.join(" ", command));
      }
      if (check && process.exitValue() != 0) {
        throw new IOException("expected " + String.join(" ", command) + " to succeed, it exited "
            + process.exitValue() + ": " + output.strip());
      }
    }

    private static InetAddress address(String text) {
      try {
        return InetAddress.getByName(text);
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    }
  }
}
