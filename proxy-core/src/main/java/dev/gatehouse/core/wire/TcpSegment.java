package dev.gatehouse.core.wire;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * A view of a TCP segment (RFC 9293 §3.1): header, options (RFC 9293 §3.2) and payload.
 * Reusable: one instance per thread, {@link #wrap} per segment; nothing is allocated.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Sequence Number                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Acknowledgment Number                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Data |       |C|E|U|A|P|R|S|F|                               |
 * | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 * |       |       |R|E|G|K|H|T|N|N|                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Checksum            |         Urgent Pointer        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           [Options]                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                             Data                              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>Data Offset counts 32-bit words. Sequence and acknowledgment numbers are unsigned 32-bit
 * values returned in an {@code int}: compare them with modular arithmetic, never with
 * {@code <}. The segment's length is not in the header; the IP layer gives it.
 *
 * <p>{@code wrap} walks the options once and remembers where MSS, Window Scale,
 * SACK-Permitted, SACK and Timestamps sit (the first of each kind); any option can also be
 * visited with {@link #firstOptionOffset()} and {@link #nextOptionOffset(int)}. Accessors are
 * defined only after {@code wrap} returned {@link WireStatus#OK}.
 */
public final class TcpSegment {

  // RFC 9293 §3.1: offsets from the first byte of the header.
  public static final int SOURCE_PORT_OFFSET = 0;
  public static final int DESTINATION_PORT_OFFSET = 2;
  public static final int SEQUENCE_NUMBER_OFFSET = 4;
  public static final int ACKNOWLEDGMENT_NUMBER_OFFSET = 8;
  public static final int DATA_OFFSET_OFFSET = 12;
  public static final int FLAGS_OFFSET = 13;
  public static final int WINDOW_OFFSET = 14;
  public static final int CHECKSUM_OFFSET = 16;
  public static final int URGENT_POINTER_OFFSET = 18;
  public static final int OPTIONS_OFFSET = 20;

  /** RFC 9293 §3.1: Data Offset 5, the header without options. */
  public static final int MIN_HEADER_LENGTH_BYTES = 20;
  /** RFC 9293 §3.1: Data Offset 15, the largest a 4-bit word count can say. */
  public static final int MAX_HEADER_LENGTH_BYTES = 60;

  // RFC 9293 §3.1 control bits, with CWR and ECE from RFC 3168 §6.1.
  public static final int FLAG_FIN = 0x01;
  public static final int FLAG_SYN = 0x02;
  public static final int FLAG_RST = 0x04;
  public static final int FLAG_PSH = 0x08;
  public static final int FLAG_ACK = 0x10;
  public static final int FLAG_URG = 0x20;
  public static final int FLAG_ECE = 0x40;
  public static final int FLAG_CWR = 0x80;

  private static final int NONE = -1;

  private ByteBuf buffer;
  private int offset;
  private int headerLengthBytes;
  private int endOffset;
  private int mssOffset;
  private int windowScaleOffset;
  private int sackPermittedOffset;
  private int sackOffset;
  private int timestampsOffset;

  /**
   * Wraps a segment of {@code lengthBytes} bytes at {@code offset}, as the IP layer
   * delimits it, and checks in this order: the fixed header fits ({@code TRUNCATED}); Data
   * Offset of at least 5 and within the segment ({@code BAD_HEADER_LENGTH}); every option
   * within the header, with a length of at least 2 and the length its kind requires
   * ({@code BAD_OPTION}). RFC 9293 §3.2 (MUST-7) asks a receiver to survive any illegal
   * option length; this view reports it instead of guessing. The checksum is checked apart.
   *
   * @throws IndexOutOfBoundsException if the range is not inside the buffer (a caller's bug)
   */
  public WireStatus wrap(ByteBuf buffer, int offset, int lengthBytes) {
    this.buffer = null;
    Objects.checkFromIndexSize(offset, lengthBytes, buffer.capacity());

    if (lengthBytes < MIN_HEADER_LENGTH_BYTES) {
      return WireStatus.TRUNCATED;
    }
    int headerLength = (buffer.getUnsignedByte(offset + DATA_OFFSET_OFFSET) >>> 4) * 4;
    if (headerLength < MIN_HEADER_LENGTH_BYTES || headerLength > lengthBytes) {
      return WireStatus.BAD_HEADER_LENGTH;
    }

    this.buffer = buffer;
    this.offset = offset;
    this.headerLengthBytes = headerLength;
    this.endOffset = offset + lengthBytes;
    WireStatus options = readOptions();
    if (options != WireStatus.OK) {
      this.buffer = null;
    }
    return options;
  }

  /**
   * Starts a segment to be written at {@code offset}: writes Data Offset (reserved bits
   * zero), leaves every other byte as it is, and wraps the result with no options known.
   *
   * @throws IllegalArgumentException if the lengths are not a valid TCP header and segment
   */
  public TcpSegment init(ByteBuf buffer, int offset, int headerLengthBytes, int lengthBytes) {
    if (headerLengthBytes < MIN_HEADER_LENGTH_BYTES
        || headerLengthBytes > MAX_HEADER_LENGTH_BYTES
        || headerLengthBytes % 4 != 0) {
      throw new IllegalArgumentException(
          "headerLengthBytes must be a multiple of 4 in [20, 60], got " + headerLengthBytes);
    }
    if (lengthBytes < headerLengthBytes) {
      throw new IllegalArgumentException("lengthBytes must be at least headerLengthBytes "
          + headerLengthBytes + ", got " + lengthBytes);
    }
    Objects.checkFromIndexSize(offset, lengthBytes, buffer.capacity());
    buffer.setByte(offset + DATA_OFFSET_OFFSET, headerLengthBytes / 4 << 4);
    this.buffer = buffer;
    this.offset = offset;
    this.headerLengthBytes = headerLengthBytes;
    this.endOffset = offset + lengthBytes;
    clearKnownOptions();
    return this;
  }

  private void clearKnownOptions() {
    mssOffset = NONE;
    windowScaleOffset = NONE;
    sackPermittedOffset = NONE;
    sackOffset = NONE;
    timestampsOffset = NONE;
  }

  private WireStatus readOptions() {
    clearKnownOptions();
    int end = offset + headerLengthBytes;
    int position = offset + OPTIONS_OFFSET;
    while (position < end) {
      int kind = buffer.getUnsignedByte(position);
      if (kind == TcpOptions.KIND_END_OF_LIST) {
        return WireStatus.OK;
      }
      if (kind == TcpOptions.KIND_NO_OPERATION) {
        position++;
        continue;
      }
      if (position + 1 >= end) {
        return WireStatus.BAD_OPTION;
      }
      int length = buffer.getUnsignedByte(position + 1);
      if (length < 2 || position + length > end || !hasLengthForKind(kind, length)) {
        return WireStatus.BAD_OPTION;
      }
      remember(kind, position);
      position += length;
    }
    return WireStatus.OK;
  }

  private static boolean hasLengthForKind(int kind, int length) {
    if (kind == TcpOptions.KIND_SACK) {
      // RFC 2018 §3: one or more blocks of 8 bytes after kind and length.
      int blockBytes = length - 2;
      return blockBytes > 0 && blockBytes % TcpOptions.SACK_BLOCK_LENGTH_BYTES == 0;
    }
    int required = TcpOptions.requiredLengthBytes(kind);
    return required < 0 || length == required;
  }

  private void remember(int kind, int position) {
    switch (kind) {
      case TcpOptions.KIND_MSS -> mssOffset = first(mssOffset, position);
      case TcpOptions.KIND_WINDOW_SCALE -> windowScaleOffset = first(windowScaleOffset, position);
      case TcpOptions.KIND_SACK_PERMITTED ->
          sackPermittedOffset = first(sackPermittedOffset, position);
      case TcpOptions.KIND_SACK -> sackOffset = first(sackOffset, position);
      case TcpOptions.KIND_TIMESTAMPS -> timestampsOffset = first(timestampsOffset, position);
      default -> {
        // Other kinds are valid and skipped (RFC 9293 §3.2, MUST-6: ignore unknown options).
      }
    }
  }

  private static int first(int remembered, int position) {
    return remembered == NONE ? position : remembered;
  }

  /** The buffer this view reads. */
  public ByteBuf buffer() {
    return buffer;
  }

  /** Index of the segment's first byte in {@link #buffer()}. */
  public int offset() {
    return offset;
  }

  /** The segment's length as the IP layer gave it: header, options and data. */
  public int lengthBytes() {
    return endOffset - offset;
  }

  /** Data Offset in bytes: header and options. */
  public int headerLengthBytes() {
    return headerLengthBytes;
  }

  /** Index of the first data byte. */
  public int payloadOffset() {
    return offset + headerLengthBytes;
  }

  /** Bytes of data after the header. */
  public int payloadLengthBytes() {
    return endOffset - payloadOffset();
  }

  /** The Source Port field. */
  public int sourcePort() {
    return buffer.getUnsignedShort(offset + SOURCE_PORT_OFFSET);
  }

  /** The Destination Port field. */
  public int destinationPort() {
    return buffer.getUnsignedShort(offset + DESTINATION_PORT_OFFSET);
  }

  /** The Sequence Number field, an unsigned 32-bit value in an int. */
  public int sequenceNumber() {
    return buffer.getInt(offset + SEQUENCE_NUMBER_OFFSET);
  }

  /** The Acknowledgment Number field, an unsigned 32-bit value in an int. */
  public int acknowledgmentNumber() {
    return buffer.getInt(offset + ACKNOWLEDGMENT_NUMBER_OFFSET);
  }

  /** The four reserved bits between Data Offset and CWR (RFC 9293 §3.1: must be zero). */
  public int reservedBits() {
    return buffer.getUnsignedByte(offset + DATA_OFFSET_OFFSET) & 0x0F;
  }

  /** The eight control bits, CWR to FIN, as the {@code FLAG_} masks read them. */
  public int flags() {
    return buffer.getUnsignedByte(offset + FLAGS_OFFSET);
  }

  /** Whether every bit of {@code mask} is set among the control bits. */
  public boolean hasFlags(int mask) {
    return (flags() & mask) == mask;
  }

  /** FIN: no more data from the sender. */
  public boolean isFin() {
    return hasFlags(FLAG_FIN);
  }

  /** SYN: synchronize sequence numbers. */
  public boolean isSyn() {
    return hasFlags(FLAG_SYN);
  }

  /** RST: reset the connection. */
  public boolean isRst() {
    return hasFlags(FLAG_RST);
  }

  /** PSH: push function. */
  public boolean isPsh() {
    return hasFlags(FLAG_PSH);
  }

  /** ACK: the acknowledgment number is significant. */
  public boolean isAck() {
    return hasFlags(FLAG_ACK);
  }

  /** URG: the urgent pointer is significant. */
  public boolean isUrg() {
    return hasFlags(FLAG_URG);
  }

  /** ECE: ECN-Echo (RFC 3168 §6.1). */
  public boolean isEce() {
    return hasFlags(FLAG_ECE);
  }

  /** CWR: Congestion Window Reduced (RFC 3168 §6.1). */
  public boolean isCwr() {
    return hasFlags(FLAG_CWR);
  }

  /** The Window field, unscaled. */
  public int window() {
    return buffer.getUnsignedShort(offset + WINDOW_OFFSET);
  }

  /** The Checksum field. */
  public int checksum() {
    return buffer.getUnsignedShort(offset + CHECKSUM_OFFSET);
  }

  /** The Urgent Pointer field. */
  public int urgentPointer() {
    return buffer.getUnsignedShort(offset + URGENT_POINTER_OFFSET);
  }

  /** Index of the first option, or -1 if the header has no option bytes. */
  public int firstOptionOffset() {
    return headerLengthBytes > MIN_HEADER_LENGTH_BYTES ? offset + OPTIONS_OFFSET : NONE;
  }

  /**
   * Index of the option after the one at {@code optionOffset}, or -1 after End of Option
   * List or at the end of the header. Bytes after End of Option List are padding.
   */
  public int nextOptionOffset(int optionOffset) {
    if (optionKind(optionOffset) == TcpOptions.KIND_END_OF_LIST) {
      return NONE;
    }
    int next = optionOffset + optionLengthBytes(optionOffset);
    return next < payloadOffset() ? next : NONE;
  }

  /** The kind of the option at {@code optionOffset}. */
  public int optionKind(int optionOffset) {
    return buffer.getUnsignedByte(optionOffset);
  }

  /** The length of the option at {@code optionOffset}, kind and length bytes included. */
  public int optionLengthBytes(int optionOffset) {
    int kind = optionKind(optionOffset);
    if (kind == TcpOptions.KIND_END_OF_LIST || kind == TcpOptions.KIND_NO_OPERATION) {
      return 1;
    }
    return buffer.getUnsignedByte(optionOffset + 1);
  }

  /** The Maximum Segment Size option's value, or -1 without one. */
  public int mss() {
    return mssOffset == NONE ? NONE : buffer.getUnsignedShort(mssOffset + 2);
  }

  /** The Window Scale option's shift count as received, or -1 without one. */
  public int windowScale() {
    return windowScaleOffset == NONE ? NONE : buffer.getUnsignedByte(windowScaleOffset + 2);
  }

  /** Whether a SACK-Permitted option is present. */
  public boolean sackPermitted() {
    return sackPermittedOffset != NONE;
  }

  /** Whether a Timestamps option is present. */
  public boolean hasTimestamps() {
    return timestampsOffset != NONE;
  }

  /** TSval of the Timestamps option; only meaningful if {@link #hasTimestamps()}. */
  public int timestampValue() {
    return buffer.getInt(timestampsOffset + 2);
  }

  /** TSecr of the Timestamps option; only meaningful if {@link #hasTimestamps()}. */
  public int timestampEchoReply() {
    return buffer.getInt(timestampsOffset + 6);
  }

  /** Blocks in the SACK option, 0 without one. */
  public int sackBlockCount() {
    return sackOffset == NONE
        ? 0
        : (buffer.getUnsignedByte(sackOffset + 1) - 2) / TcpOptions.SACK_BLOCK_LENGTH_BYTES;
  }

  /** Left edge of SACK block {@code index}, below {@link #sackBlockCount()}. */
  public int sackLeftEdge(int index) {
    return buffer.getInt(sackBlockOffset(index));
  }

  /** Right edge of SACK block {@code index}, below {@link #sackBlockCount()}. */
  public int sackRightEdge(int index) {
    return buffer.getInt(sackBlockOffset(index) + 4);
  }

  private int sackBlockOffset(int index) {
    Objects.checkIndex(index, sackBlockCount());
    return sackOffset + 2 + index * TcpOptions.SACK_BLOCK_LENGTH_BYTES;
  }

  /** Sets the Source Port field; the checksum is not updated. */
  public void setSourcePort(int port) {
    buffer.setShort(offset + SOURCE_PORT_OFFSET, port);
  }

  /** Sets the Destination Port field; the checksum is not updated. */
  public void setDestinationPort(int port) {
    buffer.setShort(offset + DESTINATION_PORT_OFFSET, port);
  }

  /** Sets the Sequence Number field; the checksum is not updated. */
  public void setSequenceNumber(int sequenceNumber) {
    buffer.setInt(offset + SEQUENCE_NUMBER_OFFSET, sequenceNumber);
  }

  /** Sets the Acknowledgment Number field; the checksum is not updated. */
  public void setAcknowledgmentNumber(int acknowledgmentNumber) {
    buffer.setInt(offset + ACKNOWLEDGMENT_NUMBER_OFFSET, acknowledgmentNumber);
  }

  /** Sets the eight control bits from {@code FLAG_} masks; the checksum is not updated. */
  public void setFlags(int flags) {
    buffer.setByte(offset + FLAGS_OFFSET, flags);
  }

  /** Sets the Window field; the checksum is not updated. */
  public void setWindow(int window) {
    buffer.setShort(offset + WINDOW_OFFSET, window);
  }

  /** Sets the Checksum field. */
  public void setChecksum(int checksum) {
    buffer.setShort(offset + CHECKSUM_OFFSET, checksum);
  }

  /** Sets the Urgent Pointer field; the checksum is not updated. */
  public void setUrgentPointer(int urgentPointer) {
    buffer.setShort(offset + URGENT_POINTER_OFFSET, urgentPointer);
  }

  /** Sets the Source Port and updates the checksum to match (RFC 1624). */
  public void rewriteSourcePort(int port) {
    int oldPort = sourcePort();
    setSourcePort(port);
    updateChecksum16(oldPort, port);
  }

  /** Sets the Destination Port and updates the checksum to match (RFC 1624). */
  public void rewriteDestinationPort(int port) {
    int oldPort = destinationPort();
    setDestinationPort(port);
    updateChecksum16(oldPort, port);
  }

  /**
   * The checksum the segment should carry, given the pseudo-header sum from the IP layer
   * (RFC 9293 §3.1: pseudo-header, header, options and data).
   */
  public int computeChecksum(int pseudoHeaderSum) {
    return Checksums.compute(
        buffer, offset, lengthBytes(), offset + CHECKSUM_OFFSET, pseudoHeaderSum);
  }

  /** Computes the checksum and writes it. */
  public void writeChecksum(int pseudoHeaderSum) {
    setChecksum(computeChecksum(pseudoHeaderSum));
  }

  /** {@code OK} if the checksum verifies with this pseudo-header sum, else {@code BAD_CHECKSUM}. */
  public WireStatus verifyChecksum(int pseudoHeaderSum) {
    return Checksums.verify(buffer, offset, lengthBytes(), pseudoHeaderSum);
  }

  /** Updates the checksum after a 16-bit word it covers changed (RFC 1624 eqn. 3). */
  public void updateChecksum16(int oldWord, int newWord) {
    setChecksum(Checksums.update16(checksum(), oldWord, newWord));
  }

  /**
   * Updates the checksum after a 32-bit value it covers changed, such as an IPv4 address in
   * the pseudo-header (RFC 1624 eqn. 3).
   */
  public void updateChecksum32(int oldValue, int newValue) {
    setChecksum(Checksums.update32(checksum(), oldValue, newValue));
  }
}
