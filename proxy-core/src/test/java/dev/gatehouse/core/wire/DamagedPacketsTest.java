package dev.gatehouse.core.wire;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.IcmpV4CommonPacket;
import org.pcap4j.packet.IcmpV4DestinationUnreachablePacket;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.IpV6ExtDestinationOptionsPacket;
import org.pcap4j.packet.IpV6ExtFragmentPacket;
import org.pcap4j.packet.IpV6ExtHopByHopOptionsPacket;
import org.pcap4j.packet.IpV6PadNOption;
import org.pcap4j.packet.Packet;
import org.pcap4j.packet.namednumber.IcmpV4Code;
import org.pcap4j.packet.namednumber.IcmpV4Type;
import org.pcap4j.packet.namednumber.IpNumber;
import org.pcap4j.packet.namednumber.IpVersion;

/**
 * Well-formed packets damaged at random (bytes flipped or overwritten with 0x00 and 0xFF,
 * lengths cut) are read through every view and accessor: nothing may throw, and no view may
 * point outside the bytes it was given.
 */
class DamagedPacketsTest {

  private static final int ROUNDS = 200_000;

  private final IpPacket packet = new IpPacket();
  private final IpPacket inner = new IpPacket();
  private final TcpSegment tcp = new TcpSegment();
  private final UdpDatagram udp = new UdpDatagram();
  private final Icmpv4Message icmpv4 = new Icmpv4Message();
  private final Icmpv6Message icmpv6 = new Icmpv6Message();
  private final Set<WireStatus> seen = EnumSet.noneOf(WireStatus.class);

  @Test
  void readsDamagedPacketsWithoutThrowingOrLeavingTheirBytes() {
    Random random = new Random(0xDA4A6E);
    byte[][] originals = originals(random);
    int capacity = Arrays.stream(originals).mapToInt(bytes -> bytes.length).max().orElseThrow();
    // One buffer for every round, outside the leak detector on purpose: in paranoid mode it
    // takes a stack trace on every read, which would make these rounds take half a minute.
    // The other tests read through tracked buffers.
    ByteBuf buffer = Unpooled.wrappedBuffer(new byte[capacity]);
    try {
      for (int round = 0; round < ROUNDS; round++) {
        byte[] damaged = damage(random, originals[random.nextInt(originals.length)]);
        int length = random.nextInt(4) == 0 ? random.nextInt(damaged.length + 1) : damaged.length;
        buffer.clear().writeBytes(damaged);
        readEverything(buffer, length, false);
        readEverything(buffer, length, true);
      }
    } finally {
      buffer.release();
    }
    // The damage must reach the checks, not only the happy path.
    assertTrue(seen.containsAll(EnumSet.allOf(WireStatus.class)), "statuses seen: " + seen);
  }

  private void readEverything(ByteBuf buffer, int length, boolean quoted) {
    WireStatus status = quoted
        ? packet.wrapQuoted(buffer, 0, length)
        : packet.wrap(buffer, 0, length);
    seen.add(status);
    if (status != WireStatus.OK) {
      return;
    }
    assertInside(packet.payloadOffset(), packet.payloadLengthBytes(), 0, length);
    readIpHeader();
    if (packet.isNonFirstFragment()) {
      return;
    }
    int offset = packet.payloadOffset();
    int available = packet.payloadLengthBytes();
    switch (packet.protocol()) {
      case IpProtocol.TCP -> readTcp(buffer, offset, available);
      case IpProtocol.UDP -> readUdp(buffer, offset, available);
      case IpProtocol.ICMP -> readIcmpv4(buffer, offset, available);
      case IpProtocol.ICMPV6 -> readIcmpv6(buffer, offset, available);
      default -> {
        // Nothing more to read in other protocols.
      }
    }
  }

  private void readIpHeader() {
    packet.isFragment();
    packet.isTruncated();
    packet.hopLimit();
    packet.pseudoHeaderSum(packet.payloadLengthBytes());
    if (packet.hasPorts()) {
      packet.sourcePort();
      packet.destinationPort();
    }
    if (packet.isIpv4()) {
      Ipv4Header ipv4 = packet.ipv4();
      seen.add(ipv4.verifyHeaderChecksum());
      ipv4.computeHeaderChecksum();
      ipv4.totalLengthBytes();
      ipv4.dscp();
      ipv4.ecn();
      ipv4.identification();
      ipv4.dontFragment();
      ipv4.fragmentOffsetBytes();
      ipv4.sourceAddress();
      ipv4.destinationAddress();
    } else {
      Ipv6Header ipv6 = packet.ipv6();
      ipv6.trafficClass();
      ipv6.flowLabel();
      ipv6.sourceAddressHigh();
      ipv6.destinationAddressLow();
      ipv6.moreFragments();
      ipv6.fragmentOffsetBytes();
      ipv6.fragmentIdentification();
      int finalDestination = ipv6.finalDestinationOffset();
      assertInside(finalDestination, Ipv6Header.ADDRESS_LENGTH_BYTES, 0,
          ipv6.upperLayerOffset());
    }
  }

  private void readTcp(ByteBuf buffer, int offset, int available) {
    WireStatus status = tcp.wrap(buffer, offset, available);
    seen.add(status);
    if (status != WireStatus.OK) {
      return;
    }
    assertInside(tcp.payloadOffset(), tcp.payloadLengthBytes(), offset, available);
    for (int at = tcp.firstOptionOffset(); at >= 0; at = tcp.nextOptionOffset(at)) {
      assertInside(at, tcp.optionLengthBytes(at), offset, tcp.headerLengthBytes());
    }
    tcp.mss();
    tcp.windowScale();
    tcp.sackPermitted();
    for (int i = 0; i < tcp.sackBlockCount(); i++) {
      tcp.sackLeftEdge(i);
      tcp.sackRightEdge(i);
    }
    if (tcp.hasTimestamps()) {
      tcp.timestampValue();
      tcp.timestampEchoReply();
    }
    int pseudoHeaderSum = packet.pseudoHeaderSum(tcp.lengthBytes());
    seen.add(tcp.verifyChecksum(pseudoHeaderSum));
    tcp.computeChecksum(pseudoHeaderSum);
  }

  private void readUdp(ByteBuf buffer, int offset, int available) {
    WireStatus status = udp.wrap(buffer, offset, available);
    seen.add(status);
    if (status != WireStatus.OK) {
      return;
    }
    assertInside(udp.payloadOffset(), udp.payloadLengthBytes(), offset, available);
    int pseudoHeaderSum = packet.pseudoHeaderSum(udp.lengthBytes());
    seen.add(packet.isIpv4()
        ? udp.verifyChecksumOverIpv4(pseudoHeaderSum)
        : udp.verifyChecksumOverIpv6(pseudoHeaderSum));
    udp.computeChecksum(pseudoHeaderSum);
  }

  private void readIcmpv4(ByteBuf buffer, int offset, int available) {
    if (icmpv4.wrap(buffer, offset, available) != WireStatus.OK) {
      return;
    }
    seen.add(icmpv4.verifyChecksum());
    icmpv4.identifier();
    icmpv4.nextHopMtu();
    if (icmpv4.isError() && icmpv4.wrapQuotedPacket(inner) == WireStatus.OK) {
      assertInside(inner.payloadOffset(), inner.payloadLengthBytes(), offset, available);
      if (inner.hasPorts()) {
        inner.sourcePort();
        inner.destinationPort();
      }
    }
  }

  private void readIcmpv6(ByteBuf buffer, int offset, int available) {
    if (icmpv6.wrap(buffer, offset, available) != WireStatus.OK) {
      return;
    }
    seen.add(icmpv6.verifyChecksum(packet.pseudoHeaderSum(icmpv6.lengthBytes())));
    icmpv6.mtu();
    if (icmpv6.isError() && icmpv6.wrapQuotedPacket(inner) == WireStatus.OK) {
      assertInside(inner.payloadOffset(), inner.payloadLengthBytes(), offset, available);
    }
  }

  private static void assertInside(int index, int lengthBytes, int start, int limitBytes) {
    assertTrue(lengthBytes >= 0 && index >= start && index + lengthBytes <= start + limitBytes,
        () -> "[" + index + ", +" + lengthBytes + ") outside [" + start + ", +" + limitBytes + ")");
  }

  private static byte[] damage(Random random, byte[] original) {
    byte[] damaged = Arrays.copyOf(original, original.length);
    int hits = 1 + random.nextInt(4);
    for (int i = 0; i < hits; i++) {
      // Most damage lands in the first 80 bytes, where the headers are.
      int index = random.nextInt(Math.min(damaged.length, random.nextBoolean() ? 80 : 1500));
      damaged[index] = switch (random.nextInt(4)) {
        case 0 -> 0;
        case 1 -> (byte) 0xFF;
        case 2 -> (byte) (damaged[index] ^ (1 << random.nextInt(8)));
        default -> (byte) random.nextInt();
      };
    }
    return damaged;
  }

  private static byte[][] originals(Random random) {
    Inet4Address source4 = Pcap4jPackets.randomIpv4Address(random);
    Inet4Address destination4 = Pcap4jPackets.randomIpv4Address(random);
    Inet6Address source6 = Pcap4jPackets.randomIpv6Address(random);
    Inet6Address destination6 = Pcap4jPackets.randomIpv6Address(random);
    byte[] tcp4 = ipv4(random, source4, destination4, IpNumber.TCP,
        Pcap4jPackets.tcp(random, source4, destination4));
    byte[] udp4 = ipv4(random, source4, destination4, IpNumber.UDP,
        Pcap4jPackets.udp(random, source4, destination4));
    IcmpV4CommonPacket.Builder unreachable = new IcmpV4CommonPacket.Builder()
        .type(IcmpV4Type.DESTINATION_UNREACHABLE)
        .code(IcmpV4Code.PORT_UNREACHABLE)
        .payloadBuilder(new IcmpV4DestinationUnreachablePacket.Builder()
            .payload(Pcap4jPackets.rawPacket(Arrays.copyOf(udp4, 28))))
        .correctChecksumAtBuild(true);
    byte[] icmp4 = ipv4(random, destination4, source4, IpNumber.ICMPV4, unreachable);
    byte[] chain6 = ipv6WithChain(random, source6, destination6);
    byte[] udp6 = ipv6(source6, destination6, IpNumber.UDP,
        Pcap4jPackets.udp(random, source6, destination6));
    return new byte[][] {tcp4, udp4, icmp4, chain6, udp6};
  }

  private static byte[] ipv4(Random random, Inet4Address source, Inet4Address destination,
      IpNumber protocol, Packet.Builder payload) {
    return new IpV4Packet.Builder()
        .version(IpVersion.IPV4)
        .tos(Pcap4jPackets.typeOfService(random))
        .ttl((byte) 64)
        .protocol(protocol)
        .srcAddr(source)
        .dstAddr(destination)
        .options(Pcap4jPackets.ipv4Options(random))
        .paddingAtBuild(true)
        .payloadBuilder(payload)
        .correctChecksumAtBuild(true)
        .correctLengthAtBuild(true)
        .build()
        .getRawData();
  }

  private static byte[] ipv6(Inet6Address source, Inet6Address destination,
      IpNumber nextHeader, Packet.Builder payload) {
    return Pcap4jPackets.ipv6(source, destination, nextHeader, payload).getRawData();
  }

  /** Hop-by-Hop, Destination Options, Fragment (first), then TCP. */
  private static byte[] ipv6WithChain(Random random, Inet6Address source,
      Inet6Address destination) {
    IpV6PadNOption padding = new IpV6PadNOption.Builder()
        .data(new byte[4])
        .correctLengthAtBuild(true)
        .build();
    Packet.Builder fragment = new IpV6ExtFragmentPacket.Builder()
        .nextHeader(IpNumber.TCP)
        .fragmentOffset((short) 0)
        .m(true)
        .identification(random.nextInt())
        .payloadBuilder(Pcap4jPackets.tcp(random, source, destination));
    Packet.Builder options = new IpV6ExtDestinationOptionsPacket.Builder()
        .nextHeader(IpNumber.IPV6_FRAG)
        .options(List.of(padding))
        .payloadBuilder(fragment)
        .correctLengthAtBuild(true);
    Packet.Builder hopByHop = new IpV6ExtHopByHopOptionsPacket.Builder()
        .nextHeader(IpNumber.IPV6_DST_OPTS)
        .options(List.of(padding))
        .payloadBuilder(options)
        .correctLengthAtBuild(true);
    return ipv6(source, destination, IpNumber.IPV6_HOPOPT, hopByHop);
  }
}
