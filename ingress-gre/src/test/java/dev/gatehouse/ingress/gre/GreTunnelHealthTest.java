package dev.gatehouse.ingress.gre;

import static dev.gatehouse.core.linux.IsolatedThreads.inFreshNetworkNamespace;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.config.IpPrefix;
import dev.gatehouse.core.linux.RawSocket;
import dev.gatehouse.core.testing.FlowTestKit;
import dev.gatehouse.core.tunnel.InnerPacketSink;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.wire.Icmpv4Message;
import dev.gatehouse.core.wire.Ipv4Header;
import dev.gatehouse.ingress.gre.health.HealthCheckSettings;
import dev.gatehouse.ingress.gre.health.HealthCheckSettings.Direction;
import dev.gatehouse.ingress.gre.health.HealthCheckSettings.Rate;
import dev.gatehouse.ingress.gre.health.HealthCheckSettings.Type;
import dev.gatehouse.ingress.gre.health.HealthState;
import dev.gatehouse.ingress.gre.health.TunnelHealth;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import java.io.IOException;
import java.net.InetAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A GRE tunnel's health check against a fake site router on the loopback of a fresh network
 * namespace: the test's raw protocol-47 socket at 127.0.0.2 decapsulates the probes and
 * answers them as a router would, then stops, then answers again. Real time: the check runs
 * at the high rate, and every wait has a deadline.
 */
class GreTunnelHealthTest {
  private static final long WAIT_MILLIS = 15_000;
  private static final InetAddress LOCAL = Packets.address("127.0.0.1");
  private static final InetAddress REMOTE = Packets.address("127.0.0.2");
  private static final TunnelContext CONTEXT = new TunnelContext("branch-1", "gre", "paris", 0, 1476);

  private final BlockingQueue<byte[]> arrivals = new LinkedBlockingQueue<>();
  private final InnerPacketSink sink = (from, packet) -> {
    try {
      arrivals.add(ByteBufUtil.getBytes(packet));
    } finally {
      packet.release();
    }
  };
  private EventLoopGroup loops;
  private GreTunnel tunnel;
  private int answered;

  @BeforeEach
  void startLoops() {
    loops = FlowTestKit.loops(Epoll.isAvailable() ? "epoll" : "nio", 1);
  }

  @AfterEach
  void stop() throws InterruptedException {
    if (tunnel != null) {
      tunnel.close();
    }
    loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  private void start(Type type) throws IOException {
    GreSettings settings = new GreSettings(LOCAL, REMOTE, OptionalLong.empty(),
        Optional.of(IpPrefix.parse("198.18.60.0/31").orElseThrow()), Optional.empty(), GreTransport.IP,
        GreSettings.GRE_IN_UDP_PORT, false, false,
        new HealthCheckSettings(true, type, Direction.BIDIRECTIONAL, Rate.HIGH));
    tunnel = new GreTunnel(CONTEXT, settings, loops, PooledByteBufAllocator.DEFAULT);
    tunnel.start(sink);
  }

  /**
   * Plays the site until the tunnel's health is {@code wanted}: decapsulates each GRE
   * packet and, when {@code answering}, sends back what a router would.
   */
  private void serveUntil(RawSocket site, boolean answering, HealthState wanted) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
    while (state() != wanted) {
      assertTrue(System.nanoTime() < deadline, "the tunnel became " + wanted.word() + "; it is " + state().word());
      if (!site.awaitReadable(20)) {
        continue;
      }
      ByteBuffer received = ByteBuffer.allocate(2_048);
      site.receive(received);
      received.flip();
      int greAt = (received.get(0) & 0x0F) * 4;
      byte[] inner = new byte[received.remaining() - greAt - 4]; // plain GRE: 4 bytes of header
      received.get(greAt + 4, inner);
      if (answering) {
        site.send(ByteBuffer.wrap(greAround(routerAnswer(inner))), LOCAL);
        answered++;
      }
    }
  }

  /**
   * What a router does with a probe it decapsulated: an Echo Reply to another host it routes
   * on, one hop less; an Echo to its own address it answers (RFC 792).
   */
  private static byte[] routerAnswer(byte[] inner) {
    ByteBuf packet = Unpooled.wrappedBuffer(inner);
    Ipv4Header ip = new Ipv4Header();
    ip.wrap(packet, 0, inner.length);
    Icmpv4Message icmp = new Icmpv4Message();
    icmp.wrap(packet, ip.payloadOffset(), ip.payloadLengthBytes());
    if (icmp.type() == Icmpv4Message.TYPE_ECHO_REQUEST) {
      int source = ip.sourceAddress();
      ip.setSourceAddress(ip.destinationAddress());
      ip.setDestinationAddress(source);
      icmp.setType(Icmpv4Message.TYPE_ECHO_REPLY);
      icmp.writeChecksum();
    }
    ip.setTtl(ip.ttl() - 1);
    ip.writeHeaderChecksum();
    return inner;
  }

  private static byte[] greAround(byte[] inner) {
    ByteBuf gre = Packets.gre(Unpooled.wrappedBuffer(inner));
    try {
      return ByteBufUtil.getBytes(gre);
    } finally {
      gre.release();
    }
  }

  private HealthState state() {
    return tunnel.health().orElseThrow().state();
  }

  @Test
  void goesDownWhenTheSiteStopsRoutingReplyStyleProbesBackAndUpWhenItResumes() throws Exception {
    inFreshNetworkNamespace(() -> {
      start(Type.REPLY);
      assertEquals(HealthState.DOWN, state(), "down until shown otherwise");
      try (RawSocket site = RawSocket.open(StandardProtocolFamily.INET, 47)) {
        site.bind(REMOTE);
        serveUntil(site, true, HealthState.HEALTHY);
        assertTrue(answered >= 30, "30 answers in a row make it healthy, took " + answered);

        // the rest of the site's traffic still reaches the core, its pings to us included
        byte[] udp = bytesOf(Packets.udp(Packets.SITE_HOST, Packets.ORIGIN, 20));
        site.send(ByteBuffer.wrap(greAround(udp)), LOCAL);
        assertArrayEquals(udp, arrivals.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS));

        serveUntil(site, false, HealthState.DOWN);
        serveUntil(site, true, HealthState.HEALTHY);
      }
      TunnelHealth health = tunnel.health().orElseThrow();
      assertEquals(List.of("down>degraded", "degraded>healthy", "healthy>degraded", "degraded>down",
          "down>degraded", "degraded>healthy"), health.history().stream()
          .map(c -> c.from().word() + ">" + c.to().word()).toList());
      long nowMillis = System.currentTimeMillis();
      assertTrue(Math.abs(nowMillis - health.sinceEpochMillis()) < WAIT_MILLIS, "since is wall-clock time");
      assertTrue(tunnel.healthCounters().probesLost() >= 3);
      assertEquals(0, tunnel.healthCounters().strayAnswers() + tunnel.healthCounters().malformedAnswers());
      assertTrue(arrivals.isEmpty(), "no answer reached the core");
      return null;
    });
  }

  @Test
  void takesTheSitesEchoRepliesToRequestStyleProbesAndLeavesItsPingsToTheCore() throws Exception {
    inFreshNetworkNamespace(() -> {
      start(Type.REQUEST);
      try (RawSocket site = RawSocket.open(StandardProtocolFamily.INET, 47)) {
        site.bind(REMOTE);
        serveUntil(site, true, HealthState.DEGRADED);

        // an Echo from 198.18.60.1 to 198.18.60.0 (RFC 792), checksums worked out by hand
        byte[] ping = HexFormat.of().parseHex("4500002400070000400176acc6123c01c6123c00"
            + "0800d5b0123400070102030405060708");
        site.send(ByteBuffer.wrap(greAround(ping)), LOCAL);
        assertArrayEquals(ping, arrivals.poll(WAIT_MILLIS, TimeUnit.MILLISECONDS));
      }
      assertTrue(tunnel.healthCounters().probesAnswered() >= 3);
      return null;
    });
  }

  private static byte[] bytesOf(ByteBuf packet) {
    try {
      return ByteBufUtil.getBytes(packet);
    } finally {
      packet.release();
    }
  }
}
