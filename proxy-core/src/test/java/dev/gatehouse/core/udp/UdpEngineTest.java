package dev.gatehouse.core.udp;

import static dev.gatehouse.core.testing.FlowTestKit.TUNNEL;
import static dev.gatehouse.core.testing.Pcap4jChecks.decodeVerified;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
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
import dev.gatehouse.core.wire.PacketWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.pcap4j.packet.IpPacket;
import org.pcap4j.packet.UdpPacket;

/**
 * The UDP engine against real origins on loopback: client datagrams built as a tunnel would
 * deliver them go in through the dispatcher, and what comes back to the client is read with
 * pcap4j. Each case runs on epoll and on NIO loops.
 */
class UdpEngineTest {

  private static final byte[] REQUEST = "request".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] RESPONSE = "response!".getBytes(StandardCharsets.US_ASCII);
  private static final int CLIENT_PORT = 40000;

  private final PacketWriter writer = new PacketWriter(ByteBufAllocator.DEFAULT);
  private final RecordingReturnPath returnPath = new RecordingReturnPath();
  private final RecordingActivityLog activityLog = new RecordingActivityLog();
  private final DropCounters drops = new DropCounters();
  private EventLoopGroup loops;
  private FlowDispatcher dispatcher;
  private UdpEngine engine;

  private void start(String ioType, UdpSettings settings) {
    loops = FlowTestKit.loops(ioType, 2);
    engine = new UdpEngine(settings, activityLog);
    dispatcher = new FlowDispatcher(loops, Map.of(Transport.UDP, engine), returnPath, drops);
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

  @ParameterizedTest
  @CsvSource({"epoll, 127.0.0.1, 198.18.0.2", "nio, 127.0.0.1, 198.18.0.2",
      "epoll, ::1, 2001:2::2", "nio, ::1, 2001:2::2"})
  void relaysRequestAndResponseWithSwappedAddresses(String ioType, String originText,
      String clientText) throws Exception {
    start(ioType, UdpSettings.defaults());
    InetAddress originAddress = InetAddress.getByName(originText);
    InetAddress client = InetAddress.getByName(clientText);
    try (DatagramSocket origin = new DatagramSocket(new InetSocketAddress(originAddress, 0))) {
      origin.setSoTimeout(5000);

      dispatcher.accept(TUNNEL, writer.udp(client, CLIENT_PORT, originAddress,
          origin.getLocalPort(), Unpooled.wrappedBuffer(REQUEST)));
      DatagramPacket request = new DatagramPacket(new byte[100], 100);
      origin.receive(request);
      assertArrayEquals(REQUEST, Arrays.copyOf(request.getData(), request.getLength()));
      origin.send(new DatagramPacket(RESPONSE, RESPONSE.length, request.getSocketAddress()));

      ByteBuf reply = returnPath.take();
      try {
        IpPacket packet = decodeVerified(reply);
        assertEquals(originAddress, packet.getHeader().getSrcAddr());
        assertEquals(client, packet.getHeader().getDstAddr());
        UdpPacket udp = (UdpPacket) packet.getPayload();
        assertEquals(origin.getLocalPort(), udp.getHeader().getSrcPort().valueAsInt());
        assertEquals(CLIENT_PORT, udp.getHeader().getDstPort().valueAsInt());
        assertArrayEquals(RESPONSE, udp.getPayload().getRawData());
      } finally {
        reply.release();
      }

      dispatcher.close();
      ActivityRecord record = activityLog.await(r -> true, 5000);
      assertEquals(CloseReason.PROXY_SHUTDOWN, record.closeReason());
      assertEquals("udp", record.transport());
      assertEquals(new InetSocketAddress(client, CLIENT_PORT), record.source());
      assertEquals(new InetSocketAddress(originAddress, origin.getLocalPort()), record.destination());
      assertEquals(request.getSocketAddress(), record.egress());
      assertEquals(TUNNEL.name(), record.tunnel());
      assertEquals(TUNNEL.type(), record.tunnelType());
      assertEquals(TUNNEL.virtualNetwork(), record.virtualNetwork());
      assertEquals(TUNNEL.site(), record.site());
      assertEquals(client, record.sourceInternal());
      assertEquals(REQUEST.length, record.bytesSent());
      assertEquals(RESPONSE.length, record.bytesReceived());
      assertEquals(1, record.packetsSent());
      assertEquals(1, record.packetsReceived());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"epoll", "nio"})
  void keepsOneOriginSocketForEveryDatagramOfAFlow(String ioType) throws Exception {
    start(ioType, UdpSettings.defaults());
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    InetAddress client = InetAddress.getByName("198.18.0.2");
    try (DatagramSocket origin = new DatagramSocket(new InetSocketAddress(loopback, 0))) {
      origin.setSoTimeout(5000);

      DatagramPacket first = new DatagramPacket(new byte[100], 100);
      DatagramPacket second = new DatagramPacket(new byte[100], 100);
      dispatcher.accept(TUNNEL, writer.udp(client, CLIENT_PORT, loopback, origin.getLocalPort(),
          Unpooled.wrappedBuffer(REQUEST)));
      origin.receive(first);
      dispatcher.accept(TUNNEL, writer.udp(client, CLIENT_PORT, loopback, origin.getLocalPort(),
          Unpooled.wrappedBuffer(RESPONSE)));
      origin.receive(second);

      assertEquals(first.getSocketAddress(), second.getSocketAddress());
      assertEquals(1, engine.openSessions());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"epoll", "nio"})
  void endsIdleSessionAndLogsIt(String ioType) throws Exception {
    start(ioType, new UdpSettings(Duration.ofMillis(300), 10, null, null, null, true));
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    InetAddress client = InetAddress.getByName("198.18.0.2");
    try (DatagramSocket origin = new DatagramSocket(new InetSocketAddress(loopback, 0))) {
      origin.setSoTimeout(5000);
      long startNanos = System.nanoTime();

      dispatcher.accept(TUNNEL, writer.udp(client, CLIENT_PORT, loopback, origin.getLocalPort(),
          Unpooled.wrappedBuffer(REQUEST)));
      origin.receive(new DatagramPacket(new byte[100], 100));

      ActivityRecord record = activityLog.await(r -> true, 5000);
      long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
      assertEquals(CloseReason.CLIENT_IDLE_TIMEOUT, record.closeReason());
      assertTrue(tookMillis >= 300, "ended after only " + tookMillis + " ms");
      assertEquals(0, engine.openSessions());
    }
  }

  @ParameterizedTest
  @CsvSource({"epoll, 127.0.0.1, 198.18.0.2, 3, 3", "nio, 127.0.0.1, 198.18.0.2, 3, 3",
      "epoll, ::1, 2001:2::2, 1, 4", "nio, ::1, 2001:2::2, 1, 4"})
  void answersPortUnreachableQuotingTheClientsDatagram(String ioType, String originText,
      String clientText, int type, int code) throws Exception {
    start(ioType, UdpSettings.defaults());
    InetAddress originAddress = InetAddress.getByName(originText);
    InetAddress client = InetAddress.getByName(clientText);
    int closedPort;
    try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(originAddress, 0))) {
      closedPort = probe.getLocalPort();
    }
    ByteBuf request = writer.udp(client, CLIENT_PORT, originAddress, closedPort,
        Unpooled.wrappedBuffer(REQUEST));
    byte[] requestBytes = ByteBufUtil.getBytes(request);

    dispatcher.accept(TUNNEL, request);

    ByteBuf error = returnPath.take();
    try {
      IpPacket packet = decodeVerified(error);
      assertEquals(originAddress, packet.getHeader().getSrcAddr());
      assertEquals(client, packet.getHeader().getDstAddr());
      byte[] icmp = packet.getPayload().getRawData();
      assertEquals(type, icmp[0]);
      assertEquals(code, icmp[1]);
      assertArrayEquals(requestBytes, Arrays.copyOfRange(icmp, 8, icmp.length));
    } finally {
      error.release();
    }
    ActivityRecord record = activityLog.await(r -> true, 5000);
    assertEquals(CloseReason.PROXY_CONN_REFUSED, record.closeReason());
  }

  @ParameterizedTest
  @ValueSource(strings = {"epoll", "nio"})
  void refusesNewSessionBeyondTheMaximum(String ioType) throws Exception {
    start(ioType, new UdpSettings(Duration.ofMinutes(1), 1, null, null, null, true));
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    InetAddress client = InetAddress.getByName("198.18.0.2");
    try (DatagramSocket origin = new DatagramSocket(new InetSocketAddress(loopback, 0))) {
      origin.setSoTimeout(5000);

      dispatcher.accept(TUNNEL, writer.udp(client, CLIENT_PORT, loopback, origin.getLocalPort(),
          Unpooled.wrappedBuffer(REQUEST)));
      origin.receive(new DatagramPacket(new byte[100], 100));
      dispatcher.accept(TUNNEL, writer.udp(client, CLIENT_PORT + 1, loopback,
          origin.getLocalPort(), Unpooled.wrappedBuffer(REQUEST)));

      long deadlineNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (drops.total(DropReason.FLOW_LIMIT) == 0 && System.nanoTime() < deadlineNanos) {
        Thread.sleep(10);
      }
      assertEquals(1, drops.forTunnel(TUNNEL.name(), DropReason.FLOW_LIMIT));
      assertEquals(1, engine.openSessions());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"epoll"})
  void bindsOriginSocketToConfiguredSource(String ioType) throws Exception {
    InetAddress source = InetAddress.getByName("127.0.0.2");
    start(ioType, new UdpSettings(Duration.ofMinutes(1), 10,
        (java.net.Inet4Address) source, null, "lo", true));
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    InetAddress client = InetAddress.getByName("198.18.0.2");
    try (DatagramSocket origin = new DatagramSocket(new InetSocketAddress(loopback, 0))) {
      origin.setSoTimeout(5000);

      dispatcher.accept(TUNNEL, writer.udp(client, CLIENT_PORT, loopback, origin.getLocalPort(),
          Unpooled.wrappedBuffer(REQUEST)));
      DatagramPacket request = new DatagramPacket(new byte[100], 100);
      origin.receive(request);

      InetSocketAddress sender = assertInstanceOf(InetSocketAddress.class, request.getSocketAddress());
      assertNotNull(sender);
      assertEquals(source, sender.getAddress());
    }
  }

  /** A client's QUIC v1 Initial: long header, type 0b00, padded to 1200 bytes. */
  private static ByteBuf quicInitial() {
    ByteBuf datagram = Unpooled.buffer(1200);
    datagram.writeByte(0xC3).writeInt(1).writeByte(8).writeZero(1200 - 6);
    return datagram;
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void blocksQuicInitialsToPort443UnlessTold(boolean blockQuic) throws Exception {
    start("epoll", new UdpSettings(Duration.ofMinutes(1), 10, null, null, null, blockQuic));
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    InetAddress client = InetAddress.getByName("198.18.0.2");
    try (DatagramSocket origin = new DatagramSocket(new InetSocketAddress(loopback, 443))) {
      origin.setSoTimeout(500);
      for (int i = 0; i < 2; i++) {
        dispatcher.accept(TUNNEL, writer.udp(client, CLIENT_PORT, loopback, 443, quicInitial()));
      }
      DatagramPacket received = new DatagramPacket(new byte[2048], 2048);
      if (blockQuic) {
        assertThrowsTimeout(origin, received);
        assertEquals(2, drops.forTunnel(TUNNEL.name(), DropReason.QUIC_BLOCKED));
        dispatcher.close();
        ActivityRecord record = activityLog.await(r -> true, 5_000);
        assertEquals(CloseReason.POLICY_BLOCKED, record.closeReason());
        assertEquals("quic", record.detectedProtocol());
        assertEquals(443, record.destination().getPort());
        assertEquals(2, record.packetsSent());
      } else {
        origin.receive(received);
        assertEquals(1200, received.getLength());
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"epoll"})
  void letsOtherUdpToPort443Through(String ioType) throws Exception {
    start(ioType, UdpSettings.defaults());
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    InetAddress client = InetAddress.getByName("198.18.0.2");
    try (DatagramSocket origin = new DatagramSocket(new InetSocketAddress(loopback, 443))) {
      origin.setSoTimeout(2_000);
      dispatcher.accept(TUNNEL, writer.udp(client, CLIENT_PORT, loopback, 443, Unpooled.wrappedBuffer(REQUEST)));
      DatagramPacket received = new DatagramPacket(new byte[2048], 2048);
      origin.receive(received);
      assertArrayEquals(REQUEST, Arrays.copyOf(received.getData(), received.getLength()));
    }
  }

  private static void assertThrowsTimeout(DatagramSocket socket, DatagramPacket into) throws Exception {
    try {
      socket.receive(into);
      throw new AssertionError("the origin received " + into.getLength() + " bytes of a blocked QUIC Initial");
    } catch (java.net.SocketTimeoutException expected) {
      // nothing reached the origin
    }
  }
}
