package dev.gatehouse.core.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.wire.IpPacket;
import dev.gatehouse.core.wire.WireStatus;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class FlowKeyTest {
  private static final TunnelContext BRANCH = new TunnelContext("branch-1", "gre", "paris", 7, 1476);

  /** Wraps hex bytes, derives the key, releases the buffer. */
  private static FlowKey keyOf(String hex) {
    ByteBuf buffer = Unpooled.wrappedBuffer(HexFormat.of().parseHex(hex.replace(" ", "")));
    try {
      IpPacket packet = new IpPacket();
      assertEquals(WireStatus.OK, packet.wrap(buffer, 0, buffer.readableBytes()));
      return FlowKey.of(packet, BRANCH);
    } finally {
      buffer.release();
    }
  }

  // IPv4 header (20 bytes) 198.18.1.10 -> 198.18.20.5, protocol and lengths vary.
  private static String ipv4(String protocol, int totalLength, String flagsFragment) {
    return "4500" + String.format("%04x", totalLength) + "0001" + flagsFragment + "40" + protocol
        + "0000" + "c612010a" + "c6121405";
  }

  @Test
  void keysATcpSegmentByAddressesPortsTunnelAndVirtualNetwork() throws Exception {
    FlowKey key = keyOf(ipv4("06", 40, "4000") + "c350 0050 00000001 00000000 5002ffff 0000 0000");
    assertEquals(new FlowKey(Transport.TCP, InetAddress.getByName("198.18.1.10"), 50_000,
        InetAddress.getByName("198.18.20.5"), 80, "branch-1", 7), key);
  }

  @Test
  void keysAnIcmpEchoRequestByItsIdentifier() throws Exception {
    FlowKey key = keyOf(ipv4("01", 28, "0000") + "0800 0000 1234 0001");
    assertEquals(new FlowKey(Transport.ICMP, InetAddress.getByName("198.18.1.10"), 0x1234,
        InetAddress.getByName("198.18.20.5"), 0, "branch-1", 7), key);
  }

  @Test
  void makesNoKeyForPacketsThatStartNoFlow() {
    assertNull(keyOf(ipv4("01", 28, "0000") + "0000 0000 1234 0001"), "echo reply");
    assertNull(keyOf(ipv4("2f", 24, "0000") + "00000800"), "GRE is not proxied");
    assertNull(keyOf(ipv4("11", 28, "0001") + "c350 0035 0008 0000"), "non-first fragment");
  }

  @Test
  void keysAnIpv6DatagramToTheFinalDestination() throws Exception {
    // IPv6 2001:2::10 -> 2001:2::1, next header UDP, then UDP 40000 -> 53.
    String header = "60000000 0008 11 40" + "20010002000000000000000000000010" + "20010002000000000000000000000001";
    FlowKey key = keyOf(header + "9c40 0035 0008 0000");
    assertEquals(new FlowKey(Transport.UDP, InetAddress.getByName("2001:2::10"), 40_000,
        InetAddress.getByName("2001:2::1"), 53, "branch-1", 7), key);
  }

  @Test
  void sameTransportAndAddressesInAnotherVirtualNetworkIsAnotherFlow() throws Exception {
    InetAddress a = InetAddress.getByName("198.18.1.10");
    InetAddress b = InetAddress.getByName("198.18.20.5");
    FlowKey one = new FlowKey(Transport.UDP, a, 1, b, 2, "t", 1);
    FlowKey two = new FlowKey(Transport.UDP, a, 1, b, 2, "t", 2);
    assertNotEquals(one, two);
  }

  @Test
  void spreadsAFlowToTheSameWorkerEveryTime() throws Exception {
    FlowKey key = new FlowKey(Transport.TCP, InetAddress.getByName("198.18.1.10"), 1000,
        InetAddress.getByName("198.18.20.5"), 443, "t", 0);
    int worker = key.spread(4);
    for (int i = 0; i < 10; i++) {
      FlowKey again = new FlowKey(Transport.TCP, InetAddress.getByName("198.18.1.10"), 1000,
          InetAddress.getByName("198.18.20.5"), 443, "t", 0);
      assertEquals(worker, again.spread(4));
    }
    int[] perWorker = new int[4];
    for (int port = 0; port < 4000; port++) {
      perWorker[new FlowKey(Transport.TCP, key.source(), port, key.destination(), 443, "t", 0).spread(4)]++;
    }
    for (int count : perWorker) {
      assertEquals(1000, count, 250, "flows per worker " + java.util.Arrays.toString(perWorker));
    }
  }

  @Test
  void refusesMixedAddressFamilies() {
    assertThrows(IllegalArgumentException.class, () -> new FlowKey(Transport.TCP,
        InetAddress.getByName("198.18.1.10"), 1, InetAddress.getByName("2001:2::1"), 2, "t", 0));
  }
}
