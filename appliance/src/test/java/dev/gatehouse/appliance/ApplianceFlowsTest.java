package dev.gatehouse.appliance;

import static dev.gatehouse.core.linux.IsolatedThreads.inFreshNetworkNamespace;
import static dev.gatehouse.core.testing.Pcap4jChecks.decodeVerified;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.appliance.config.GatehouseConfig;
import dev.gatehouse.appliance.config.GatehouseConfigReader;
import dev.gatehouse.appliance.testing.CaptureTestProvider;
import dev.gatehouse.appliance.testing.CaptureTestProvider.CaptureTunnel;
import dev.gatehouse.core.config.SecretSource;
import dev.gatehouse.core.flow.DropReason;
import dev.gatehouse.core.tunnel.TunnelProviders;
import dev.gatehouse.core.wire.Icmpv4Message;
import dev.gatehouse.core.wire.IpPacket;
import dev.gatehouse.core.wire.PacketWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.StringReader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.IcmpV4CommonPacket;
import org.pcap4j.packet.IcmpV4EchoReplyPacket;
import org.pcap4j.packet.UdpPacket;

/**
 * The appliance with a configured tunnel: inner packets reach the flow engines and replies
 * go back into the tunnel. Each test runs in a network namespace of its own, whose
 * {@code net.ipv4.ping_group_range} it sets; the appliance's loops start from that thread
 * and so live there too.
 */
class ApplianceFlowsTest {

  private static final Path PING_GROUP_RANGE = Path.of("/proc/sys/net/ipv4/ping_group_range");
  private static final byte[] DATA = "through the appliance".getBytes(StandardCharsets.US_ASCII);
  private static final String CONFIG = """
      explicit-proxy: { enabled: false }
      admin: { enabled: false }
      log: { activity: { sink: "off" } }
      tunnels:
        - name: site-a
          type: capture
      """;

  private final PacketWriter writer = new PacketWriter(ByteBufAllocator.DEFAULT);

  @Test
  void proxiesUdpAndPingFromATunnelAndClosesTheTunnelBeforeTheLoops() throws Exception {
    inFreshNetworkNamespace(() -> {
      Files.writeString(PING_GROUP_RANGE, "0 2147483647");
      InetAddress loopback = InetAddress.getByName("127.0.0.1");
      InetAddress client = InetAddress.getByName("198.18.0.2");
      CaptureTunnel tunnel;
      try (Appliance appliance = Appliance.start(config());
          DatagramSocket origin = new DatagramSocket(new InetSocketAddress(loopback, 0))) {
        assertNull(appliance.icmpDisabledReason());
        tunnel = CaptureTestProvider.tunnel("site-a");
        origin.setSoTimeout(5000);

        // udp: request out, response back
        tunnel.inject(writer.udp(client, 40000, loopback, origin.getLocalPort(),
            Unpooled.wrappedBuffer(DATA)));
        DatagramPacket request = new DatagramPacket(new byte[100], 100);
        origin.receive(request);
        origin.send(new DatagramPacket(DATA, DATA.length, request.getSocketAddress()));
        ByteBuf reply = tunnel.take();
        try {
          UdpPacket udp = (UdpPacket) decodeVerified(reply).getPayload();
          assertEquals(origin.getLocalPort(), udp.getHeader().getSrcPort().valueAsInt());
          assertArrayEquals(DATA, udp.getPayload().getRawData());
        } finally {
          reply.release();
        }

        // icmp: ping loopback
        tunnel.inject(echoRequest(client, loopback, 77, 3));
        ByteBuf pong = tunnel.take();
        try {
          IcmpV4CommonPacket icmp = (IcmpV4CommonPacket) decodeVerified(pong).getPayload();
          IcmpV4EchoReplyPacket echo = (IcmpV4EchoReplyPacket) icmp.getPayload();
          assertEquals((short) 77, echo.getHeader().getIdentifier());
          assertEquals((short) 3, echo.getHeader().getSequenceNumber());
        } finally {
          pong.release();
        }
      }
      assertTrue(tunnel.isClosed());
      assertTrue(tunnel.loopsRunningAtClose(), "the tunnel closes before the event loops stop");
      return null;
    });
  }

  @Test
  void switchesIcmpOffWhenPingSocketsAreRefusedAndKeepsUdp() throws Exception {
    inFreshNetworkNamespace(() -> {
      Files.writeString(PING_GROUP_RANGE, "1 0");
      InetAddress loopback = InetAddress.getByName("127.0.0.1");
      InetAddress client = InetAddress.getByName("198.18.0.2");
      try (Appliance appliance = Appliance.start(config());
          DatagramSocket origin = new DatagramSocket(new InetSocketAddress(loopback, 0))) {
        String reason = appliance.icmpDisabledReason();
        assertNotNull(reason);
        assertTrue(reason.contains("sysctl -w net.ipv4.ping_group_range="), reason);
        assertTrue(appliance.welcome("test", "test").contains("icmp            off: "));
        CaptureTunnel tunnel = CaptureTestProvider.tunnel("site-a");

        tunnel.inject(echoRequest(client, loopback, 77, 3));
        assertEquals(1, appliance.drops().forTunnel("site-a", DropReason.TRANSPORT_DISABLED));

        origin.setSoTimeout(5000);
        tunnel.inject(writer.udp(client, 40000, loopback, origin.getLocalPort(),
            Unpooled.wrappedBuffer(DATA)));
        DatagramPacket request = new DatagramPacket(new byte[100], 100);
        origin.receive(request);
        assertEquals(DATA.length, request.getLength());
      }
      return null;
    });
  }

  private static GatehouseConfig config() throws Exception {
    GatehouseConfigReader reader = new GatehouseConfigReader(
        TunnelProviders.load(ApplianceFlowsTest.class.getClassLoader()), SecretSource.of(Map.of()));
    return reader.read(new StringReader(CONFIG), "test.yaml");
  }

  private ByteBuf echoRequest(InetAddress client, InetAddress target, int identifier,
      int sequence) {
    ByteBuf packet = writer.echoReply(client, target, identifier, sequence,
        Unpooled.wrappedBuffer(DATA));
    IpPacket ip = new IpPacket();
    ip.wrap(packet, 0, packet.readableBytes());
    Icmpv4Message icmp = new Icmpv4Message();
    icmp.wrap(packet, ip.payloadOffset(), ip.payloadLengthBytes());
    icmp.setType(Icmpv4Message.TYPE_ECHO_REQUEST);
    icmp.writeChecksum();
    return packet;
  }
}
