package dev.gatehouse.core.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.flow.DropCounters;
import dev.gatehouse.core.flow.DropReason;
import dev.gatehouse.core.flow.FlowDispatcher;
import dev.gatehouse.core.flow.Transport;
import dev.gatehouse.core.log.ActivityRecord;
import dev.gatehouse.core.log.CloseReason;
import dev.gatehouse.core.testing.FlowTestKit;
import dev.gatehouse.core.testing.FlowTestKit.RecordingActivityLog;
import dev.gatehouse.core.testing.FlowTestKit.RecordingReturnPath;
import dev.gatehouse.core.tcp.TunnelTcpClient.Segment;
import dev.gatehouse.core.wire.PacketWriter;
import dev.gatehouse.core.wire.TcpSegment;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The TCP engine with real origins on loopback: client segments built as a tunnel would
 * deliver them go in through the dispatcher; what comes back to the client is read with
 * the wire views. The origin answers first: SYN-ACK only once our dial connected.
 */
class TcpEngineTest {
  private static final int CLIENT_PORT = 41000;
  private static final int CLIENT_ISN = 1_000_000;

  private final PacketWriter writer = new PacketWriter(ByteBufAllocator.DEFAULT);
  private final RecordingReturnPath returnPath = new RecordingReturnPath();
  private final RecordingActivityLog activityLog = new RecordingActivityLog();
  private final DropCounters drops = new DropCounters();
  private final InetAddress client = address("198.18.0.2");
  private final InetAddress origin = address("127.0.0.1");
  private EventLoopGroup loops;
  private FlowDispatcher dispatcher;

  private void start(TcpProxySettings settings) {
    loops = FlowTestKit.loops("epoll", 2);
    dispatcher = new FlowDispatcher(loops, Map.of(Transport.TCP, new TcpEngine(settings, activityLog)),
        returnPath, drops);
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
  void answersTheSynOnlyAfterTheOriginAcceptedAndThenProxiesBothWays() throws Exception {
    start(TcpProxySettings.defaults());
    try (ServerSocket listener = new ServerSocket(0, 1, origin)) {
      int port = listener.getLocalPort();
      send(port, CLIENT_ISN, 0, TcpSegment.FLAG_SYN, new byte[0]);

      try (Socket accepted = listener.accept()) {
        Segment synAck = Segment.read(returnPath.take());
        assertEquals(TcpSegment.FLAG_SYN | TcpSegment.FLAG_ACK, synAck.flags());
        assertEquals(CLIENT_ISN + 1, synAck.ack());

        // complete the handshake and send a request
        int serverNext = synAck.seq() + 1;
        send(port, CLIENT_ISN + 1, serverNext, TcpSegment.FLAG_ACK, new byte[0]);
        byte[] request = "ping".getBytes(StandardCharsets.US_ASCII);
        send(port, CLIENT_ISN + 1, serverNext, TcpSegment.FLAG_ACK | TcpSegment.FLAG_PSH, request);

        InputStream in = accepted.getInputStream();
        assertEquals("ping", new String(in.readNBytes(4), StandardCharsets.US_ASCII));
        OutputStream out = accepted.getOutputStream();
        out.write("pong".getBytes(StandardCharsets.US_ASCII));
        out.flush();

        Segment data = nextWithPayload();
        assertEquals("pong", new String(data.payload(), StandardCharsets.US_ASCII));
        assertEquals(serverNext, data.seq());

        // Bytes are counted once each way, whatever was resent: 4 up, 4 down.
        dispatcher.close();
        ActivityRecord record = activityLog.await(r -> true, 5_000);
        assertEquals(CloseReason.PROXY_SHUTDOWN, record.closeReason());
        assertNotNull(record.egress(), "the origin socket's address");
        assertEquals(FlowTestKit.TUNNEL.site(), record.site());
        assertEquals(4, record.bytesSent());
        assertEquals(4, record.bytesReceived());
      }
    }
  }

  @Test
  void aClientThatReadsNothingStopsTheOriginInsteadOfFillingMemory() throws Exception {
    start(TcpProxySettings.defaults());
    try (ServerSocket listener = new ServerSocket(0, 1, origin)) {
      int port = listener.getLocalPort();
      send(port, CLIENT_ISN, 0, TcpSegment.FLAG_SYN, new byte[0]);
      try (Socket accepted = listener.accept()) {
        Segment synAck = Segment.read(returnPath.take());
        // The client acknowledges the handshake, then never acknowledges data.
        send(port, CLIENT_ISN + 1, synAck.seq() + 1, TcpSegment.FLAG_ACK, new byte[0]);

        java.util.concurrent.atomic.AtomicLong written = new java.util.concurrent.atomic.AtomicLong();
        Thread writer = Thread.ofPlatform().daemon().start(() -> {
          byte[] chunk = new byte[64 * 1024];
          try {
            OutputStream out = accepted.getOutputStream();
            for (int i = 0; i < 1024; i++) { // 64 MiB, far more than every buffer on the way
              out.write(chunk);
              written.addAndGet(chunk.length);
            }
          } catch (java.io.IOException e) {
            // the flow was torn down at the end of the test
          }
        });
        Thread.sleep(1_500);
        long stalledAt = written.get();
        Thread.sleep(500);

        // The origin's writes stopped: the appliance holds the client's send buffer, and the
        // kernel buffers of the origin socket pair, no more.
        assertEquals(stalledAt, written.get(), "the origin kept writing");
        assertTrue(stalledAt < 32L * 1024 * 1024, "the origin wrote " + stalledAt + " bytes");
        accepted.shutdownOutput();
        accepted.setSoLinger(true, 0);
        writer.interrupt();
      }
    }
  }

  @Test
  void aClientThatHalfClosesWithItsHandshakeAckStillGetsTheOriginsBytes() throws Exception {
    start(TcpProxySettings.defaults());
    try (ServerSocket listener = new ServerSocket(0, 1, origin)) {
      int port = listener.getLocalPort();
      send(port, CLIENT_ISN, 0, TcpSegment.FLAG_SYN, new byte[0]);
      try (Socket accepted = listener.accept()) {
        Segment synAck = Segment.read(returnPath.take());
        // ACK of the SYN-ACK and FIN in one segment: ESTABLISHED and CLOSE-WAIT at once.
        send(port, CLIENT_ISN + 1, synAck.seq() + 1, TcpSegment.FLAG_ACK | TcpSegment.FLAG_FIN, new byte[0]);

        accepted.setSoTimeout(2_000);
        assertEquals(-1, accepted.getInputStream().read(), "the client's FIN reached the origin");
        accepted.getOutputStream().write("late".getBytes(StandardCharsets.US_ASCII));
        accepted.getOutputStream().flush();
        assertEquals("late", new String(nextWithPayload().payload(), StandardCharsets.US_ASCII));
      }
    }
  }

  @Test
  void proxiesOverIpv6() throws Exception {
    start(TcpProxySettings.defaults());
    InetAddress client6 = address("2001:2::2");
    InetAddress origin6 = address("::1");
    try (ServerSocket listener = new ServerSocket(0, 1, origin6)) {
      int port = listener.getLocalPort();
      dispatcher.accept(FlowTestKit.TUNNEL, writer.tcp(client6, CLIENT_PORT, origin6, port, CLIENT_ISN, 0,
          TcpSegment.FLAG_SYN, 65535, mss(1440), Unpooled.EMPTY_BUFFER));
      try (Socket accepted = listener.accept()) {
        Segment synAck = Segment.read(returnPath.take());
        assertEquals(TcpSegment.FLAG_SYN | TcpSegment.FLAG_ACK, synAck.flags());
        assertEquals(CLIENT_ISN + 1, synAck.ack());
        assertEquals(address("::1"), accepted.getLocalAddress());
      }
    }
  }

  @Test
  void resetsBothSidesOfAnIdleConnection() throws Exception {
    start(new TcpProxySettings(Duration.ofSeconds(5), Duration.ofMillis(300), 16, null, null, null, 65536));
    try (ServerSocket listener = new ServerSocket(0, 1, origin)) {
      int port = listener.getLocalPort();
      send(port, CLIENT_ISN, 0, TcpSegment.FLAG_SYN, new byte[0]);
      try (Socket accepted = listener.accept()) {
        Segment synAck = Segment.read(returnPath.take());
        send(port, CLIENT_ISN + 1, synAck.seq() + 1, TcpSegment.FLAG_ACK, new byte[0]);

        ActivityRecord record = activityLog.await(r -> true, 5_000);
        assertEquals(CloseReason.CLIENT_IDLE_TIMEOUT, record.closeReason());
        assertTrue(record.clientHandshakeMillis() >= 0, "client handshake measured");
        Segment reset = nextWith(TcpSegment.FLAG_RST);
        assertEquals(synAck.seq() + 1, reset.seq());
        accepted.setSoTimeout(2_000);
        assertEquals(-1, accepted.getInputStream().read(), "the origin side is closed too");
      }
    }
  }

  @Test
  void resetsTheClientWhenTheOriginRefuses() throws Exception {
    start(TcpProxySettings.defaults());
    int closedPort;
    try (ServerSocket probe = new ServerSocket(0, 1, origin)) {
      closedPort = probe.getLocalPort();
    }
    send(closedPort, CLIENT_ISN, 0, TcpSegment.FLAG_SYN, new byte[0]);

    Segment reset = Segment.read(returnPath.take());
    assertEquals(TcpSegment.FLAG_RST | TcpSegment.FLAG_ACK, reset.flags());
    assertEquals(CLIENT_ISN + 1, reset.ack());
    ActivityRecord record = activityLog.await(r -> true, 5_000);
    assertEquals(CloseReason.PROXY_CONN_REFUSED, record.closeReason());
    assertEquals(-1, record.clientHandshakeMillis());
  }

  @Test
  void answersASegmentForNoConnectionWithReset() throws Exception {
    start(TcpProxySettings.defaults());
    send(9, CLIENT_ISN, 777, TcpSegment.FLAG_ACK, new byte[0]);

    // RFC 9293 §3.10.7.1: with ACK set, <SEQ=SEG.ACK><CTL=RST>.
    Segment reset = Segment.read(returnPath.take());
    assertEquals(TcpSegment.FLAG_RST, reset.flags());
    assertEquals(777, reset.seq());
    assertEquals(1, drops.forTunnel(FlowTestKit.TUNNEL.name(), DropReason.NO_CONNECTION));
  }

  @Test
  void aRetransmittedSynOpensNoSecondFlowAndNoSecondDial() throws Exception {
    start(TcpProxySettings.defaults());
    try (ServerSocket listener = new ServerSocket(0, 8, origin)) {
      int port = listener.getLocalPort();
      send(port, CLIENT_ISN, 0, TcpSegment.FLAG_SYN, new byte[0]);
      send(port, CLIENT_ISN, 0, TcpSegment.FLAG_SYN, new byte[0]);
      try (Socket accepted = listener.accept()) {
        assertTrue(accepted.isConnected());
        listener.setSoTimeout(300);
        assertThrowsTimeout(listener);
        // The retransmitted SYN may land before or after our SYN-ACK went out; after it, the
        // connection (SYN-RECEIVED) may repeat its SYN-ACK. Either way it is one connection:
        // every answer is the same SYN-ACK.
        Segment synAck = Segment.read(returnPath.take());
        assertEquals(TcpSegment.FLAG_SYN | TcpSegment.FLAG_ACK, synAck.flags());
        for (ByteBuf next = returnPath.poll(300); next != null; next = returnPath.poll(300)) {
          assertEquals(synAck, Segment.read(next), "a second answer that is not the same SYN-ACK");
        }
      }
    }
  }

  private static void assertThrowsTimeout(ServerSocket listener) throws Exception {
    try (Socket second = listener.accept()) {
      throw new AssertionError("a second dial reached the origin from " + second);
    } catch (java.net.SocketTimeoutException expected) {
      // one flow, one dial
    }
  }

  private Segment nextWith(int flag) throws Exception {
    for (int i = 0; i < 10; i++) {
      Segment segment = Segment.read(returnPath.take());
      if ((segment.flags() & flag) != 0) {
        return segment;
      }
    }
    throw new AssertionError("no segment with flag " + flag + " came back");
  }

  private static ByteBuf mss(int bytes) {
    return Unpooled.wrappedBuffer(new byte[] {2, 4, (byte) (bytes >> 8), (byte) bytes});
  }

  private Segment nextWithPayload() throws Exception {
    for (int i = 0; i < 10; i++) {
      Segment segment = Segment.read(returnPath.take());
      if (segment.payload().length > 0) {
        return segment;
      }
    }
    throw new AssertionError("no data segment came back");
  }

  private void send(int port, int seq, int ack, int flags, byte[] payload) {
    ByteBuf options = Unpooled.EMPTY_BUFFER;
    if ((flags & TcpSegment.FLAG_SYN) != 0) {
      options = mss(1460);
    }
    dispatcher.accept(FlowTestKit.TUNNEL, writer.tcp(client, CLIENT_PORT, origin, port, seq, ack, flags,
        65535, options, Unpooled.wrappedBuffer(payload)));
  }

  private static InetAddress address(String text) {
    try {
      return InetAddress.getByName(text);
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
