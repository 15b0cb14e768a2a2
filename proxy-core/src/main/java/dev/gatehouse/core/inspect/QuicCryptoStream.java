package dev.gatehouse.core.inspect;

import java.util.Arrays;
import java.util.BitSet;

/**
 * The Initial CRYPTO stream put back together from CRYPTO frames, which may arrive out of
 * order, overlap, and span packets and datagrams (RFC 9000 §19.6 and §7.5: "CRYPTO frames
 * ... can be received out of order"; clients such as Chrome shuffle them on purpose). Only
 * the first {@code maxBytes} of the stream are kept; the array grows as data arrives.
 *
 * <p>Overlapping data is written again: RFC 9000 §2.2 has data at a given offset never
 * change, and a client that changes it only changes what it itself is matched on.
 */
final class QuicCryptoStream {
  /** Chosen: a typical ClientHello without post-quantum key shares fits. */
  private static final int INITIAL_CAPACITY_BYTES = 2048;

  private final int maxBytes;
  private final BitSet received = new BitSet();
  private byte[] data = new byte[0];

  QuicCryptoStream(int maxBytes) {
    this.maxBytes = maxBytes;
  }

  /**
   * Takes the frame data {@code source[from, from + length)} at stream {@code offset};
   * whatever lies at or beyond {@code maxBytes} is dropped.
   */
  void add(long offset, byte[] source, int from, int length) {
    if (offset >= maxBytes || length == 0) {
      return;
    }
    int at = (int) offset;
    int take = (int) Math.min(length, maxBytes - offset);
    if (at + take > data.length) {
      int grown = Math.max(at + take, Math.max(INITIAL_CAPACITY_BYTES, 2 * data.length));
      data = Arrays.copyOf(data, Math.min(grown, maxBytes));
    }
    System.arraycopy(source, from, data, at, take);
    received.set(at, at + take);
  }

  /** How many bytes from the start of the stream have all arrived. */
  int contiguousBytes() {
    return received.nextClearBit(0);
  }

  /** The stream's bytes; valid up to {@link #contiguousBytes()}. */
  byte[] data() {
    return data;
  }
}
