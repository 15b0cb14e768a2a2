package dev.gatehouse.ingress.wireguard.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.config.IpPrefix;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.util.NetUtil;
import java.lang.management.ManagementFactory;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Cryptokey routing's table (WireGuard whitepaper §2): longest prefix match, one owner per prefix. */
class AllowedIpsTest {
  /**
   * An IPv4 header, 198.18.51.2 to 198.18.52.9, ICMP, after four bytes of something else, so
   * that the addresses sit at offsets 16 and 20 of the buffer.
   */
  private static final String IPV4_PACKET_AT_4 = "deadbeef"
      + "45000054" + "12344000" + "4001" + "0000" + "c6123302" + "c6123409";
  /** An IPv6 header, 2001:2:0:51::2 to 2001:2:0:52::9, ICMPv6, at offset 0. */
  private static final String IPV6_PACKET = "60000000" + "0008" + "3a" + "40"
      + "20010002000000510000000000000002" + "20010002000000520000000000000009";

  private final AllowedIps<String> table = new AllowedIps<>();

  private static IpPrefix prefix(String text) {
    return IpPrefix.parse(text).orElseThrow();
  }

  private static InetAddress address(String text) {
    return NetUtil.createInetAddressFromIpAddressString(text);
  }

  @Test
  void findsThePeerOfAnIpv4PacketsAddressesInTheBuffer() {
    table.put(prefix("198.18.51.0/24"), "site-a");
    table.put(prefix("198.18.52.0/24"), "site-b");
    ByteBuf packet = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(IPV4_PACKET_AT_4));
    try {
      packet.readerIndex(4);

      assertEquals("site-a", table.lookupV4(packet, 4 + 12));
      assertEquals("site-b", table.lookupV4(packet, 4 + 16));
      assertEquals(4, packet.readerIndex());
    } finally {
      packet.release();
    }
  }

  @Test
  void findsThePeerOfAnIpv6PacketsAddressesInTheBuffer() {
    table.put(prefix("2001:2:0:51::/64"), "site-a");
    table.put(prefix("2001:2:0:52::/64"), "site-b");
    ByteBuf packet = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(IPV6_PACKET));
    try {
      assertEquals("site-a", table.lookupV6(packet, 8));
      assertEquals("site-b", table.lookupV6(packet, 24));
    } finally {
      packet.release();
    }
  }

  @Test
  void longestIpv4PrefixWins() {
    table.put(prefix("198.18.0.0/15"), "wide");
    table.put(prefix("198.18.51.0/24"), "subnet");
    table.put(prefix("198.18.51.128/25"), "half");
    table.put(prefix("198.18.51.200/32"), "host");

    assertEquals("host", table.lookup(address("198.18.51.200")));
    assertEquals("half", table.lookup(address("198.18.51.201")));
    assertEquals("subnet", table.lookup(address("198.18.51.127")));
    assertEquals("wide", table.lookup(address("198.19.255.255")));
    assertNull(table.lookup(address("198.20.0.0")));
  }

  @Test
  void longestIpv6PrefixWinsAcrossTheMiddleOfTheAddress() {
    // /63, /64 and /65 meet where the key's two longs meet.
    table.put(prefix("2001:2::/48"), "wide");
    table.put(prefix("2001:2:0:50::/63"), "63");
    table.put(prefix("2001:2:0:51::/64"), "64");
    table.put(prefix("2001:2:0:51:8000::/65"), "65");
    table.put(prefix("2001:2:0:51:8000::1/128"), "host");

    assertEquals("host", table.lookup(address("2001:2:0:51:8000::1")));
    assertEquals("65", table.lookup(address("2001:2:0:51:8000::2")));
    assertEquals("64", table.lookup(address("2001:2:0:51:7fff::")));
    assertEquals("63", table.lookup(address("2001:2:0:50:ffff::")));
    assertEquals("wide", table.lookup(address("2001:2:0:52::1")));
    assertNull(table.lookup(address("2001:3::1")));
  }

  @Test
  void defaultRoutesMatchEveryAddressOfTheirFamilyOnly() {
    table.put(prefix("0.0.0.0/0"), "v4-default");

    assertEquals("v4-default", table.lookup(address("198.18.51.1")));
    assertEquals("v4-default", table.lookup(address("255.255.255.255")));
    assertNull(table.lookup(address("2001:2::1")));

    table.put(prefix("::/0"), "v6-default");
    table.put(prefix("198.18.51.1/32"), "host");

    assertEquals("v6-default", table.lookup(address("2001:2::1")));
    assertEquals("v6-default", table.lookup(address("::")));
    assertEquals("host", table.lookup(address("198.18.51.1")));
    assertEquals("v4-default", table.lookup(address("0.0.0.0")));
  }

  @Test
  void masksTheBitsPastThePrefixLength() {
    table.put(prefix("198.18.51.77/24"), "a");
    table.put(prefix("2001:2:0:51::77/64"), "a");

    assertEquals(List.of(prefix("198.18.51.0/24"), prefix("2001:2:0:51::/64")), table.prefixesOf("a"));
    assertEquals("a", table.lookup(address("198.18.51.1")));
    assertEquals("a", table.remove(prefix("198.18.51.200/24")));
    assertNull(table.lookup(address("198.18.51.1")));
  }

  @Test
  void givingAPrefixToAnotherPeerMovesIt() {
    assertNull(table.put(prefix("198.18.51.0/24"), "a"));
    table.put(prefix("198.18.52.0/24"), "a");

    assertEquals("a", table.put(prefix("198.18.51.9/24"), "b"));

    assertEquals("b", table.lookup(address("198.18.51.1")));
    assertEquals(List.of(prefix("198.18.52.0/24")), table.prefixesOf("a"));
    assertEquals(List.of(prefix("198.18.51.0/24")), table.prefixesOf("b"));
    assertEquals(2, table.size());
  }

  @Test
  void removesOnlyTheExactPrefix() {
    table.put(prefix("198.18.0.0/16"), "wide");
    table.put(prefix("198.18.51.0/24"), "subnet");
    table.put(prefix("198.18.51.1/32"), "host");

    assertNull(table.remove(prefix("198.18.51.0/25")));
    assertEquals("subnet", table.remove(prefix("198.18.51.0/24")));
    assertNull(table.remove(prefix("198.18.51.0/24")));

    assertEquals("host", table.lookup(address("198.18.51.1")));
    assertEquals("wide", table.lookup(address("198.18.51.2")));
    assertEquals(2, table.size());
  }

  @Test
  void removingAPeerLeavesTheOthersAndCompactsTheTrie() {
    table.put(prefix("198.18.51.0/24"), "a");
    table.put(prefix("198.18.51.128/25"), "b");
    table.put(prefix("2001:2:0:51::/64"), "a");
    table.put(prefix("0.0.0.0/0"), "a");
    table.put(prefix("2001:2:0:52::/64"), "b");

    assertEquals(3, table.removePeer("a"));

    assertEquals(List.of(), table.prefixesOf("a"));
    assertEquals("b", table.lookup(address("198.18.51.200")));
    assertNull(table.lookup(address("198.18.51.1")));
    assertNull(table.lookup(address("2001:2:0:51::1")));
    assertEquals("b", table.lookup(address("2001:2:0:52::1")));
    assertEquals(2, table.size());
    // what is left is two lone prefixes: no branch point outlives the prefixes it parted
    assertEquals(2, table.nodeCount());

    assertEquals(2, table.removePeer("b"));
    assertEquals(0, table.nodeCount());
    assertEquals(0, table.removePeer("b"));
  }

  @Test
  void removingEveryPrefixOneByOneLeavesNoNode() {
    List<IpPrefix> prefixes = List.of(prefix("198.18.51.0/24"), prefix("198.18.50.0/24"),
        prefix("198.18.0.0/15"), prefix("2001:2::/48"), prefix("2001:2:0:51::/64"),
        prefix("2001:2:0:51::1/128"));
    for (IpPrefix p : prefixes) {
      table.put(p, "a");
    }

    for (IpPrefix p : prefixes) {
      assertEquals("a", table.remove(p));
    }

    assertEquals(0, table.size());
    assertEquals(0, table.nodeCount());
  }

  @Test
  void keepsAnIpv4MappedPrefixAnIpv6One() throws Exception {
    // Inet6Address, since InetAddress and Netty turn ::ffff:0:0 into 0.0.0.0
    byte[] bytes = ByteBufUtil.decodeHexDump("00000000000000000000ffff00000000");
    IpPrefix mapped = new IpPrefix(Inet6Address.getByAddress(null, bytes, -1), 96);
    table.put(mapped, "a");

    assertEquals(96, table.prefixesOf("a").getFirst().length());
    assertNull(table.lookup(address("198.18.51.1")));
  }

  @Test
  void lookingUpAllocatesNothing() {
    table.put(prefix("198.18.0.0/15"), "wide");
    table.put(prefix("198.18.51.0/24"), "subnet");
    table.put(prefix("2001:2:0:51::/64"), "v6");
    ByteBuf v4 = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(IPV4_PACKET_AT_4));
    ByteBuf v6 = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(IPV6_PACKET));
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    try {
      int found = 0;
      for (int i = 0; i < 100_000; i++) { // warm up, so that no class loading is counted
        found += table.lookupV4(v4, 16) != null && table.lookupV6(v6, 8) != null ? 1 : 0;
      }
      long before = threads.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < 100_000; i++) {
        found += table.lookupV4(v4, 16) != null && table.lookupV6(v6, 8) != null ? 1 : 0;
      }
      long allocated = threads.getCurrentThreadAllocatedBytes() - before;

      assertEquals(200_000, found);
      // 200,000 lookups: a single object per lookup would be megabytes
      assertTrue(allocated < 4096, allocated + " bytes allocated");
    } finally {
      v4.release();
      v6.release();
    }
  }

  @Test
  void agreesWithALinearScanOverRandomUpdates() {
    for (long seed = 1; seed <= 20; seed++) {
      crossCheck(new Random(seed), seed);
    }
  }

  /**
   * Random puts, removes and peer removals, checked after each step against a map scanned
   * linearly. Prefixes are drawn near a few bases, so that they nest and part often.
   */
  private static void crossCheck(Random random, long seed) {
    AllowedIps<String> trie = new AllowedIps<>();
    Map<IpPrefix, String> model = new HashMap<>();
    List<IpPrefix> drawn = new ArrayList<>();
    for (int step = 0; step < 400; step++) {
      int action = random.nextInt(10);
      if (action < 6 || drawn.isEmpty()) {
        IpPrefix p = randomPrefix(random);
        String peer = "peer" + random.nextInt(6);
        assertEquals(model.put(masked(p), peer), trie.put(p, peer), "seed " + seed + " put " + p);
        drawn.add(p);
      } else if (action < 9) {
        IpPrefix p = drawn.get(random.nextInt(drawn.size()));
        assertEquals(model.remove(masked(p)), trie.remove(p), "seed " + seed + " remove " + p);
      } else {
        String peer = "peer" + random.nextInt(6);
        int removed = (int) model.values().stream().filter(peer::equals).count();
        model.values().removeIf(peer::equals);
        assertEquals(removed, trie.removePeer(peer), "seed " + seed + " removePeer " + peer);
      }
      assertEquals(model.size(), trie.size(), "seed " + seed);
      for (int probe = 0; probe < 20; probe++) {
        InetAddress a = randomPrefix(random).address();
        assertEquals(linearLookup(model, a), trie.lookup(a), "seed " + seed + " step " + step + " " + a);
      }
    }
    for (int peer = 0; peer < 6; peer++) {
      String name = "peer" + peer;
      List<IpPrefix> expected = model.entrySet().stream().filter(e -> e.getValue().equals(name))
          .map(Map.Entry::getKey).toList();
      List<IpPrefix> listed = trie.prefixesOf(name);
      assertEquals(expected.size(), listed.size(), "seed " + seed);
      assertTrue(listed.containsAll(expected), "seed " + seed + ": " + listed + " vs " + expected);
    }
  }

  private static IpPrefix randomPrefix(Random random) {
    boolean ipv4 = random.nextBoolean();
    byte[] bytes = ipv4
        ? new byte[] {(byte) 198, (byte) 18, 0, 0}
        : ByteBufUtil.decodeHexDump("20010002000000000000000000000000");
    // vary the low bits of a few bytes, so that prefixes share long paths
    int from = ipv4 ? 1 : 5;
    for (int i = from; i < bytes.length; i++) {
      if (random.nextInt(3) == 0) {
        bytes[i] ^= (byte) (1 << random.nextInt(8));
      }
    }
    int bits = bytes.length * 8;
    int length = random.nextInt(8) == 0 ? random.nextInt(3) : random.nextInt(bits + 1);
    try {
      return new IpPrefix(InetAddress.getByAddress(bytes), length);
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  private static IpPrefix masked(IpPrefix p) {
    byte[] bytes = p.address().getAddress();
    for (int bit = p.length(); bit < bytes.length * 8; bit++) {
      bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
    }
    try {
      return new IpPrefix(InetAddress.getByAddress(bytes), p.length());
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  private static String linearLookup(Map<IpPrefix, String> model, InetAddress address) {
    IpPrefix best = null;
    for (IpPrefix p : model.keySet()) {
      if (p.contains(address) && (best == null || p.length() > best.length())) {
        best = p;
      }
    }
    return best == null ? null : model.get(best);
  }
}
