package dev.gatehouse.core.policy.expr;

import java.util.Arrays;
import java.util.function.LongConsumer;

/**
 * A set of non-negative integers kept as sorted, disjoint, inclusive ranges, so that a port
 * set of thousands of values is a binary search, not a scan.
 */
final class IntRanges {
  private final long[] starts;
  private final long[] ends;

  private IntRanges(long[] starts, long[] ends) {
    this.starts = starts;
    this.ends = ends;
  }

  /** Builds the set from {@code count} inclusive ranges, in any order, overlaps allowed. */
  static IntRanges of(long[] rangeStarts, long[] rangeEnds, int count) {
    long[][] pairs = new long[count][];
    for (int i = 0; i < count; i++) {
      pairs[i] = new long[] {rangeStarts[i], rangeEnds[i]};
    }
    Arrays.sort(pairs, (a, b) -> Long.compare(a[0], b[0]));

    long[] starts = new long[count];
    long[] ends = new long[count];
    int merged = 0;
    for (long[] pair : pairs) {
      // adjacent ranges merge too: {80..90 91} is one range
      if (merged > 0 && pair[0] <= ends[merged - 1] + 1) {
        ends[merged - 1] = Math.max(ends[merged - 1], pair[1]);
      } else {
        starts[merged] = pair[0];
        ends[merged] = pair[1];
        merged++;
      }
    }
    return new IntRanges(Arrays.copyOf(starts, merged), Arrays.copyOf(ends, merged));
  }

  /** The values {@code low..high}; empty when {@code high < low}. */
  static IntRanges between(long low, long high) {
    return high < low ? of(new long[0], new long[0], 0) : of(new long[] {low}, new long[] {high}, 1);
  }

  /** The values in this set or in {@code other}. */
  IntRanges union(IntRanges other) {
    int count = starts.length + other.starts.length;
    long[] allStarts = Arrays.copyOf(starts, count);
    long[] allEnds = Arrays.copyOf(ends, count);
    System.arraycopy(other.starts, 0, allStarts, starts.length, other.starts.length);
    System.arraycopy(other.ends, 0, allEnds, ends.length, other.ends.length);
    return of(allStarts, allEnds, count);
  }

  /** How many values the set holds. */
  long valueCount() {
    long total = 0;
    for (int i = 0; i < starts.length; i++) {
      total += ends[i] - starts[i] + 1;
    }
    return total;
  }

  /** Hands every value in the set to {@code action}, in ascending order. */
  void forEach(LongConsumer action) {
    for (int i = 0; i < starts.length; i++) {
      for (long value = starts[i]; value <= ends[i]; value++) {
        action.accept(value);
      }
    }
  }

  boolean contains(long value) {
    int index = Arrays.binarySearch(starts, value);
    if (index >= 0) {
      return true;
    }
    int before = -index - 2;
    return before >= 0 && value <= ends[before];
  }

  /** The number of disjoint ranges after merging. */
  int rangeCount() {
    return starts.length;
  }
}
