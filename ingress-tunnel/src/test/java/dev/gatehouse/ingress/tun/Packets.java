package dev.gatehouse.ingress.tun;

import dev.gatehouse.core.wire.IpProtocol;
import dev.gatehouse.core.wire.Ipv4Header;
import dev.gatehouse.core.wire.Ipv6Header;
import dev.gatehouse.core.wire.UdpDatagram;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/** UDP packets built with the wire views, as the core will build its replies. */
final class Packets {
  private static final int TTL = 64;

  private Packets() {}

  /** A UDP datagram in IPv4 or IPv6, by the family of the addresses, checksums filled in. */
  static ByteBuf udp(ByteBufAllocator allocator, InetSocketAddress from, InetSocketAddress to,
      byte[] payload) {
    return from.getAddress() instanceof Inet4Address
        ? udpV4(allocator, from, to, payload)
        : udpV6(allocator, from, to, payload);
  }

  private static ByteBuf udpV4(ByteBufAllocator allocator, InetSocketAddress from,
      InetSocketAddress to, byte[] payload) {
    int udpLength = UdpDatagram.HEADER_LENGTH_BYTES + payload.length;
    int total = Ipv4Header.MIN_HEADER_LENGTH_BYTES + udpLength;
    ByteBuf packet = allocator.directBuffer(total).setZero(0, total).writerIndex(total);

    Ipv4Header ip = new Ipv4Header().init(packet, 0, Ipv4Header.MIN_HEADER_LENGTH_BYTES, total);
    ip.setFragmentation(true, false, 0);
    ip.setTtl(TTL);
    ip.setProtocol(IpProtocol.UDP);
    ip.setSourceAddress(ipv4(from.getAddress()));
    ip.setDestinationAddress(ipv4(to.getAddress()));
    ip.writeHeaderChecksum();

    UdpDatagram udp = udpHeader(packet, Ipv4Header.MIN_HEADER_LENGTH_BYTES, from, to, payload);
    udp.writeChecksum(ip.pseudoHeaderSum(IpProtocol.UDP, udpLength));
    return packet;
  }

  private static ByteBuf udpV6(ByteBufAllocator allocator, InetSocketAddress from,
      InetSocketAddress to, byte[] payload) {
    int udpLength = UdpDatagram.HEADER_LENGTH_BYTES + payload.length;
    int total = Ipv6Header.HEADER_LENGTH_BYTES + udpLength;
    ByteBuf packet = allocator.directBuffer(total).setZero(0, total).writerIndex(total);

    Ipv6Header ip = new Ipv6Header().init(packet, 0, IpProtocol.UDP, udpLength);
    ip.setHopLimit(TTL);
    ByteBuffer source = ByteBuffer.wrap(((Inet6Address) from.getAddress()).getAddress());
    ByteBuffer destination = ByteBuffer.wrap(((Inet6Address) to.getAddress()).getAddress());
    ip.setSourceAddress(source.getLong(0), source.getLong(8));
    ip.setDestinationAddress(destination.getLong(0), destination.getLong(8));

    UdpDatagram udp = udpHeader(packet, Ipv6Header.HEADER_LENGTH_BYTES, from, to, payload);
    udp.writeChecksum(ip.pseudoHeaderSum(IpProtocol.UDP, udpLength));
    return packet;
  }

  private static UdpDatagram udpHeader(ByteBuf packet, int offset, InetSocketAddress from,
      InetSocketAddress to, byte[] payload) {
    UdpDatagram udp = new UdpDatagram().init(packet, offset,
        UdpDatagram.HEADER_LENGTH_BYTES + payload.length);
    udp.setSourcePort(from.getPort());
    udp.setDestinationPort(to.getPort());
    packet.setBytes(udp.payloadOffset(), payload);
    return udp;
  }

  static int ipv4(InetAddress address) {
    return ByteBuffer.wrap(address.getAddress()).getInt();
  }
}
