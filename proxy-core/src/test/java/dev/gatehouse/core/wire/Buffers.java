package dev.gatehouse.core.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.HexFormat;
import java.util.function.Function;

/** Test buffers from the pooled allocator, so that the leak detector watches every one. */
final class Buffers {

  private Buffers() {}

  /** A new buffer holding a copy of {@code bytes}; the caller releases it. */
  static ByteBuf copyOf(byte[] bytes) {
    ByteBuf buffer = ByteBufAllocator.DEFAULT.buffer(bytes.length);
    buffer.writeBytes(bytes);
    return buffer;
  }

  /** A new buffer holding the bytes that {@code hex} spells; the caller releases it. */
  static ByteBuf hex(String hex) {
    return copyOf(HexFormat.of().parseHex(hex.replaceAll("\\s+", "")));
  }

  /** Runs {@code body} on a copy of {@code bytes} and releases the copy, whatever happens. */
  static <T> T with(byte[] bytes, Function<ByteBuf, T> body) {
    ByteBuf buffer = copyOf(bytes);
    try {
      return body.apply(buffer);
    } finally {
      buffer.release();
    }
  }

  /** The readable bytes of {@code buffer}, copied out. */
  static byte[] bytesOf(ByteBuf buffer) {
    byte[] bytes = new byte[buffer.readableBytes()];
    buffer.getBytes(buffer.readerIndex(), bytes);
    return bytes;
  }
}
