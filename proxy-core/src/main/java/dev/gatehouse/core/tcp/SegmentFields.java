package dev.gatehouse.core.tcp;

import dev.gatehouse.core.wire.TcpOptions;
import dev.gatehouse.core.wire.TcpSegment;
import io.netty.buffer.ByteBuf;

/**
 * The fields of one outgoing segment that the engine decides: sequence and acknowledgment
 * numbers, control bits, the Window field (already scaled down, RFC 7323 §2.3) and option
 * bytes, padded with No-Operation to a multiple of four. Ports and checksum are the glue's.
 * One instance per connection, rewritten for every segment: nothing is allocated per segment.
 */
public final class SegmentFields {

  /** RFC 9293 §3.1: options fill at most 40 bytes (Data Offset 15). */
  public static final int MAX_OPTIONS_BYTES =
      TcpSegment.MAX_HEADER_LENGTH_BYTES - TcpSegment.MIN_HEADER_LENGTH_BYTES;

  private final byte[] options = new byte[MAX_OPTIONS_BYTES];
  private int optionsLengthBytes;
  private int sequenceNumber;
  private int acknowledgmentNumber;
  private int flags;
  private int window;

  void reset(int sequenceNumber, int acknowledgmentNumber, int flags, int window) {
    this.sequenceNumber = sequenceNumber;
    this.acknowledgmentNumber = acknowledgmentNumber;
    this.flags = flags;
    this.window = window;
    this.optionsLengthBytes = 0;
  }

  /** The Sequence Number. */
  public int sequenceNumber() {
    return sequenceNumber;
  }

  /** The Acknowledgment Number; 0 when ACK is not set. */
  public int acknowledgmentNumber() {
    return acknowledgmentNumber;
  }

  /** The control bits, as {@link TcpSegment}'s {@code FLAG_} masks. */
  public int flags() {
    return flags;
  }

  /** Whether every bit of {@code mask} is set. */
  public boolean hasFlags(int mask) {
    return (flags & mask) == mask;
  }

  /** The Window field as sent (scaled down). */
  public int window() {
    return window;
  }

  /** Option bytes, a multiple of four. */
  public int optionsLengthBytes() {
    return optionsLengthBytes;
  }

  /** Option byte {@code index}, below {@link #optionsLengthBytes()}. */
  public int optionByte(int index) {
    return options[index] & 0xFF;
  }

  /** Header length with options, the value Data Offset says in bytes. */
  public int headerLengthBytes() {
    return TcpSegment.MIN_HEADER_LENGTH_BYTES + optionsLengthBytes;
  }

  /**
   * Writes the whole TCP header at {@code offset} through {@code view}: ports, these fields,
   * options, a zero checksum and urgent pointer. The caller computes the checksum afterwards,
   * once the payload follows the header.
   */
  public void writeHeader(
      TcpSegment view, ByteBuf buffer, int offset, int sourcePort, int destinationPort,
      int segmentLengthBytes) {
    view.init(buffer, offset, headerLengthBytes(), segmentLengthBytes);
    view.setSourcePort(sourcePort);
    view.setDestinationPort(destinationPort);
    view.setSequenceNumber(sequenceNumber);
    view.setAcknowledgmentNumber(acknowledgmentNumber);
    view.setFlags(flags);
    view.setWindow(window);
    view.setChecksum(0);
    view.setUrgentPointer(0);
    buffer.setBytes(offset + TcpSegment.OPTIONS_OFFSET, options, 0, optionsLengthBytes);
  }

  // writers used by the connection; each keeps the option area a multiple of four bytes

  void addMss(int mssBytes) {
    options[optionsLengthBytes++] = TcpOptions.KIND_MSS;
    options[optionsLengthBytes++] = TcpOptions.MSS_LENGTH_BYTES;
    putShort(mssBytes);
  }

  void addWindowScale(int shift) {
    options[optionsLengthBytes++] = TcpOptions.KIND_NO_OPERATION;
    options[optionsLengthBytes++] = TcpOptions.KIND_WINDOW_SCALE;
    options[optionsLengthBytes++] = TcpOptions.WINDOW_SCALE_LENGTH_BYTES;
    options[optionsLengthBytes++] = (byte) shift;
  }

  void addSackPermitted() {
    options[optionsLengthBytes++] = TcpOptions.KIND_NO_OPERATION;
    options[optionsLengthBytes++] = TcpOptions.KIND_NO_OPERATION;
    options[optionsLengthBytes++] = TcpOptions.KIND_SACK_PERMITTED;
    options[optionsLengthBytes++] = TcpOptions.SACK_PERMITTED_LENGTH_BYTES;
  }

  void addTimestamps(int tsVal, int tsEcr) {
    options[optionsLengthBytes++] = TcpOptions.KIND_NO_OPERATION;
    options[optionsLengthBytes++] = TcpOptions.KIND_NO_OPERATION;
    options[optionsLengthBytes++] = TcpOptions.KIND_TIMESTAMPS;
    options[optionsLengthBytes++] = TcpOptions.TIMESTAMPS_LENGTH_BYTES;
    putInt(tsVal);
    putInt(tsEcr);
  }

  /** Room left for SACK blocks after the options written so far (RFC 2018 §3). */
  int sackBlocksThatFit() {
    int free = MAX_OPTIONS_BYTES - optionsLengthBytes - 4;
    return Math.max(0, free / TcpOptions.SACK_BLOCK_LENGTH_BYTES);
  }

  void addSackHeader(int blockCount) {
    options[optionsLengthBytes++] = TcpOptions.KIND_NO_OPERATION;
    options[optionsLengthBytes++] = TcpOptions.KIND_NO_OPERATION;
    options[optionsLengthBytes++] = TcpOptions.KIND_SACK;
    options[optionsLengthBytes++] =
        (byte) (2 + blockCount * TcpOptions.SACK_BLOCK_LENGTH_BYTES);
  }

  void addSackBlock(int leftEdge, int rightEdge) {
    putInt(leftEdge);
    putInt(rightEdge);
  }

  private void putShort(int value) {
    options[optionsLengthBytes++] = (byte) (value >>> 8);
    options[optionsLengthBytes++] = (byte) value;
  }

  private void putInt(int value) {
    putShort(value >>> 16);
    putShort(value);
  }
}
