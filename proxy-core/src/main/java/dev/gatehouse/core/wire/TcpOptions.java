package dev.gatehouse.core.wire;

import io.netty.buffer.ByteBuf;

/**
 * TCP option kinds and lengths (RFC 9293 §3.2, RFC 7323, RFC 2018), and writers that put an
 * option at an index and return the index after it. Reading goes through {@link TcpSegment}.
 *
 * <pre>
 * End of Option List   +--------+
 *                      |00000000|                       kind 0 (RFC 9293 §3.2)
 *                      +--------+
 * No-Operation         +--------+
 *                      |00000001|                       kind 1 (RFC 9293 §3.2)
 *                      +--------+
 * Maximum Segment Size +--------+--------+---------+--------+
 *                      |00000010|00000100|   max seg size   |  (RFC 9293 §3.2)
 *                      +--------+--------+---------+--------+
 * Window Scale         +--------+--------+---------+
 *                      |00000011|00000011|shift.cnt|         (RFC 7323 §2.2)
 *                      +--------+--------+---------+
 * SACK-Permitted       +--------+--------+
 *                      |00000100|00000010|                  (RFC 2018 §2)
 *                      +--------+--------+
 * SACK                 +--------+--------+--------//-------+
 *                      |00000101| 8n + 2 | n (left, right) |  (RFC 2018 §3), 32 bits each
 *                      +--------+--------+--------//-------+
 * Timestamps           +-------+-------+---------------------+---------------------+
 *                      |Kind=8 |  10   |   TS Value (TSval)  |TS Echo Reply (TSecr)|
 *                      +-------+-------+---------------------+---------------------+
 *                                                             (RFC 7323 §3.2)
 * </pre>
 */
public final class TcpOptions {

  /** RFC 9293 §3.2: End of Option List. */
  public static final int KIND_END_OF_LIST = 0;
  /** RFC 9293 §3.2: No-Operation. */
  public static final int KIND_NO_OPERATION = 1;
  /** RFC 9293 §3.2: Maximum Segment Size. */
  public static final int KIND_MSS = 2;
  /** RFC 7323 §2.2: Window Scale. */
  public static final int KIND_WINDOW_SCALE = 3;
  /** RFC 2018 §2: SACK-Permitted. */
  public static final int KIND_SACK_PERMITTED = 4;
  /** RFC 2018 §3: SACK. */
  public static final int KIND_SACK = 5;
  /** RFC 7323 §3.2: Timestamps. */
  public static final int KIND_TIMESTAMPS = 8;

  /** RFC 9293 §3.2: the MSS option is 4 bytes. */
  public static final int MSS_LENGTH_BYTES = 4;
  /** RFC 7323 §2.2: the Window Scale option is 3 bytes. */
  public static final int WINDOW_SCALE_LENGTH_BYTES = 3;
  /** RFC 2018 §2: the SACK-Permitted option is 2 bytes. */
  public static final int SACK_PERMITTED_LENGTH_BYTES = 2;
  /** RFC 2018 §3: a SACK option is 2 bytes plus 8 per block. */
  public static final int SACK_BLOCK_LENGTH_BYTES = 8;
  /** RFC 7323 §3.2: the Timestamps option is 10 bytes. */
  public static final int TIMESTAMPS_LENGTH_BYTES = 10;
  /**
   * RFC 7323 §2.3: a shift count above 14 must be read as 14. The view reports the field as
   * received; the engine clamps.
   */
  public static final int MAX_WINDOW_SCALE_SHIFT = 14;

  private TcpOptions() {}

  /** Writes End of Option List. */
  public static int writeEndOfList(ByteBuf buffer, int index) {
    buffer.setByte(index, KIND_END_OF_LIST);
    return index + 1;
  }

  /** Writes a No-Operation, which pads the next option to a word boundary. */
  public static int writeNoOperation(ByteBuf buffer, int index) {
    buffer.setByte(index, KIND_NO_OPERATION);
    return index + 1;
  }

  /** Writes a Maximum Segment Size option. */
  public static int writeMss(ByteBuf buffer, int index, int mssBytes) {
    buffer.setByte(index, KIND_MSS);
    buffer.setByte(index + 1, MSS_LENGTH_BYTES);
    buffer.setShort(index + 2, mssBytes);
    return index + MSS_LENGTH_BYTES;
  }

  /** Writes a Window Scale option. */
  public static int writeWindowScale(ByteBuf buffer, int index, int shift) {
    buffer.setByte(index, KIND_WINDOW_SCALE);
    buffer.setByte(index + 1, WINDOW_SCALE_LENGTH_BYTES);
    buffer.setByte(index + 2, shift);
    return index + WINDOW_SCALE_LENGTH_BYTES;
  }

  /** Writes a SACK-Permitted option. */
  public static int writeSackPermitted(ByteBuf buffer, int index) {
    buffer.setByte(index, KIND_SACK_PERMITTED);
    buffer.setByte(index + 1, SACK_PERMITTED_LENGTH_BYTES);
    return index + SACK_PERMITTED_LENGTH_BYTES;
  }

  /**
   * Writes the kind and length of a SACK option with {@code blockCount} blocks; the caller
   * then writes each block with {@link #writeSackBlock}.
   */
  public static int writeSackHeader(ByteBuf buffer, int index, int blockCount) {
    buffer.setByte(index, KIND_SACK);
    buffer.setByte(index + 1, 2 + blockCount * SACK_BLOCK_LENGTH_BYTES);
    return index + 2;
  }

  /** Writes one SACK block: the left and right edge sequence numbers. */
  public static int writeSackBlock(ByteBuf buffer, int index, int leftEdge, int rightEdge) {
    buffer.setInt(index, leftEdge);
    buffer.setInt(index + 4, rightEdge);
    return index + SACK_BLOCK_LENGTH_BYTES;
  }

  /** Writes a Timestamps option. */
  public static int writeTimestamps(ByteBuf buffer, int index, int tsVal, int tsEcr) {
    buffer.setByte(index, KIND_TIMESTAMPS);
    buffer.setByte(index + 1, TIMESTAMPS_LENGTH_BYTES);
    buffer.setInt(index + 2, tsVal);
    buffer.setInt(index + 6, tsEcr);
    return index + TIMESTAMPS_LENGTH_BYTES;
  }

  /**
   * The length a known option must have, 0 for a SACK option (checked apart) and -1 for a
   * kind this list does not know.
   */
  static int requiredLengthBytes(int kind) {
    return switch (kind) {
      case KIND_MSS -> MSS_LENGTH_BYTES;
      case KIND_WINDOW_SCALE -> WINDOW_SCALE_LENGTH_BYTES;
      case KIND_SACK_PERMITTED -> SACK_PERMITTED_LENGTH_BYTES;
      case KIND_TIMESTAMPS -> TIMESTAMPS_LENGTH_BYTES;
      case KIND_SACK -> 0;
      default -> -1;
    };
  }
}
