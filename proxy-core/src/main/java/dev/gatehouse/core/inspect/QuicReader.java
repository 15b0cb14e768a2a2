package dev.gatehouse.core.inspect;

/**
 * A cursor over {@code bytes[at, end)} that reads QUIC's integers and never reads past
 * {@code end}: a read that would cross it returns -1 and leaves the cursor where it was.
 *
 * <pre>
 *  RFC 9000 §16, variable-length integer: the two high bits of the first byte give the
 *  encoded length, the rest is the value, big-endian.
 *  +------+--------+-------------+-----------------------+
 *  | 2MSB | Length | Usable Bits | Range                 |
 *  | 00   | 1      | 6           | 0-63                  |
 *  | 01   | 2      | 14          | 0-16383               |
 *  | 10   | 4      | 30          | 0-1073741823          |
 *  | 11   | 8      | 62          | 0-4611686018427387903 |
 *  +------+--------+-------------+-----------------------+
 * </pre>
 */
final class QuicReader {
  /** RFC 9000 §16: the largest value a variable-length integer holds, 2^62 - 1. */
  static final long MAX_VARINT = (1L << 62) - 1;

  private byte[] bytes;
  private int at;
  private int end;

  /** Points the cursor at {@code bytes[from, to)}. */
  void reset(byte[] source, int from, int to) {
    bytes = source;
    at = from;
    end = to;
  }

  int position() {
    return at;
  }

  int remaining() {
    return end - at;
  }

  /** The next byte, unsigned, or -1 at the end. */
  int u8() {
    return at < end ? bytes[at++] & 0xff : -1;
  }

  /** The next variable-length integer, or -1 when it does not fit before the end. */
  long varint() {
    if (at >= end) {
      return -1;
    }
    int length = 1 << ((bytes[at] & 0xff) >> 6);
    if (length > end - at) {
      return -1;
    }
    long value = bytes[at] & 0x3f;
    for (int i = 1; i < length; i++) {
      value = (value << 8) | (bytes[at + i] & 0xff);
    }
    at += length;
    return value;
  }

  /** Moves past {@code count} bytes; false (and no move) when fewer remain or count is negative. */
  boolean skip(long count) {
    if (count < 0 || count > end - at) {
      return false;
    }
    at += (int) count;
    return true;
  }
}
