package dev.gatehouse.core.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Origin bytes not yet acknowledged by the client, first byte at sequence number {@link
 * #startSeq()}. One buffer that grows to at most {@code capacityBytes}; acknowledged bytes are
 * skipped and the rest moved to the front when room is needed at the end.
 */
final class SendBuffer {

  private static final int INITIAL_CAPACITY_BYTES = 16 * 1024;

  private final ByteBufAllocator allocator;
  private final int capacityBytes;
  private ByteBuf buffer;
  private int startSeq;

  SendBuffer(ByteBufAllocator allocator, int capacityBytes, int startSeq) {
    this.allocator = allocator;
    this.capacityBytes = capacityBytes;
    this.startSeq = startSeq;
  }

  /** Sequence number of the first byte held. */
  int startSeq() {
    return startSeq;
  }

  /** Sequence number after the last byte held. */
  int endSeq() {
    return startSeq + readableBytes();
  }

  int readableBytes() {
    return buffer == null ? 0 : buffer.readableBytes();
  }

  int freeBytes() {
    return capacityBytes - readableBytes();
  }

  int capacityBytes() {
    return capacityBytes;
  }

  /** Copies as much of {@code data} as fits, advancing its reader index; returns the count. */
  int append(ByteBuf data) {
    int count = Math.min(data.readableBytes(), freeBytes());
    if (count == 0) {
      return 0;
    }
    if (buffer == null) {
      buffer = allocator.buffer(Math.min(INITIAL_CAPACITY_BYTES, capacityBytes), capacityBytes);
    }
    if (buffer.maxCapacity() - buffer.writerIndex() < count) {
      buffer.discardReadBytes();
    }
    buffer.writeBytes(data, count);
    return count;
  }

  /** Drops the bytes below {@code ackSeq}, which lies within the buffer or at its end. */
  void acknowledgeTo(int ackSeq) {
    int count = Math.min(Math.max(ackSeq - startSeq, 0), readableBytes());
    if (count > 0) {
      buffer.skipBytes(count);
      startSeq += count;
    }
  }

  /** The buffer holding the bytes; byte at {@code seq} is at {@link #indexOf}. */
  ByteBuf buffer() {
    return buffer;
  }

  int indexOf(int seq) {
    return buffer.readerIndex() + (seq - startSeq);
  }

  void release() {
    if (buffer != null) {
      buffer.release();
      buffer = null;
    }
  }
}
