package dev.gatehouse.core.wire;

import static dev.gatehouse.core.wire.Pcap4jPackets.high;
import static dev.gatehouse.core.wire.Pcap4jPackets.ipv4AsInt;
import static dev.gatehouse.core.wire.Pcap4jPackets.low;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.IcmpV4CommonPacket;
import org.pcap4j.packet.IcmpV4EchoPacket;
import org.pcap4j.packet.IcmpV4EchoReplyPacket;
import org.pcap4j.packet.IcmpV6CommonPacket;
import org.pcap4j.packet.IcmpV6EchoRequestPacket;
import org.pcap4j.packet.IllegalRawDataException;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.IpV4StreamIdOption;
import org.pcap4j.packet.IpV6Packet;
import org.pcap4j.packet.Packet;
import org.pcap4j.packet.TcpMaximumSegmentSizeOption;
import org.pcap4j.packet.TcpPacket;
import org.pcap4j.packet.TcpSackOption;
import org.pcap4j.packet.TcpSackPermittedOption;
import org.pcap4j.packet.TcpTimestampsOption;
import org.pcap4j.packet.TcpWindowScaleOption;
import org.pcap4j.packet.UdpPacket;

/**
 * Packets written with the views' setters and checksums, read by pcap4j: every field we set
 * must come back, and pcap4j's own checksum verification must accept ours.
 */
class Pcap4jReadsViewsTest {

  private static final int PACKETS = 300;

  private final Ipv4Header ipv4 = new Ipv4Header();
  private final Ipv6Header ipv6 = new Ipv6Header();
  private final TcpSegment tcp = new TcpSegment();
  private final UdpDatagram udp = new UdpDatagram();
  private final Icmpv4Message icmpv4 = new Icmpv4Message();
  private final Icmpv6Message icmpv6 = new Icmpv6Message();

  @Test
  void pcap4jReadsIpv4TcpSegmentsWrittenWithViews() throws IllegalRawDataException {
    Random random = new Random(9293_791);
    for (int i = 0; i < PACKETS; i++) {
      Inet4Address source = Pcap4jPackets.randomIpv4Address(random);
      Inet4Address destination = Pcap4jPackets.randomIpv4Address(random);
      boolean streamIdOption = random.nextBoolean();
      int streamId = random.nextInt(0x10000);
      int ipHeaderLength = streamIdOption ? 24 : 20;
      TcpFields fields = TcpFields.random(random);
      int total = ipHeaderLength + fields.headerLengthBytes() + fields.payload.length;
      int typeOfService = random.nextInt(256);
      int identification = random.nextInt(0x10000);
      int ttl = 1 + random.nextInt(255);
      boolean dontFragment = random.nextBoolean();

      byte[] bytes = written(total, buffer -> {
        ipv4.init(buffer, 0, ipHeaderLength, total);
        ipv4.setTypeOfService(typeOfService);
        ipv4.setIdentification(identification);
        ipv4.setFragmentation(dontFragment, false, 0);
        ipv4.setTtl(ttl);
        ipv4.setProtocol(IpProtocol.TCP);
        ipv4.setSourceAddress(ipv4AsInt(source));
        ipv4.setDestinationAddress(ipv4AsInt(destination));
        if (streamIdOption) {
          // RFC 791 §3.1: Stream Identifier, type 136, length 4.
          buffer.setByte(Ipv4Header.OPTIONS_OFFSET, 136);
          buffer.setByte(Ipv4Header.OPTIONS_OFFSET + 1, 4);
          buffer.setShort(Ipv4Header.OPTIONS_OFFSET + 2, streamId);
        }
        ipv4.writeHeaderChecksum();
        fields.write(tcp, buffer, ipHeaderLength, total - ipHeaderLength);
        tcp.writeChecksum(ipv4.pseudoHeaderSum(IpProtocol.TCP, tcp.lengthBytes()));
      });

      IpV4Packet read = IpV4Packet.newPacket(bytes, 0, bytes.length);
      IpV4Packet.IpV4Header header = read.getHeader();
      assertEquals(ipHeaderLength / 4, header.getIhlAsInt());
      assertEquals(typeOfService, header.getTos().value() & 0xFF);
      assertEquals(total, header.getTotalLengthAsInt());
      assertEquals(identification, header.getIdentificationAsInt());
      assertEquals(dontFragment, header.getDontFragmentFlag());
      assertFalse(header.getMoreFragmentFlag());
      assertEquals(ttl, header.getTtlAsInt());
      assertEquals(source, header.getSrcAddr());
      assertEquals(destination, header.getDstAddr());
      assertTrue(header.hasValidChecksum(false));
      if (streamIdOption) {
        IpV4StreamIdOption option = assertInstanceOf(
            IpV4StreamIdOption.class, header.getOptions().getFirst());
        assertEquals(streamId, option.getStreamId() & 0xFFFF);
      }
      TcpPacket segment = read.get(TcpPacket.class);
      assertNotNull(segment);
      assertTrue(segment.hasValidChecksum(source, destination, false));
      fields.assertReadBy(segment);
    }
  }

  @Test
  void pcap4jReadsIpv6TransportsWrittenWithViews() throws IllegalRawDataException {
    Random random = new Random(8200_768);
    for (int i = 0; i < PACKETS; i++) {
      Inet6Address source = Pcap4jPackets.randomIpv6Address(random);
      Inet6Address destination = Pcap4jPackets.randomIpv6Address(random);
      int trafficClass = random.nextInt(256);
      int flowLabel = random.nextInt(1 << 20);
      int hopLimit = random.nextInt(256);
      int kind = random.nextInt(3);
      TcpFields tcpFields = TcpFields.random(random);
      byte[] payload = new byte[random.nextInt(200)];
      random.nextBytes(payload);
      int sourcePort = random.nextInt(0x10000);
      int destinationPort = random.nextInt(0x10000);
      int identifier = random.nextInt(0x10000);
      int sequence = random.nextInt(0x10000);
      int upperLength = switch (kind) {
        case 0 -> tcpFields.headerLengthBytes() + tcpFields.payload.length;
        case 1 -> UdpDatagram.HEADER_LENGTH_BYTES + payload.length;
        default -> Icmpv6Message.HEADER_LENGTH_BYTES + payload.length;
      };
      int nextHeader = switch (kind) {
        case 0 -> IpProtocol.TCP;
        case 1 -> IpProtocol.UDP;
        default -> IpProtocol.ICMPV6;
      };
      int total = Ipv6Header.HEADER_LENGTH_BYTES + upperLength;

      byte[] bytes = written(total, buffer -> {
        ipv6.init(buffer, 0, nextHeader, upperLength);
        ipv6.setTrafficClass(trafficClass);
        ipv6.setFlowLabel(flowLabel);
        ipv6.setHopLimit(hopLimit);
        ipv6.setSourceAddress(high(source), low(source));
        ipv6.setDestinationAddress(high(destination), low(destination));
        int upper = Ipv6Header.HEADER_LENGTH_BYTES;
        int pseudoHeaderSum = ipv6.pseudoHeaderSum(nextHeader, upperLength);
        switch (kind) {
          case 0 -> {
            tcpFields.write(tcp, buffer, upper, upperLength);
            tcp.writeChecksum(pseudoHeaderSum);
          }
          case 1 -> {
            udp.init(buffer, upper, upperLength);
            udp.setSourcePort(sourcePort);
            udp.setDestinationPort(destinationPort);
            buffer.setBytes(udp.payloadOffset(), payload);
            udp.writeChecksum(pseudoHeaderSum);
          }
          default -> {
            icmpv6.init(buffer, upper, upperLength, Icmpv6Message.TYPE_ECHO_REQUEST, 0);
            icmpv6.setIdentifier(identifier);
            icmpv6.setSequenceNumber(sequence);
            buffer.setBytes(icmpv6.bodyOffset(), payload);
            icmpv6.writeChecksum(pseudoHeaderSum);
          }
        }
      });

      IpV6Packet read = IpV6Packet.newPacket(bytes, 0, bytes.length);
      IpV6Packet.IpV6Header header = read.getHeader();
      assertEquals(trafficClass, header.getTrafficClass().value() & 0xFF);
      assertEquals(flowLabel, header.getFlowLabel().value());
      assertEquals(upperLength, header.getPayloadLengthAsInt());
      assertEquals(nextHeader, header.getNextHeader().value() & 0xFF);
      assertEquals(hopLimit, header.getHopLimitAsInt());
      assertEquals(source, header.getSrcAddr());
      assertEquals(destination, header.getDstAddr());
      switch (kind) {
        case 0 -> {
          TcpPacket segment = read.get(TcpPacket.class);
          assertTrue(segment.hasValidChecksum(source, destination, false));
          tcpFields.assertReadBy(segment);
        }
        case 1 -> {
          UdpPacket datagram = read.get(UdpPacket.class);
          assertTrue(datagram.hasValidChecksum(source, destination, false));
          assertEquals(sourcePort, datagram.getHeader().getSrcPort().valueAsInt());
          assertEquals(destinationPort, datagram.getHeader().getDstPort().valueAsInt());
          assertEquals(upperLength, datagram.getHeader().getLengthAsInt());
          assertPayload(payload, datagram.getPayload());
        }
        default -> {
          IcmpV6CommonPacket message = read.get(IcmpV6CommonPacket.class);
          assertTrue(message.hasValidChecksum(source, destination, false));
          IcmpV6EchoRequestPacket echo = read.get(IcmpV6EchoRequestPacket.class);
          assertEquals(identifier, echo.getHeader().getIdentifierAsInt());
          assertEquals(sequence, echo.getHeader().getSequenceNumberAsInt());
          assertPayload(payload, echo.getPayload());
        }
      }
    }
  }

  @Test
  void pcap4jReadsIcmpv4EchoWrittenWithViews() throws IllegalRawDataException {
    Random random = new Random(792_1);
    for (int i = 0; i < PACKETS; i++) {
      Inet4Address source = Pcap4jPackets.randomIpv4Address(random);
      Inet4Address destination = Pcap4jPackets.randomIpv4Address(random);
      byte[] data = new byte[random.nextInt(100)];
      random.nextBytes(data);
      boolean request = random.nextBoolean();
      int identifier = random.nextInt(0x10000);
      int sequence = random.nextInt(0x10000);
      int messageLength = Icmpv4Message.HEADER_LENGTH_BYTES + data.length;
      int total = Ipv4Header.MIN_HEADER_LENGTH_BYTES + messageLength;

      byte[] bytes = written(total, buffer -> {
        ipv4.init(buffer, 0, Ipv4Header.MIN_HEADER_LENGTH_BYTES, total);
        ipv4.setTtl(64);
        ipv4.setProtocol(IpProtocol.ICMP);
        ipv4.setSourceAddress(ipv4AsInt(source));
        ipv4.setDestinationAddress(ipv4AsInt(destination));
        ipv4.writeHeaderChecksum();
        int type = request ? Icmpv4Message.TYPE_ECHO_REQUEST : Icmpv4Message.TYPE_ECHO_REPLY;
        icmpv4.init(buffer, ipv4.payloadOffset(), messageLength, type, 0);
        icmpv4.setIdentifier(identifier);
        icmpv4.setSequenceNumber(sequence);
        buffer.setBytes(icmpv4.bodyOffset(), data);
        icmpv4.writeChecksum();
      });

      IpV4Packet read = IpV4Packet.newPacket(bytes, 0, bytes.length);
      assertTrue(read.getHeader().hasValidChecksum(false));
      IcmpV4CommonPacket message = read.get(IcmpV4CommonPacket.class);
      assertTrue(message.hasValidChecksum(false));
      assertEquals(request ? 8 : 0, message.getHeader().getType().value() & 0xFF);
      // pcap4j reads the two echo types into two classes with the same fields.
      if (request) {
        IcmpV4EchoPacket echo = read.get(IcmpV4EchoPacket.class);
        assertEquals(identifier, echo.getHeader().getIdentifierAsInt());
        assertEquals(sequence, echo.getHeader().getSequenceNumberAsInt());
        assertPayload(data, echo.getPayload());
      } else {
        IcmpV4EchoReplyPacket echo = read.get(IcmpV4EchoReplyPacket.class);
        assertEquals(identifier, echo.getHeader().getIdentifierAsInt());
        assertEquals(sequence, echo.getHeader().getSequenceNumberAsInt());
        assertPayload(data, echo.getPayload());
      }
    }
  }

  @Test
  void pcap4jAcceptsIpv4UdpSentWithoutChecksumOnlyWhenZeroIsAllowed()
      throws IllegalRawDataException {
    Inet4Address source = Pcap4jPackets.randomIpv4Address(new Random(1));
    Inet4Address destination = Pcap4jPackets.randomIpv4Address(new Random(2));
    int total = Ipv4Header.MIN_HEADER_LENGTH_BYTES + UdpDatagram.HEADER_LENGTH_BYTES + 3;
    byte[] bytes = written(total, buffer -> {
      ipv4.init(buffer, 0, Ipv4Header.MIN_HEADER_LENGTH_BYTES, total);
      ipv4.setProtocol(IpProtocol.UDP);
      ipv4.setSourceAddress(ipv4AsInt(source));
      ipv4.setDestinationAddress(ipv4AsInt(destination));
      ipv4.writeHeaderChecksum();
      udp.init(buffer, ipv4.payloadOffset(), ipv4.payloadLengthBytes());
      udp.setSourcePort(5353);
      udp.setDestinationPort(53);
      buffer.setMedium(udp.payloadOffset(), 0xABCDEF);
      udp.clearChecksum();
    });

    UdpPacket datagram = IpV4Packet.newPacket(bytes, 0, bytes.length).get(UdpPacket.class);
    assertEquals(0, datagram.getHeader().getChecksum());
    assertTrue(datagram.hasValidChecksum(source, destination, true));
    assertFalse(datagram.hasValidChecksum(source, destination, false));
  }

  /** The header fields, options and payload of one random TCP segment. */
  private record TcpFields(int sourcePort, int destinationPort, int sequence, int ack,
      int flags, int window, int urgentPointer, int mss, int windowScale, boolean sackPermitted,
      int[] sackEdges, long timestamps, boolean withTimestamps, byte[] payload) {

    static TcpFields random(Random random) {
      int[] sackEdges = new int[2 * random.nextInt(3)];
      for (int i = 0; i < sackEdges.length; i++) {
        sackEdges[i] = random.nextInt();
      }
      byte[] payload = new byte[random.nextInt(200)];
      random.nextBytes(payload);
      return new TcpFields(random.nextInt(0x10000), random.nextInt(0x10000), random.nextInt(),
          random.nextInt(), random.nextInt(256), random.nextInt(0x10000),
          random.nextInt(0x10000), random.nextBoolean() ? random.nextInt(0x10000) : -1,
          random.nextBoolean() ? random.nextInt(15) : -1, random.nextBoolean(), sackEdges,
          random.nextLong(), random.nextBoolean(), payload);
    }

    int optionsLengthBytes() {
      int length = (mss >= 0 ? TcpOptions.MSS_LENGTH_BYTES : 0)
          + (windowScale >= 0 ? TcpOptions.WINDOW_SCALE_LENGTH_BYTES : 0)
          + (sackPermitted ? TcpOptions.SACK_PERMITTED_LENGTH_BYTES : 0)
          + (sackEdges.length > 0 ? 2 + sackEdges.length * 4 : 0)
          + (withTimestamps ? TcpOptions.TIMESTAMPS_LENGTH_BYTES : 0);
      return (length + 3) / 4 * 4;
    }

    int headerLengthBytes() {
      return TcpSegment.MIN_HEADER_LENGTH_BYTES + optionsLengthBytes();
    }

    void write(TcpSegment tcp, ByteBuf buffer, int offset, int lengthBytes) {
      tcp.init(buffer, offset, headerLengthBytes(), lengthBytes);
      tcp.setSourcePort(sourcePort);
      tcp.setDestinationPort(destinationPort);
      tcp.setSequenceNumber(sequence);
      tcp.setAcknowledgmentNumber(ack);
      tcp.setFlags(flags);
      tcp.setWindow(window);
      tcp.setUrgentPointer(urgentPointer);
      int at = offset + TcpSegment.OPTIONS_OFFSET;
      if (mss >= 0) {
        at = TcpOptions.writeMss(buffer, at, mss);
      }
      if (windowScale >= 0) {
        at = TcpOptions.writeWindowScale(buffer, at, windowScale);
      }
      if (sackPermitted) {
        at = TcpOptions.writeSackPermitted(buffer, at);
      }
      if (sackEdges.length > 0) {
        at = TcpOptions.writeSackHeader(buffer, at, sackEdges.length / 2);
        for (int i = 0; i < sackEdges.length; i += 2) {
          at = TcpOptions.writeSackBlock(buffer, at, sackEdges[i], sackEdges[i + 1]);
        }
      }
      if (withTimestamps) {
        at = TcpOptions.writeTimestamps(
            buffer, at, (int) (timestamps >>> 32), (int) timestamps);
      }
      while (at < tcp.payloadOffset()) {
        at = TcpOptions.writeEndOfList(buffer, at);
      }
      buffer.setBytes(tcp.payloadOffset(), payload);
    }

    void assertReadBy(TcpPacket segment) {
      TcpPacket.TcpHeader header = segment.getHeader();
      assertEquals(sourcePort, header.getSrcPort().valueAsInt());
      assertEquals(destinationPort, header.getDstPort().valueAsInt());
      assertEquals(sequence, header.getSequenceNumber());
      assertEquals(ack, header.getAcknowledgmentNumber());
      assertEquals(headerLengthBytes() / 4, header.getDataOffsetAsInt());
      assertEquals(flags >>> 6, header.getReserved() & 0x03, "CWR and ECE");
      assertEquals((flags & TcpSegment.FLAG_URG) != 0, header.getUrg());
      assertEquals((flags & TcpSegment.FLAG_ACK) != 0, header.getAck());
      assertEquals((flags & TcpSegment.FLAG_PSH) != 0, header.getPsh());
      assertEquals((flags & TcpSegment.FLAG_RST) != 0, header.getRst());
      assertEquals((flags & TcpSegment.FLAG_SYN) != 0, header.getSyn());
      assertEquals((flags & TcpSegment.FLAG_FIN) != 0, header.getFin());
      assertEquals(window, header.getWindowAsInt());
      assertEquals(urgentPointer, header.getUrgentPointerAsInt());
      assertPayload(payload, segment.getPayload());

      List<TcpPacket.TcpOption> options = header.getOptions();
      assertEquals(mss, options.stream().filter(TcpMaximumSegmentSizeOption.class::isInstance)
          .map(o -> ((TcpMaximumSegmentSizeOption) o).getMaxSegSizeAsInt())
          .findFirst().orElse(-1));
      assertEquals(windowScale, options.stream().filter(TcpWindowScaleOption.class::isInstance)
          .map(o -> ((TcpWindowScaleOption) o).getShiftCountAsInt())
          .findFirst().orElse(-1));
      assertEquals(sackPermitted,
          options.stream().anyMatch(TcpSackPermittedOption.class::isInstance));
      byte[] sack = options.stream().filter(TcpSackOption.class::isInstance)
          .map(TcpPacket.TcpOption::getRawData).findFirst().orElse(new byte[2]);
      ByteBuffer edges = ByteBuffer.wrap(sack, 2, sack.length - 2);
      assertEquals(sackEdges.length, edges.remaining() / 4);
      for (int edge : sackEdges) {
        assertEquals(edge, edges.getInt());
      }
      TcpTimestampsOption readTimestamps = options.stream()
          .filter(TcpTimestampsOption.class::isInstance).map(TcpTimestampsOption.class::cast)
          .findFirst().orElse(null);
      assertEquals(withTimestamps, readTimestamps != null);
      if (readTimestamps != null) {
        assertEquals((int) (timestamps >>> 32), readTimestamps.getTsValue());
        assertEquals((int) timestamps, readTimestamps.getTsEchoReply());
      }
    }
  }

  private static void assertPayload(byte[] expected, Packet payload) {
    assertArrayEquals(expected, payload == null ? new byte[0] : payload.getRawData());
  }

  /** Runs {@code writer} on {@code lengthBytes} zeroed bytes and returns what it wrote. */
  private static byte[] written(int lengthBytes, Consumer<ByteBuf> writer) {
    ByteBuf buffer = ByteBufAllocator.DEFAULT.buffer(lengthBytes);
    try {
      buffer.writeZero(lengthBytes);
      writer.accept(buffer);
      return Buffers.bytesOf(buffer);
    } finally {
      buffer.release();
    }
  }
}
