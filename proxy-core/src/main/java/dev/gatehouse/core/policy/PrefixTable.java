package dev.gatehouse.core.policy;

/**
 * Rule ids filed under address prefixes of one length: an open-addressing table keyed by
 * the masked address as two longs (an IPv4 address is the low 32 bits of {@code lo}), so
 * that a lookup is one hash probe sequence and allocates nothing. Built once, then read-only
 * and safe from any thread.
 */
final class PrefixTable {
  private final long[] keyHi;
  private final long[] keyLo;
  private final int[][] values;
  private final int mask;

  private PrefixTable(long[] keyHi, long[] keyLo, int[][] values) {
    this.keyHi = keyHi;
    this.keyLo = keyLo;
    this.values = values;
    this.mask = values.length - 1;
  }

  /** Builds the table from parallel arrays of keys and their rule ids (ascending). */
  static PrefixTable of(long[] hi, long[] lo, int[][] ids, int count) {
    int capacity = Integer.highestOneBit(Math.max(4, count * 2 - 1)) << 1;
    long[] keyHi = new long[capacity];
    long[] keyLo = new long[capacity];
    int[][] values = new int[capacity][];
    for (int i = 0; i < count; i++) {
      int slot = hash(hi[i], lo[i]) & (capacity - 1);
      while (values[slot] != null) {
        slot = (slot + 1) & (capacity - 1);
      }
      keyHi[slot] = hi[i];
      keyLo[slot] = lo[i];
      values[slot] = ids[i];
    }
    return new PrefixTable(keyHi, keyLo, values);
  }

  /** The rule ids filed under exactly this masked address, or null. */
  int[] get(long hi, long lo) {
    int slot = hash(hi, lo) & mask;
    while (values[slot] != null) {
      if (keyHi[slot] == hi && keyLo[slot] == lo) {
        return values[slot];
      }
      slot = (slot + 1) & mask;
    }
    return null;
  }

  private static int hash(long hi, long lo) {
    long h = hi * 0x9E3779B97F4A7C15L ^ lo;
    h *= 0xC2B2AE3D27D4EB4FL;
    return (int) (h ^ (h >>> 31));
  }
}
