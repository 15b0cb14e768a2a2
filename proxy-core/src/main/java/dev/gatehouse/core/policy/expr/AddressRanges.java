package dev.gatehouse.core.policy.expr;

import java.util.Arrays;

/**
 * A set of addresses of one family kept as sorted, disjoint, inclusive ranges of 128-bit
 * keys (an IPv4 address is a key below 2^32), so that membership is a binary search however
 * many CIDRs the set holds.
 */
final class AddressRanges {
  private static final AddressRanges EMPTY = new AddressRanges(new long[0], new long[0], new long[0],
      new long[0]);

  private final long[] startHi;
  private final long[] startLo;
  private final long[] endHi;
  private final long[] endLo;

  private AddressRanges(long[] startHi, long[] startLo, long[] endHi, long[] endLo) {
    this.startHi = startHi;
    this.startLo = startLo;
    this.endHi = endHi;
    this.endLo = endLo;
  }

  /**
   * Builds the set from prefixes of one family ({@code addresses[i]/lengths[i]}); host bits
   * beyond the prefix are ignored.
   */
  static AddressRanges of(byte[][] addresses, int[] lengths, int count) {
    if (count == 0) {
      return EMPTY;
    }
    long[][] ranges = new long[count][];
    for (int i = 0; i < count; i++) {
      ranges[i] = range(addresses[i], lengths[i]);
    }
    Arrays.sort(ranges, (a, b) -> compare(a[0], a[1], b[0], b[1]));

    long[] sHi = new long[count];
    long[] sLo = new long[count];
    long[] eHi = new long[count];
    long[] eLo = new long[count];
    int merged = 0;
    for (long[] r : ranges) {
      if (merged > 0 && compare(r[0], r[1], eHi[merged - 1], eLo[merged - 1]) <= 0) {
        if (compare(r[2], r[3], eHi[merged - 1], eLo[merged - 1]) > 0) {
          eHi[merged - 1] = r[2];
          eLo[merged - 1] = r[3];
        }
      } else {
        sHi[merged] = r[0];
        sLo[merged] = r[1];
        eHi[merged] = r[2];
        eLo[merged] = r[3];
        merged++;
      }
    }
    return new AddressRanges(Arrays.copyOf(sHi, merged), Arrays.copyOf(sLo, merged),
        Arrays.copyOf(eHi, merged), Arrays.copyOf(eLo, merged));
  }

  /** Whether {@code address} (4 or 16 bytes, of this set's family) lies in the set. */
  boolean contains(byte[] address) {
    long hi = high(address);
    long lo = low(address);

    // the last range starting at or before the address is the only candidate
    int low = 0;
    int high = startHi.length - 1;
    int candidate = -1;
    while (low <= high) {
      int mid = (low + high) >>> 1;
      if (compare(startHi[mid], startLo[mid], hi, lo) <= 0) {
        candidate = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    return candidate >= 0 && compare(hi, lo, endHi[candidate], endLo[candidate]) <= 0;
  }

  private static long[] range(byte[] address, int length) {
    int bits = address.length * 8;
    long hi = high(address);
    long lo = low(address);
    // the key is right-aligned: an IPv4 prefix of length n covers the low 32 bits
    int hostBits = bits - length;
    long maskHi = hostBits >= 128 ? -1L : hostBits > 64 ? (1L << (hostBits - 64)) - 1 : 0;
    long maskLo = hostBits >= 64 ? -1L : (1L << hostBits) - 1;
    return new long[] {hi & ~maskHi, lo & ~maskLo, hi | maskHi, lo | maskLo};
  }

  private static long high(byte[] address) {
    return address.length == 16 ? readLong(address, 0) : 0;
  }

  private static long low(byte[] address) {
    if (address.length == 16) {
      return readLong(address, 8);
    }
    long value = 0;
    for (byte b : address) {
      value = (value << 8) | (b & 0xff);
    }
    return value;
  }

  private static long readLong(byte[] bytes, int offset) {
    long value = 0;
    for (int i = offset; i < offset + 8; i++) {
      value = (value << 8) | (bytes[i] & 0xff);
    }
    return value;
  }

  private static int compare(long hi1, long lo1, long hi2, long lo2) {
    int byHigh = Long.compareUnsigned(hi1, hi2);
    return byHigh != 0 ? byHigh : Long.compareUnsigned(lo1, lo2);
  }
}
