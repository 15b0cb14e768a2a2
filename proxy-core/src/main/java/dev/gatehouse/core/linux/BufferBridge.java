package dev.gatehouse.core.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * Hands a {@link ByteBuffer}'s bytes to a C call as native memory: a direct buffer as
 * itself, a heap buffer through a scratch segment kept for the next call (C cannot see
 * the Java heap). One bridge per direction, used by one thread at a time.
 */
final class BufferBridge {

  private static final long MIN_SCRATCH_BYTES = 2048;

  private MemorySegment scratch = MemorySegment.NULL;

  /** Native memory that a call may fill with up to {@code dst.remaining()} bytes. */
  MemorySegment receiveTarget(ByteBuffer dst) {
    if (dst.isReadOnly()) {
      throw new ReadOnlyBufferException();
    }
    return dst.isDirect() ? MemorySegment.ofBuffer(dst) : scratch(dst.remaining());
  }

  /** Completes a receive of {@code length} bytes into {@code target}: dst moves past them. */
  void received(ByteBuffer dst, MemorySegment target, int length) {
    if (!dst.isDirect()) {
      MemorySegment.copy(target, 0, MemorySegment.ofBuffer(dst), 0, length);
    }
    dst.position(dst.position() + length);
  }

  /** Native memory holding {@code src}'s remaining bytes; src itself does not move. */
  MemorySegment sendSource(ByteBuffer src) {
    if (src.isDirect()) {
      return MemorySegment.ofBuffer(src);
    }
    MemorySegment copy = scratch(src.remaining());
    MemorySegment.copy(MemorySegment.ofBuffer(src), 0, copy, 0, src.remaining());
    return copy;
  }

  /**
   * A native scratch segment of at least {@code bytes}, reused across calls. Arena.ofAuto
   * frees it once this bridge is unreachable: a socket need not be closed to free it.
   */
  MemorySegment scratch(long bytes) {
    if (scratch.byteSize() < bytes) {
      scratch = Arena.ofAuto().allocate(Math.max(bytes, MIN_SCRATCH_BYTES));
    }
    return scratch;
  }
}
