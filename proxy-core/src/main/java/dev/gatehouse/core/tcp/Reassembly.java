package dev.gatehouse.core.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Client bytes that arrived above RCV.NXT, kept until the hole below them is filled
 * (RFC 9293 §3.10.7.4, seventh: "segments ... may be held for later processing"). A ring of
 * {@code capacityBytes}, allocated on the first out-of-order segment, holds the bytes at their
 * offset from RCV.NXT; sorted disjoint ranges {@code [start, end)} say which are present, and
 * are also the SACK blocks we report (RFC 2018 §4). The connection only offers bytes inside
 * its advertised window, which never exceeds the capacity.
 */
final class Reassembly {

  /** Our bound on holes; a segment that would need more is dropped and retransmitted later. */
  static final int MAX_RANGES = 32;

  private final ByteBufAllocator allocator;
  private final int capacityBytes;
  private final int[] starts = new int[MAX_RANGES];
  private final int[] ends = new int[MAX_RANGES];
  private int count;
  private ByteBuf ring;
  /** Sequence number at ring index {@link #baseIndex}; RCV.NXT while ranges exist. */
  private int baseSeq;
  private int baseIndex;
  private int lastInsertedSeq;

  Reassembly(ByteBufAllocator allocator, int capacityBytes) {
    this.allocator = allocator;
    this.capacityBytes = capacityBytes;
  }

  boolean isEmpty() {
    return count == 0;
  }

  int rangeCount() {
    return count;
  }

  int start(int index) {
    return starts[index];
  }

  int end(int index) {
    return ends[index];
  }

  /** Index of the range holding the most recently inserted byte (RFC 2018 §4: first block). */
  int mostRecentRange() {
    for (int i = 0; i < count; i++) {
      if (SeqNum.inWindow(lastInsertedSeq, starts[i], ends[i])) {
        return i;
      }
    }
    return 0;
  }

  /**
   * Keeps {@code length} bytes of {@code source} at {@code sourceIndex} as sequence numbers
   * from {@code seq}, with {@code rcvNxt <= seq} and the end within the capacity from
   * {@code rcvNxt}. Returns false, keeping nothing, if that would need too many ranges.
   */
  boolean insert(int rcvNxt, int seq, ByteBuf source, int sourceIndex, int length) {
    if (count == 0) {
      baseSeq = rcvNxt;
      baseIndex = 0;
    }
    if (!addRange(seq, seq + length)) {
      return false;
    }
    if (ring == null) {
      ring = allocator.buffer(capacityBytes, capacityBytes);
    }
    int index = ringIndex(seq);
    int firstPart = Math.min(length, capacityBytes - index);
    ring.setBytes(index, source, sourceIndex, firstPart);
    if (firstPart < length) {
      ring.setBytes(0, source, sourceIndex + firstPart, length - firstPart);
    }
    lastInsertedSeq = seq;
    return true;
  }

  /** Bytes ready at {@code rcvNxt}: the first range, if it starts there. */
  int readableAt(int rcvNxt) {
    return count > 0 && starts[0] == rcvNxt ? ends[0] - rcvNxt : 0;
  }

  /** Removes {@code length} bytes from RCV.NXT (see {@link #readableAt}) into a new buffer. */
  ByteBuf take(int length) {
    ByteBuf out = allocator.buffer(length);
    int firstPart = Math.min(length, capacityBytes - baseIndex);
    out.writeBytes(ring, baseIndex, firstPart);
    if (firstPart < length) {
      out.writeBytes(ring, 0, length - firstPart);
    }
    baseSeq += length;
    baseIndex = (baseIndex + length) % capacityBytes;
    starts[0] = baseSeq;
    if (starts[0] == ends[0]) {
      count--;
      System.arraycopy(starts, 1, starts, 0, count);
      System.arraycopy(ends, 1, ends, 0, count);
    }
    return out;
  }

  void release() {
    count = 0;
    if (ring != null) {
      ring.release();
      ring = null;
    }
  }

  private int ringIndex(int seq) {
    return (baseIndex + (seq - baseSeq)) % capacityBytes;
  }

  private boolean addRange(int left, int right) {
    int first = 0;
    while (first < count && SeqNum.lt(ends[first], left)) {
      first++;
    }
    int last = first;
    int newStart = left;
    int newEnd = right;
    while (last < count && SeqNum.le(starts[last], newEnd)) {
      newStart = SeqNum.min(newStart, starts[last]);
      newEnd = SeqNum.max(newEnd, ends[last]);
      last++;
    }
    int merged = last - first;
    if (merged == 0 && count == MAX_RANGES) {
      return false;
    }
    // ranges [first, last) collapse into one at first
    int shift = 1 - merged;
    System.arraycopy(starts, last, starts, last + shift, count - last);
    System.arraycopy(ends, last, ends, last + shift, count - last);
    starts[first] = newStart;
    ends[first] = newEnd;
    count += shift;
    return true;
  }
}
