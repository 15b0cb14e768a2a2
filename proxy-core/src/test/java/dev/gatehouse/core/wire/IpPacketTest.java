package dev.gatehouse.core.wire;

import static dev.gatehouse.core.wire.Pcap4jPackets.randomIpv4Address;
import static dev.gatehouse.core.wire.Pcap4jPackets.randomIpv6Address;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.IcmpV6CommonPacket;
import org.pcap4j.packet.IcmpV6EchoRequestPacket;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.IpV6Packet;
import org.pcap4j.packet.Packet;
import org.pcap4j.packet.namednumber.IcmpV6Code;
import org.pcap4j.packet.namednumber.IcmpV6Type;
import org.pcap4j.packet.namednumber.IpNumber;
import org.pcap4j.packet.namednumber.IpVersion;

class IpPacketTest {

  private static final int PACKETS = 200;
  private static final int REWRITES = 20;

  private final IpPacket packet = new IpPacket();
  private final TcpSegment tcp = new TcpSegment();
  private final UdpDatagram udp = new UdpDatagram();
  private final Icmpv6Message icmpv6 = new Icmpv6Message();

  @Test
  void reportsAnEmptyBufferAsTruncatedAndOtherVersionsAsBad() {
    Buffers.with(new byte[1], buffer -> {
      assertEquals(WireStatus.TRUNCATED, packet.wrap(buffer, 0, 0));
      for (int version = 0; version < 16; version++) {
        if (version != 4 && version != 6) {
          buffer.setByte(0, version << 4);
          assertEquals(WireStatus.BAD_VERSION, packet.wrap(buffer, 0, 1), "version " + version);
          assertFalse(packet.isIpv4() || packet.isIpv6());
        }
      }
      return null;
    });
  }

  @Test
  void handsOutOnlyTheHeaderViewOfTheWrappedVersion() {
    byte[] bytes = HexFormat.of().parseHex(Ipv4HeaderTest.UDP_PACKET.replace(" ", ""));
    Buffers.with(bytes, buffer -> {
      assertEquals(WireStatus.OK, packet.wrap(buffer, 0, bytes.length));
      assertEquals(4, packet.version());
      assertEquals(64, packet.hopLimit());
      assertThrows(IllegalStateException.class, packet::ipv6);
      assertEquals(WireStatus.TRUNCATED, packet.wrap(buffer, 0, 10));
      assertThrows(IllegalStateException.class, packet::ipv4);
      return null;
    });
  }

  @Test
  void rewritesIpv4AddressesAndPortsKeepingEveryChecksumEqualToARecompute() {
    Random random = new Random(1624_791);
    for (int i = 0; i < PACKETS; i++) {
      Inet4Address source = randomIpv4Address(random);
      Inet4Address destination = randomIpv4Address(random);
      boolean isTcp = random.nextBoolean();
      Packet.Builder transport = isTcp
          ? Pcap4jPackets.tcp(random, source, destination)
          : Pcap4jPackets.udp(random, source, destination);
      IpV4Packet built = new IpV4Packet.Builder()
          .version(IpVersion.IPV4)
          .tos(Pcap4jPackets.typeOfService(random))
          .ttl((byte) 64)
          .protocol(isTcp ? IpNumber.TCP : IpNumber.UDP)
          .srcAddr(source)
          .dstAddr(destination)
          .payloadBuilder(transport)
          .correctChecksumAtBuild(true)
          .correctLengthAtBuild(true)
          .build();
      Buffers.with(built.getRawData(), buffer -> {
        assertEquals(WireStatus.OK, packet.wrap(buffer, 0, buffer.readableBytes()));
        for (int round = 0; round < REWRITES; round++) {
          rewriteSomething(random, true);
          assertEquals(packet.ipv4().computeHeaderChecksum(), packet.ipv4().headerChecksum());
          assertTransportChecksumIsARecompute(buffer);
        }
        return null;
      });
    }
  }

  @Test
  void rewritesIpv6AddressesAndPortsKeepingEveryChecksumEqualToARecompute() {
    Random random = new Random(1624_8200);
    for (int i = 0; i < PACKETS; i++) {
      Inet6Address source = randomIpv6Address(random);
      Inet6Address destination = randomIpv6Address(random);
      int kind = random.nextInt(3);
      Packet.Builder upper = switch (kind) {
        case 0 -> Pcap4jPackets.tcp(random, source, destination);
        case 1 -> Pcap4jPackets.udp(random, source, destination);
        default -> new IcmpV6CommonPacket.Builder()
            .type(IcmpV6Type.ECHO_REQUEST)
            .code(IcmpV6Code.NO_CODE)
            .srcAddr(source)
            .dstAddr(destination)
            .payloadBuilder(new IcmpV6EchoRequestPacket.Builder()
                .identifier((short) random.nextInt())
                .sequenceNumber((short) random.nextInt())
                .payloadBuilder(Pcap4jPackets.payload(random, 1 + random.nextInt(50))))
            .correctChecksumAtBuild(true);
      };
      IpNumber nextHeader = switch (kind) {
        case 0 -> IpNumber.TCP;
        case 1 -> IpNumber.UDP;
        default -> IpNumber.ICMPV6;
      };
      IpV6Packet built = Pcap4jPackets.ipv6(source, destination, nextHeader, upper);
      Buffers.with(built.getRawData(), buffer -> {
        assertEquals(WireStatus.OK, packet.wrap(buffer, 0, buffer.readableBytes()));
        for (int round = 0; round < REWRITES; round++) {
          rewriteSomething(random, packet.hasPorts());
          assertTransportChecksumIsARecompute(buffer);
        }
        return null;
      });
    }
  }

  @Test
  void keepsAUdpDatagramSentWithoutChecksumWithoutOne() {
    byte[] bytes = HexFormat.of().parseHex(
        Ipv4HeaderTest.UDP_PACKET.replace(" ", "").replace("3fdb", "0000"));
    Buffers.with(bytes, buffer -> {
      assertEquals(WireStatus.OK, packet.wrap(buffer, 0, bytes.length));
      packet.rewriteSourceAddress(0xC612FFFF);
      packet.rewriteDestinationPort(5300);
      assertEquals(0, buffer.getUnsignedShort(packet.payloadOffset() + 6));
      assertEquals(WireStatus.OK, packet.ipv4().verifyHeaderChecksum());
      return null;
    });
  }

  @Test
  void sendsAUdpChecksumThatUpdatesToZeroAsAllOnes() {
    byte[] bytes = HexFormat.of().parseHex(Ipv4HeaderTest.UDP_PACKET.replace(" ", ""));
    Buffers.with(bytes, buffer -> {
      assertEquals(WireStatus.OK, packet.wrap(buffer, 0, bytes.length));
      // The source port that makes pseudo-header and datagram sum to 0xFFFF.
      int udpOffset = packet.payloadOffset();
      int others = Checksums.add(packet.pseudoHeaderSum(17), Checksums.sumWithoutChecksumField(
          buffer, udpOffset + 2, 15, udpOffset + UdpDatagram.CHECKSUM_OFFSET));
      packet.rewriteSourcePort(~others & 0xFFFF);
      assertEquals(0xFFFF, buffer.getUnsignedShort(udpOffset + UdpDatagram.CHECKSUM_OFFSET));
      assertEquals(WireStatus.OK, udp.wrap(buffer, udpOffset, 17));
      assertEquals(WireStatus.OK, udp.verifyChecksumOverIpv6(packet.pseudoHeaderSum(17)));
      return null;
    });
  }

  @Test
  void leavesTheIcmpv4ChecksumAloneWhenAnAddressChanges() {
    // ICMP for IPv4 has no pseudo-header (RFC 792): only the IP header checksum moves.
    byte[] bytes = hex("45000020 00000000 4001 0000 c6120001 c6130002"
        + "0800 06f4 1234 0007 70696e67");
    Buffers.with(bytes, buffer -> {
      assertEquals(WireStatus.OK, packet.wrap(buffer, 0, bytes.length));
      packet.ipv4().writeHeaderChecksum();
      packet.rewriteDestinationAddress(0xC6130099);
      assertEquals(0x06F4, buffer.getUnsignedShort(packet.payloadOffset() + 2));
      assertEquals(WireStatus.OK, packet.ipv4().verifyHeaderChecksum());
      assertFalse(packet.hasPorts());
      assertThrows(IllegalStateException.class, () -> packet.rewriteSourcePort(1));
      return null;
    });
  }

  @Test
  void rewritesOnlyTheIpHeaderOfANonFirstFragment() {
    // Fragment at offset 8 of a UDP datagram: its bytes are data, not a UDP header.
    byte[] bytes = hex("4500001c abcd 0001 4011 0000 c6120001 c6130002 0102030405060708");
    Buffers.with(bytes, buffer -> {
      assertEquals(WireStatus.OK, packet.wrap(buffer, 0, bytes.length));
      packet.ipv4().writeHeaderChecksum();
      assertTrue(packet.isFragment());
      assertTrue(packet.isNonFirstFragment());
      assertFalse(packet.hasPorts());
      packet.rewriteSourceAddress(0xC6120077);
      byte[] data = new byte[8];
      buffer.getBytes(20, data);
      assertArrayEquals(hex("0102030405060708"), data);
      assertEquals(WireStatus.OK, packet.ipv4().verifyHeaderChecksum());
      return null;
    });
  }

  @Test
  void leavesTheTransportChecksumAloneWhenARoutingHeaderHoldsTheFinalDestination() {
    // Type 0, one address, one segment left: the TCP pseudo-header uses that address.
    String routing = "0602 0001 00000000" + "2001000200000000000000000000aaaa";
    String tcpHeader = "d43101bb0a0b0c0d0000000050020000" + "00000000";
    byte[] bytes = Ipv6HeaderTest.packet(0x60000000, IpProtocol.ROUTING, 64, routing, tcpHeader);
    Buffers.with(bytes, buffer -> {
      assertEquals(WireStatus.OK, packet.wrap(buffer, 0, bytes.length));
      assertEquals(WireStatus.OK, tcp.wrap(buffer, packet.payloadOffset(), 20));
      tcp.writeChecksum(packet.pseudoHeaderSum(20));
      int checksum = tcp.checksum();
      packet.rewriteDestinationAddress(0x2001000200000000L, 0x99L);
      assertEquals(checksum, tcp.checksum());
      assertEquals(WireStatus.OK, tcp.verifyChecksum(packet.pseudoHeaderSum(20)));
      packet.rewriteSourceAddress(0x2001000200000000L, 0x77L);
      assertEquals(WireStatus.OK, tcp.verifyChecksum(packet.pseudoHeaderSum(20)));
      return null;
    });
  }

  /** One random rewrite of an address or, if the packet has them, a port. */
  private void rewriteSomething(Random random, boolean ports) {
    int choice = random.nextInt(ports ? 4 : 2);
    boolean corner = random.nextInt(4) == 0;
    switch (choice) {
      case 0, 1 -> {
        if (packet.isIpv4()) {
          int address = corner ? 0xC612FFFF : random.nextInt();
          if (choice == 0) {
            packet.rewriteSourceAddress(address);
          } else {
            packet.rewriteDestinationAddress(address);
          }
        } else {
          long high = 0x2001000200000000L | (corner ? 0xFFFF : random.nextInt(0x10000));
          long low = corner ? 0 : random.nextLong();
          if (choice == 0) {
            packet.rewriteSourceAddress(high, low);
          } else {
            packet.rewriteDestinationAddress(high, low);
          }
        }
      }
      case 2 -> packet.rewriteSourcePort(corner ? 0 : random.nextInt(0x10000));
      default -> packet.rewriteDestinationPort(corner ? 0xFFFF : random.nextInt(0x10000));
    }
  }

  private void assertTransportChecksumIsARecompute(ByteBuf buffer) {
    int offset = packet.payloadOffset();
    int length = packet.payloadLengthBytes();
    switch (packet.protocol()) {
      case IpProtocol.TCP -> {
        assertEquals(WireStatus.OK, tcp.wrap(buffer, offset, length));
        assertEquals(tcp.computeChecksum(packet.pseudoHeaderSum(length)), tcp.checksum());
      }
      case IpProtocol.UDP -> {
        assertEquals(WireStatus.OK, udp.wrap(buffer, offset, length));
        int pseudoHeaderSum = packet.pseudoHeaderSum(udp.lengthBytes());
        assertEquals(udp.computeChecksum(pseudoHeaderSum), udp.checksum());
        assertEquals(WireStatus.OK, packet.isIpv4()
            ? udp.verifyChecksumOverIpv4(pseudoHeaderSum)
            : udp.verifyChecksumOverIpv6(pseudoHeaderSum));
      }
      default -> {
        assertEquals(WireStatus.OK, icmpv6.wrap(buffer, offset, length));
        assertEquals(icmpv6.computeChecksum(packet.pseudoHeaderSum(length)), icmpv6.checksum());
      }
    }
  }

  private static byte[] hex(String hex) {
    return HexFormat.of().parseHex(hex.replace(" ", ""));
  }
}
