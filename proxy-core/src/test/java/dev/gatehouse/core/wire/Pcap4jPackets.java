package dev.gatehouse.core.wire;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.pcap4j.packet.IpV4NoOperationOption;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.IpV4Rfc1349Tos;
import org.pcap4j.packet.IpV4StreamIdOption;
import org.pcap4j.packet.IpV6Packet;
import org.pcap4j.packet.IpV6SimpleFlowLabel;
import org.pcap4j.packet.IpV6SimpleTrafficClass;
import org.pcap4j.packet.Packet;
import org.pcap4j.packet.TcpMaximumSegmentSizeOption;
import org.pcap4j.packet.TcpNoOperationOption;
import org.pcap4j.packet.TcpPacket;
import org.pcap4j.packet.TcpSackOption;
import org.pcap4j.packet.TcpSackPermittedOption;
import org.pcap4j.packet.TcpTimestampsOption;
import org.pcap4j.packet.TcpWindowScaleOption;
import org.pcap4j.packet.UdpPacket;
import org.pcap4j.packet.UnknownPacket;
import org.pcap4j.packet.namednumber.IpNumber;
import org.pcap4j.packet.namednumber.IpVersion;
import org.pcap4j.packet.namednumber.TcpPort;
import org.pcap4j.packet.namednumber.UdpPort;

/**
 * Randomized packets built with pcap4j, the independent codec the views are checked
 * against. Addresses come from the test ranges 198.18.0.0/15 and 2001:2::/48.
 */
final class Pcap4jPackets {

  private static final int MAX_TCP_OPTIONS_BYTES = 40;

  private Pcap4jPackets() {}

  static Inet4Address randomIpv4Address(Random random) {
    byte[] bytes = {(byte) 198, (byte) (18 + random.nextInt(2)),
        (byte) random.nextInt(256), (byte) random.nextInt(256)};
    return (Inet4Address) address(bytes);
  }

  static Inet6Address randomIpv6Address(Random random) {
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    bytes[0] = 0x20;
    bytes[1] = 0x01;
    bytes[2] = 0x00;
    bytes[3] = 0x02;
    bytes[4] = 0x00;
    bytes[5] = 0x00;
    return (Inet6Address) address(bytes);
  }

  static InetAddress address(byte[] bytes) {
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new AssertionError("a literal address cannot be unknown", e);
    }
  }

  static int ipv4AsInt(Inet4Address address) {
    return ByteBuffer.wrap(address.getAddress()).getInt();
  }

  static long high(Inet6Address address) {
    return ByteBuffer.wrap(address.getAddress()).getLong(0);
  }

  static long low(Inet6Address address) {
    return ByteBuffer.wrap(address.getAddress()).getLong(8);
  }

  static UnknownPacket.Builder payload(Random random, int lengthBytes) {
    if (lengthBytes == 0) {
      return null;
    }
    byte[] bytes = new byte[lengthBytes];
    random.nextBytes(bytes);
    return new UnknownPacket.Builder().rawData(bytes);
  }

  static Packet rawPacket(byte[] bytes) {
    return new UnknownPacket.Builder().rawData(bytes).build();
  }

  /** A TCP segment with random fields, options in random order, checksum and lengths right. */
  static TcpPacket.Builder tcp(Random random, InetAddress source, InetAddress destination) {
    return new TcpPacket.Builder()
        .srcPort(TcpPort.getInstance((short) random.nextInt()))
        .dstPort(TcpPort.getInstance((short) random.nextInt()))
        .sequenceNumber(random.nextInt())
        .acknowledgmentNumber(random.nextInt())
        .reserved((byte) random.nextInt(64))
        .urg(random.nextBoolean())
        .ack(random.nextBoolean())
        .psh(random.nextBoolean())
        .rst(random.nextBoolean())
        .syn(random.nextBoolean())
        .fin(random.nextBoolean())
        .window((short) random.nextInt())
        .urgentPointer((short) random.nextInt())
        .options(tcpOptions(random))
        .paddingAtBuild(true)
        .payloadBuilder(payload(random, random.nextInt(200)))
        .srcAddr(source)
        .dstAddr(destination)
        .correctChecksumAtBuild(true)
        .correctLengthAtBuild(true);
  }

  private static List<TcpPacket.TcpOption> tcpOptions(Random random) {
    List<TcpPacket.TcpOption> options = new ArrayList<>();
    int lengthBytes = 0;
    int wanted = random.nextInt(7);
    for (int i = 0; i < wanted; i++) {
      TcpPacket.TcpOption option = tcpOption(random);
      if (lengthBytes + option.length() > MAX_TCP_OPTIONS_BYTES) {
        break;
      }
      options.add(option);
      lengthBytes += option.length();
    }
    return options;
  }

  private static TcpPacket.TcpOption tcpOption(Random random) {
    return switch (random.nextInt(6)) {
      case 0 -> TcpNoOperationOption.getInstance();
      case 1 -> new TcpMaximumSegmentSizeOption.Builder()
          .maxSegSize((short) random.nextInt())
          .correctLengthAtBuild(true)
          .build();
      case 2 -> new TcpWindowScaleOption.Builder()
          .shiftCount((byte) random.nextInt(15))
          .correctLengthAtBuild(true)
          .build();
      case 3 -> TcpSackPermittedOption.getInstance();
      case 4 -> {
        List<TcpSackOption.Sack> blocks = new ArrayList<>();
        int count = 1 + random.nextInt(3);
        for (int i = 0; i < count; i++) {
          blocks.add(new TcpSackOption.Sack(random.nextInt(), random.nextInt()));
        }
        yield new TcpSackOption.Builder().sacks(blocks).correctLengthAtBuild(true).build();
      }
      default -> new TcpTimestampsOption.Builder()
          .tsValue(random.nextInt())
          .tsEchoReply(random.nextInt())
          .correctLengthAtBuild(true)
          .build();
    };
  }

  /** A UDP datagram with random ports and payload, checksum and length right. */
  static UdpPacket.Builder udp(Random random, InetAddress source, InetAddress destination) {
    return new UdpPacket.Builder()
        .srcPort(UdpPort.getInstance((short) random.nextInt()))
        .dstPort(UdpPort.getInstance((short) random.nextInt()))
        .payloadBuilder(payload(random, random.nextInt(200)))
        .srcAddr(source)
        .dstAddr(destination)
        .correctChecksumAtBuild(true)
        .correctLengthAtBuild(true);
  }

  /** IPv4 options that pcap4j writes and reads: none, No-Operations, a Stream ID. */
  static List<IpV4Packet.IpV4Option> ipv4Options(Random random) {
    List<IpV4Packet.IpV4Option> options = new ArrayList<>();
    int count = random.nextInt(4);
    for (int i = 0; i < count; i++) {
      options.add(random.nextBoolean()
          ? IpV4NoOperationOption.getInstance()
          : new IpV4StreamIdOption.Builder()
              .streamId((short) random.nextInt())
              .correctLengthAtBuild(true)
              .build());
    }
    return options;
  }

  static IpV4Rfc1349Tos typeOfService(Random random) {
    return IpV4Rfc1349Tos.newInstance((byte) random.nextInt());
  }

  /**
   * An IPv6 packet with a plain fixed header (traffic class and flow label 0, hop limit 64)
   * and Payload Length right; {@code nextHeader} names what {@code payload} starts with.
   */
  static IpV6Packet ipv6(Inet6Address source, Inet6Address destination, IpNumber nextHeader,
      Packet.Builder payload) {
    return new IpV6Packet.Builder()
        .version(IpVersion.IPV6)
        .trafficClass(IpV6SimpleTrafficClass.newInstance((byte) 0))
        .flowLabel(IpV6SimpleFlowLabel.newInstance(0))
        .nextHeader(nextHeader)
        .hopLimit((byte) 64)
        .srcAddr(source)
        .dstAddr(destination)
        .payloadBuilder(payload)
        .correctLengthAtBuild(true)
        .build();
  }
}
