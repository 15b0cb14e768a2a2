package dev.gatehouse.core.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * Hands a {@link ByteBuffer}'s bytes to a C call as a native address: a direct buffer's
 * own memory, or for a heap buffer (which C cannot see) a scratch segment kept for the
 * next call. One bridge per direction, used by one thread at a time.
 *
 * <p>A call goes: {@code receiveAddress} or {@code sendAddress}, the C call, then
 * {@code received} or {@code sent}, which also keep the buffer and the scratch memory
 * reachable until the call has returned: a raw address does not.
 *
 * <p>Raw addresses keep the data path free of allocation. A segment handed to a downcall
 * is allocated anew for every call, and a segment made only to read its address is
 * optimized away in a quiet benchmark but not once the JIT's profile of ofBuffer mixes
 * heap and direct buffers (measured: 36 bytes per call). So the base address of the last
 * direct buffer is kept: a caller reusing its buffer pays for no lookup and no allocation,
 * and that buffer stays reachable until another one comes.
 */
final class BufferBridge {

  private static final long MIN_SCRATCH_BYTES = 2048;

  private MemorySegment scratch = MemorySegment.NULL;
  private ByteBuffer lastDirect;
  private long lastDirectBase;

  /** Where a call may write up to {@code dst.remaining()} bytes. */
  long receiveAddress(ByteBuffer dst) {
    if (dst.isReadOnly()) {
      throw new ReadOnlyBufferException();
    }
    return dst.isDirect() ? directAddress(dst) : scratch(dst.remaining()).address();
  }

  /** Completes a receive of {@code length} bytes: they reach dst, which moves past them. */
  void received(ByteBuffer dst, int length) {
    if (!dst.isDirect()) {
      MemorySegment.copy(scratch, 0, MemorySegment.ofBuffer(dst), 0, length);
    }
    dst.position(dst.position() + length);
    Reference.reachabilityFence(scratch);
  }

  /** Where {@code src}'s remaining bytes are, copied to scratch if src is on the heap. */
  long sendAddress(ByteBuffer src) {
    if (src.isDirect()) {
      return directAddress(src);
    }
    MemorySegment copy = scratch(src.remaining());
    MemorySegment.copy(MemorySegment.ofBuffer(src), 0, copy, 0, src.remaining());
    return copy.address();
  }

  /** Completes a send of {@code length} bytes: src moves past them. */
  void sent(ByteBuffer src, int length) {
    src.position(src.position() + length);
    Reference.reachabilityFence(scratch);
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

  private long directAddress(ByteBuffer buffer) {
    if (buffer != lastDirect) {
      // ofBuffer's segment starts at the position; keep the address of index 0
      lastDirectBase = MemorySegment.ofBuffer(buffer).address() - buffer.position();
      lastDirect = buffer;
    }
    return lastDirectBase + buffer.position();
  }
}
