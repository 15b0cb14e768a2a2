package dev.gatehouse.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.net.Inet6Address;
import java.net.InetAddress;
import org.pcap4j.packet.IcmpV4CommonPacket;
import org.pcap4j.packet.IcmpV6CommonPacket;
import org.pcap4j.packet.IllegalRawDataException;
import org.pcap4j.packet.IpPacket;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.IpV6Packet;
import org.pcap4j.packet.TcpPacket;
import org.pcap4j.packet.UdpPacket;

/**
 * Reads a packet the core built with pcap4j, the independent decoder, and asserts that
 * every checksum in it verifies: IPv4 header, then UDP, TCP, ICMP or ICMPv6.
 */
public final class Pcap4jChecks {

  private Pcap4jChecks() {}

  /** The packet's readable bytes, decoded, with every checksum checked. */
  public static IpPacket decodeVerified(ByteBuf packet) {
    byte[] bytes = ByteBufUtil.getBytes(packet);
    IpPacket ip;
    try {
      ip = (bytes[0] >>> 4 & 0xF) == 4
          ? IpV4Packet.newPacket(bytes, 0, bytes.length)
          : IpV6Packet.newPacket(bytes, 0, bytes.length);
    } catch (IllegalRawDataException e) {
      throw new AssertionError("pcap4j cannot read " + ByteBufUtil.hexDump(bytes), e);
    }
    assertEquals(bytes.length, ip.length(), "the packet has no trailing bytes");
    InetAddress source = ip.getHeader().getSrcAddr();
    InetAddress destination = ip.getHeader().getDstAddr();
    if (ip instanceof IpV4Packet v4) {
      assertTrue(v4.getHeader().hasValidChecksum(false), "IPv4 header checksum");
    }
    assertNotNull(ip.getPayload(), "a transport payload");
    if (ip.getPayload() instanceof UdpPacket udp) {
      assertTrue(udp.hasValidChecksum(source, destination, false), "UDP checksum");
    } else if (ip.getPayload() instanceof TcpPacket tcp) {
      assertTrue(tcp.hasValidChecksum(source, destination, false), "TCP checksum");
    } else if (ip.getPayload() instanceof IcmpV4CommonPacket icmp) {
      assertTrue(icmp.hasValidChecksum(false), "ICMP checksum");
    } else if (ip.getPayload() instanceof IcmpV6CommonPacket icmp) {
      assertTrue(icmp.hasValidChecksum(
          (Inet6Address) source, (Inet6Address) destination, false), "ICMPv6 checksum");
    } else {
      throw new AssertionError("unexpected payload " + ip.getPayload().getClass());
    }
    return ip;
  }
}
