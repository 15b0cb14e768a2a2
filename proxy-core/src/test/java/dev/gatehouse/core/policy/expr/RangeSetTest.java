package dev.gatehouse.core.policy.expr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.config.IpPrefix;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The sorted-range sets agree with a plain scan, including merged and nested ranges. */
class RangeSetTest {

  @Test
  void mergesOverlappingAndAdjacentIntegerRanges() {
    IntRanges ranges = IntRanges.of(new long[] {80, 85, 91, 1000, 5}, new long[] {90, 87, 95, 1000, 5}, 5);

    assertEquals(3, ranges.rangeCount());
    assertTrue(ranges.contains(80) && ranges.contains(95) && ranges.contains(5) && ranges.contains(1000));
    assertFalse(ranges.contains(79) || ranges.contains(96) || ranges.contains(4) || ranges.contains(999));
  }

  @Test
  void agreesWithAScanForRandomPortSets() {
    Random random = new Random(42);
    for (int round = 0; round < 200; round++) {
      int count = 1 + random.nextInt(50);
      long[] starts = new long[count];
      long[] ends = new long[count];
      for (int i = 0; i < count; i++) {
        starts[i] = random.nextInt(65536);
        ends[i] = Math.min(65535, starts[i] + random.nextInt(random.nextBoolean() ? 3 : 2000));
      }
      IntRanges ranges = IntRanges.of(starts, ends, count);
      for (int probe = 0; probe < 200; probe++) {
        long port = random.nextInt(65536);
        boolean scanned = false;
        for (int i = 0; i < count; i++) {
          scanned |= port >= starts[i] && port <= ends[i];
        }
        assertEquals(scanned, ranges.contains(port), "port " + port);
      }
    }
  }

  @Test
  void agreesWithAScanForRandomPrefixSetsOfBothFamilies() throws UnknownHostException {
    Random random = new Random(7);
    for (int family : new int[] {4, 16}) {
      for (int round = 0; round < 100; round++) {
        int count = 1 + random.nextInt(40);
        byte[][] addresses = new byte[count][];
        int[] lengths = new int[count];
        IpPrefix[] prefixes = new IpPrefix[count];
        for (int i = 0; i < count; i++) {
          addresses[i] = nearby(random, family);
          lengths[i] = random.nextInt(family * 8 + 1);
          prefixes[i] = new IpPrefix(InetAddress.getByAddress(addresses[i]), lengths[i]);
        }
        AddressRanges ranges = AddressRanges.of(addresses, lengths, count);
        for (int probe = 0; probe < 100; probe++) {
          byte[] candidate = nearby(random, family);
          InetAddress address = InetAddress.getByAddress(candidate);
          boolean scanned = false;
          for (IpPrefix prefix : prefixes) {
            scanned |= prefix.contains(address);
          }
          assertEquals(scanned, ranges.contains(candidate), address.toString());
        }
      }
    }
  }

  /** Addresses sharing a prefix, so that random prefixes overlap and probes land inside. */
  private static byte[] nearby(Random random, int length) {
    byte[] bytes = new byte[length];
    bytes[0] = (byte) 198;
    bytes[1] = (byte) (18 + random.nextInt(2));
    for (int i = 2; i < length; i++) {
      bytes[i] = (byte) (random.nextInt(4) == 0 ? random.nextInt(256) : random.nextInt(3));
    }
    return bytes;
  }
}
