package dev.gatehouse.core.wire;

import io.netty.buffer.ByteBuf;

/**
 * The Internet checksum (RFC 1071) over buffer ranges, the pseudo-header sums that TCP, UDP
 * and ICMPv6 add to it, and its incremental update after a field changes (RFC 1624).
 *
 * <p>A <em>sum</em> here is a 16-bit one's complement sum, already folded (end-around carry
 * added back), in {@code [0, 0xFFFF]}; sums of adjacent ranges combine with {@link #add}.
 * A <em>checksum</em> is the one's complement of a sum, as it travels in a header. Ranges
 * that are summed separately must each start at an even distance from the start of the
 * checksummed data; only the last may have an odd length (it is padded with zero).
 */
public final class Checksums {

  /** RFC 768 / RFC 9293 §3.1: the IPv4 pseudo-header is 12 bytes. */
  public static final int IPV4_PSEUDO_HEADER_LENGTH_BYTES = 12;

  /** RFC 8200 §8.1: the IPv6 pseudo-header is 40 bytes. */
  public static final int IPV6_PSEUDO_HEADER_LENGTH_BYTES = 40;

  private static final int IPV6_ADDRESS_LENGTH_BYTES = 16;

  private Checksums() {}

  /**
   * Sums {@code lengthBytes} bytes from {@code index} as big-endian 16-bit words, padding an
   * odd last byte with zero (RFC 768, RFC 9293 §3.1).
   */
  public static int sum(ByteBuf buffer, int index, int lengthBytes) {
    long sum = 0;
    int at = index;
    int end = index + lengthBytes;

    // 2^32 ≡ 1 (mod 0xFFFF), so adding 32-bit words and folding later is the same sum
    // (RFC 1071 §2 (C), parallel summation).
    while (at + 4 <= end) {
      sum += buffer.getUnsignedInt(at);
      at += 4;
    }
    if (at + 2 <= end) {
      sum += buffer.getUnsignedShort(at);
      at += 2;
    }
    if (at < end) {
      sum += buffer.getUnsignedByte(at) << 8;
    }
    return fold(sum);
  }

  /**
   * Sums a range that contains a 16-bit checksum field, counting that field as zero, as a
   * sender does (RFC 1071 §1 step 1). {@code checksumIndex} must lie at an even distance
   * from {@code index}.
   */
  public static int sumWithoutChecksumField(
      ByteBuf buffer, int index, int lengthBytes, int checksumIndex) {
    int afterIndex = checksumIndex + 2;
    int before = sum(buffer, index, checksumIndex - index);
    int after = sum(buffer, afterIndex, index + lengthBytes - afterIndex);
    return add(before, after);
  }

  /**
   * The checksum a sender writes into a range that contains its checksum field: the
   * complement of {@code initialSum} (a pseudo-header sum, or 0) plus the range's sum with
   * that field counted as zero (RFC 1071 §1 steps 1 and 2). What every view's
   * {@code computeChecksum} does over its own range.
   */
  static int compute(
      ByteBuf buffer, int index, int lengthBytes, int checksumIndex, int initialSum) {
    int rangeSum = sumWithoutChecksumField(buffer, index, lengthBytes, checksumIndex);
    return complement(add(initialSum, rangeSum));
  }

  /** Adds two sums with end-around carry. */
  public static int add(int sum, int otherSum) {
    return fold((long) sum + otherSum);
  }

  /** Folds any non-negative accumulator to a 16-bit one's complement sum. */
  public static int fold(long accumulator) {
    long sum = accumulator;
    while ((sum >>> 16) != 0) {
      sum = (sum & 0xFFFF) + (sum >>> 16);
    }
    return (int) sum;
  }

  /** The checksum that goes on the wire for data whose sum is {@code sum}. */
  public static int complement(int sum) {
    return ~sum & 0xFFFF;
  }

  /** The Internet checksum of a range (RFC 1071). */
  public static int checksum(ByteBuf buffer, int index, int lengthBytes) {
    return complement(sum(buffer, index, lengthBytes));
  }

  /**
   * Whether a range that includes its checksum field verifies: its sum, plus
   * {@code initialSum} (a pseudo-header sum, or 0), is all ones (RFC 1071 §1 step 3).
   */
  public static boolean verifies(ByteBuf buffer, int index, int lengthBytes, int initialSum) {
    return add(initialSum, sum(buffer, index, lengthBytes)) == 0xFFFF;
  }

  /** {@link #verifies} as a view reports it: {@code OK}, else {@code BAD_CHECKSUM}. */
  static WireStatus verify(ByteBuf buffer, int index, int lengthBytes, int initialSum) {
    return verifies(buffer, index, lengthBytes, initialSum)
        ? WireStatus.OK
        : WireStatus.BAD_CHECKSUM;
  }

  /**
   * The sum of the IPv4 pseudo-header for TCP (RFC 9293 §3.1) and UDP (RFC 768): source and
   * destination address, a zero byte, the protocol, and the upper-layer length.
   */
  public static int ipv4PseudoHeaderSum(
      int sourceAddress, int destinationAddress, int protocol, int upperLayerLengthBytes) {
    long sum = (sourceAddress >>> 16) + (sourceAddress & 0xFFFF)
        + (destinationAddress >>> 16) + (destinationAddress & 0xFFFF)
        + protocol
        + upperLayerLengthBytes;
    return fold(sum);
  }

  /**
   * The sum of the IPv6 pseudo-header (RFC 8200 §8.1) for TCP, UDP and ICMPv6: source and
   * destination address read from the buffer, the 32-bit upper-layer packet length, three
   * zero bytes and the next header value of the upper-layer protocol.
   */
  public static int ipv6PseudoHeaderSum(
      ByteBuf buffer,
      int sourceAddressIndex,
      int destinationAddressIndex,
      int nextHeader,
      long upperLayerLengthBytes) {
    long sum = sum(buffer, sourceAddressIndex, IPV6_ADDRESS_LENGTH_BYTES)
        + sum(buffer, destinationAddressIndex, IPV6_ADDRESS_LENGTH_BYTES)
        + (upperLayerLengthBytes >>> 16) + (upperLayerLengthBytes & 0xFFFF)
        + nextHeader;
    return fold(sum);
  }

  /**
   * The checksum after one 16-bit word of the covered data changed from {@code oldWord} to
   * {@code newWord}: RFC 1624 eqn. 3, {@code HC' = ~(~HC + ~m + m')}. Unlike eqn. 2 it never
   * turns a checksum of data that is not all zero into 0xFFFF (RFC 1624 §3), so the result
   * equals a full recompute. The one exception is data that becomes all zero: a recompute
   * gives 0xFFFF, this gives 0x0000. Every header the views checksum has a non-zero
   * version, protocol or type, except an ICMPv4 Echo Reply with nothing but zeros.
   */
  public static int update16(int checksum, int oldWord, int newWord) {
    return updateSum(checksum, oldWord & 0xFFFF, newWord & 0xFFFF);
  }

  /** {@link #update16} for a 32-bit field (an IPv4 address, a sequence number). */
  public static int update32(int checksum, int oldValue, int newValue) {
    int oldSum = fold((long) (oldValue >>> 16) + (oldValue & 0xFFFF));
    int newSum = fold((long) (newValue >>> 16) + (newValue & 0xFFFF));
    return updateSum(checksum, oldSum, newSum);
  }

  /**
   * {@link #update16} for a field of any even length, given the {@link #sum} of its old and
   * its new bytes: ~m is distributive over a one's complement sum, so eqn. 3 holds for the
   * field as a whole.
   */
  public static int updateSum(int checksum, int oldFieldSum, int newFieldSum) {
    long sum = (~checksum & 0xFFFF) + (~oldFieldSum & 0xFFFF) + (long) newFieldSum;
    return complement(fold(sum));
  }
}
