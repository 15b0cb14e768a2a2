package dev.gatehouse.core.wire;

import static dev.gatehouse.core.testing.Pcap4jChecks.decodeVerified;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.IcmpV4CommonPacket;
import org.pcap4j.packet.IcmpV4EchoReplyPacket;
import org.pcap4j.packet.IcmpV6CommonPacket;
import org.pcap4j.packet.IcmpV6EchoReplyPacket;
import org.pcap4j.packet.IpPacket;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.TcpMaximumSegmentSizeOption;
import org.pcap4j.packet.TcpPacket;
import org.pcap4j.packet.UdpPacket;

/** Packets the writer builds, read back by pcap4j with every checksum verified. */
class PacketWriterTest {

  private static final byte[] DATA = "gatehouse".getBytes(StandardCharsets.US_ASCII);

  private final PacketWriter writer = new PacketWriter(ByteBufAllocator.DEFAULT);

  @Test
  void writesIpv4UdpDatagram() throws Exception {
    InetAddress origin = InetAddress.getByName("198.18.0.1");
    InetAddress client = InetAddress.getByName("198.19.0.2");

    IpPacket packet = decodeAndRelease(writer.udp(origin, 53, client, 40000, data()));

    assertEquals(origin, packet.getHeader().getSrcAddr());
    assertEquals(client, packet.getHeader().getDstAddr());
    assertEquals(PacketWriter.HOP_LIMIT, ((IpV4Packet) packet).getHeader().getTtlAsInt());
    UdpPacket udp = (UdpPacket) packet.getPayload();
    assertEquals(53, udp.getHeader().getSrcPort().valueAsInt());
    assertEquals(40000, udp.getHeader().getDstPort().valueAsInt());
    assertArrayEquals(DATA, udp.getPayload().getRawData());
  }

  @Test
  void writesIpv6UdpDatagram() throws Exception {
    InetAddress origin = InetAddress.getByName("2001:2::1");
    InetAddress client = InetAddress.getByName("2001:2::2");

    IpPacket packet = decodeAndRelease(writer.udp(origin, 443, client, 50000, data()));

    assertEquals(client, packet.getHeader().getDstAddr());
    UdpPacket udp = (UdpPacket) packet.getPayload();
    assertEquals(443, udp.getHeader().getSrcPort().valueAsInt());
    assertArrayEquals(DATA, udp.getPayload().getRawData());
  }

  @Test
  void writesIpv4EchoReplyWithClientsIdentifierAndSequence() throws Exception {
    InetAddress origin = InetAddress.getByName("198.18.0.1");
    InetAddress client = InetAddress.getByName("198.19.0.2");

    IpPacket packet = decodeAndRelease(writer.echoReply(origin, client, 0x1234, 7, data()));

    IcmpV4CommonPacket icmp = (IcmpV4CommonPacket) packet.getPayload();
    assertEquals((byte) 0, icmp.getHeader().getType().value());
    IcmpV4EchoReplyPacket echo = (IcmpV4EchoReplyPacket) icmp.getPayload();
    assertEquals((short) 0x1234, echo.getHeader().getIdentifier());
    assertEquals((short) 7, echo.getHeader().getSequenceNumber());
    assertArrayEquals(DATA, echo.getPayload().getRawData());
  }

  @Test
  void writesIpv6EchoReply() throws Exception {
    InetAddress origin = InetAddress.getByName("2001:2::1");
    InetAddress client = InetAddress.getByName("2001:2::2");

    IpPacket packet = decodeAndRelease(writer.echoReply(origin, client, 0xfedc, 65535, data()));

    IcmpV6CommonPacket icmp = (IcmpV6CommonPacket) packet.getPayload();
    assertEquals((byte) 129, (byte) icmp.getHeader().getType().value());
    IcmpV6EchoReplyPacket echo = (IcmpV6EchoReplyPacket) icmp.getPayload();
    assertEquals((short) 0xfedc, echo.getHeader().getIdentifier());
    assertEquals((short) 65535, echo.getHeader().getSequenceNumber());
    assertArrayEquals(DATA, echo.getPayload().getRawData());
  }

  @Test
  void quotesWholeSmallPacketInIpv4PortUnreachable() throws Exception {
    InetAddress origin = InetAddress.getByName("198.18.0.1");
    InetAddress client = InetAddress.getByName("198.19.0.2");
    ByteBuf offending = writer.udp(client, 40000, origin, 9, data());
    byte[] offendingBytes = ByteBufUtil.getBytes(offending);
    ByteBuf error;
    try {
      error = writer.icmpError(IcmpError.PORT_UNREACHABLE, origin, offending, 0,
          offending.readableBytes());
    } finally {
      offending.release();
    }

    IpPacket packet = decodeAndRelease(error);

    assertEquals(origin, packet.getHeader().getSrcAddr());
    assertEquals(client, packet.getHeader().getDstAddr());
    byte[] icmp = packet.getPayload().getRawData();
    assertEquals(3, icmp[0]);
    assertEquals(3, icmp[1]);
    assertArrayEquals(offendingBytes, Arrays.copyOfRange(icmp, 8, icmp.length));
  }

  @Test
  void cutsIpv4QuoteAt576Bytes() throws Exception {
    InetAddress origin = InetAddress.getByName("198.18.0.1");
    InetAddress client = InetAddress.getByName("198.19.0.2");
    ByteBuf big = Unpooled.wrappedBuffer(new byte[1400]);
    ByteBuf offending = writer.udp(client, 40000, origin, 9, big);
    byte[] offendingBytes = ByteBufUtil.getBytes(offending);
    ByteBuf error;
    try {
      error = writer.icmpError(IcmpError.TIME_EXCEEDED_IN_TRANSIT, origin, offending, 0,
          offending.readableBytes());
    } finally {
      offending.release();
    }

    assertEquals(PacketWriter.IPV4_ERROR_MAX_BYTES, error.readableBytes());
    IpPacket packet = decodeAndRelease(error);
    byte[] icmp = packet.getPayload().getRawData();
    assertEquals(11, icmp[0]);
    assertArrayEquals(Arrays.copyOf(offendingBytes, 576 - 28),
        Arrays.copyOfRange(icmp, 8, icmp.length));
  }

  @Test
  void cutsIpv6QuoteAt1280BytesWithCodeFour() throws Exception {
    InetAddress origin = InetAddress.getByName("2001:2::1");
    InetAddress client = InetAddress.getByName("2001:2::2");
    ByteBuf big = Unpooled.wrappedBuffer(new byte[1400]);
    ByteBuf offending = writer.udp(client, 40000, origin, 9, big);
    byte[] offendingBytes = ByteBufUtil.getBytes(offending);
    ByteBuf error;
    try {
      error = writer.icmpError(IcmpError.PORT_UNREACHABLE, origin, offending, 0,
          offending.readableBytes());
    } finally {
      offending.release();
    }

    assertEquals(PacketWriter.IPV6_ERROR_MAX_BYTES, error.readableBytes());
    IpPacket packet = decodeAndRelease(error);
    assertEquals(client, packet.getHeader().getDstAddr());
    byte[] icmp = packet.getPayload().getRawData();
    assertEquals(1, icmp[0]);
    assertEquals(4, icmp[1]);
    assertArrayEquals(Arrays.copyOf(offendingBytes, 1280 - 48),
        Arrays.copyOfRange(icmp, 8, icmp.length));
  }

  @Test
  void writesTcpSegmentWithOptionsAndPayload() throws Exception {
    InetAddress origin = InetAddress.getByName("198.18.0.1");
    InetAddress client = InetAddress.getByName("198.19.0.2");
    ByteBuf options = Unpooled.buffer(4);
    TcpOptions.writeMss(options, 0, 1400);
    options.writerIndex(4);

    IpPacket packet = decodeAndRelease(writer.tcp(origin, 80, client, 40000, 1000, 2000,
        TcpSegment.FLAG_SYN | TcpSegment.FLAG_ACK, 65535, options, data()));

    assertTrue(((IpV4Packet) packet).getHeader().getDontFragmentFlag());
    TcpPacket.TcpHeader tcp = ((TcpPacket) packet.getPayload()).getHeader();
    assertEquals(1000, tcp.getSequenceNumber());
    assertEquals(2000, tcp.getAcknowledgmentNumber());
    assertTrue(tcp.getSyn() && tcp.getAck());
    assertEquals(65535, tcp.getWindowAsInt());
    assertEquals(1400, ((TcpMaximumSegmentSizeOption) tcp.getOptions().getFirst()).getMaxSegSizeAsInt());
    assertArrayEquals(DATA, packet.getPayload().getPayload().getRawData());
  }

  @Test
  void writesIpv6TcpSegment() throws Exception {
    InetAddress origin = InetAddress.getByName("2001:2::1");
    InetAddress client = InetAddress.getByName("2001:2::2");

    IpPacket packet = decodeAndRelease(writer.tcp(origin, 80, client, 40000, -1, 0,
        TcpSegment.FLAG_RST, 0, Unpooled.EMPTY_BUFFER, Unpooled.EMPTY_BUFFER));

    TcpPacket.TcpHeader tcp = ((TcpPacket) packet.getPayload()).getHeader();
    assertEquals(-1, tcp.getSequenceNumber());
    assertTrue(tcp.getRst());
  }

  @Test
  void rejectsUnpaddedTcpOptions() throws Exception {
    InetAddress origin = InetAddress.getByName("198.18.0.1");
    ByteBuf options = Unpooled.wrappedBuffer(new byte[] {1, 1, 1});

    assertThrows(IllegalArgumentException.class, () -> writer.tcp(origin, 80, origin, 1, 0, 0,
        TcpSegment.FLAG_ACK, 0, options, Unpooled.EMPTY_BUFFER));
  }

  @Test
  void rejectsMixedAddressFamilies() throws Exception {
    InetAddress v4 = InetAddress.getByName("198.18.0.1");
    InetAddress v6 = InetAddress.getByName("2001:2::1");

    assertThrows(IllegalArgumentException.class, () -> writer.udp(v4, 1, v6, 2, data()));
  }

  @Test
  void refusesToQuoteAPacketOfTheOtherFamily() throws Exception {
    InetAddress v4 = InetAddress.getByName("198.18.0.1");
    InetAddress v6 = InetAddress.getByName("2001:2::1");
    ByteBuf offending = writer.udp(v6, 1, v6, 2, data());
    try {
      assertThrows(IllegalArgumentException.class, () -> writer.icmpError(
          IcmpError.PORT_UNREACHABLE, v4, offending, 0, offending.readableBytes()));
    } finally {
      offending.release();
    }
  }

  private static ByteBuf data() {
    return Unpooled.wrappedBuffer(DATA);
  }

  private static IpPacket decodeAndRelease(ByteBuf packet) {
    try {
      return decodeVerified(packet);
    } finally {
      packet.release();
    }
  }
}
