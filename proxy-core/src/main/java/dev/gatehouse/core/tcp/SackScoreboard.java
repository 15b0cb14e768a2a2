package dev.gatehouse.core.tcp;

import dev.gatehouse.core.wire.TcpSegment;

/**
 * What the client told us it holds above SND.UNA through SACK blocks (RFC 2018 §3), as
 * sorted, disjoint ranges {@code [start, end)}. The sender skips these ranges when it
 * retransmits. Bounded: a block that does not fit is forgotten, which only costs a needless
 * retransmission.
 */
final class SackScoreboard {

  /** Our bound: 4 blocks per ACK (RFC 2018 §3) make more than a few ranges unusual. */
  static final int MAX_RANGES = 16;

  private final int[] starts = new int[MAX_RANGES];
  private final int[] ends = new int[MAX_RANGES];
  private final int[] scratchStarts = new int[MAX_RANGES + 1];
  private final int[] scratchEnds = new int[MAX_RANGES + 1];
  private int count;

  int rangeCount() {
    return count;
  }

  int start(int index) {
    return starts[index];
  }

  int end(int index) {
    return ends[index];
  }

  void clear() {
    count = 0;
  }

  /**
   * Adds the blocks of {@code segment} that lie within {@code (sndUna, sndMax]}; blocks
   * outside are ignored (RFC 2018 §3 does not trust them, neither do we).
   */
  void addBlocks(TcpSegment segment, int sndUna, int sndMax) {
    for (int i = 0; i < segment.sackBlockCount(); i++) {
      int left = segment.sackLeftEdge(i);
      int right = segment.sackRightEdge(i);
      if (SeqNum.lt(left, right) && SeqNum.gt(left, sndUna) && SeqNum.le(right, sndMax)) {
        add(left, right);
      }
    }
  }

  /** Forgets everything below the new SND.UNA. */
  void acknowledge(int sndUna) {
    int kept = 0;
    for (int i = 0; i < count; i++) {
      if (SeqNum.gt(ends[i], sndUna)) {
        starts[kept] = SeqNum.max(starts[i], sndUna);
        ends[kept] = ends[i];
        kept++;
      }
    }
    count = kept;
  }

  /** Where sending at {@code seq} should resume: past the SACKed range holding it, if any. */
  int skipSacked(int seq) {
    for (int i = 0; i < count; i++) {
      if (SeqNum.inWindow(seq, starts[i], ends[i])) {
        return ends[i];
      }
    }
    return seq;
  }

  /** Start of the first SACKed range after {@code seq}, or {@code limit} if none is earlier. */
  int nextSackedStart(int seq, int limit) {
    for (int i = 0; i < count; i++) {
      if (SeqNum.gt(starts[i], seq) && SeqNum.lt(starts[i], limit)) {
        return starts[i];
      }
    }
    return limit;
  }

  private void add(int left, int right) {
    // merge with every range it touches, keep the others in order
    int newStart = left;
    int newEnd = right;
    int kept = 0;
    boolean placed = false;
    for (int i = 0; i < count; i++) {
      if (SeqNum.lt(ends[i], newStart)) {
        scratchStarts[kept] = starts[i];
        scratchEnds[kept++] = ends[i];
      } else if (SeqNum.gt(starts[i], newEnd)) {
        if (!placed) {
          scratchStarts[kept] = newStart;
          scratchEnds[kept++] = newEnd;
          placed = true;
        }
        scratchStarts[kept] = starts[i];
        scratchEnds[kept++] = ends[i];
      } else {
        newStart = SeqNum.min(newStart, starts[i]);
        newEnd = SeqNum.max(newEnd, ends[i]);
      }
    }
    if (!placed) {
      scratchStarts[kept] = newStart;
      scratchEnds[kept++] = newEnd;
    }
    if (kept > MAX_RANGES) {
      return;
    }
    System.arraycopy(scratchStarts, 0, starts, 0, kept);
    System.arraycopy(scratchEnds, 0, ends, 0, kept);
    count = kept;
  }
}
