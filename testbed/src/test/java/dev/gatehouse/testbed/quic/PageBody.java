package dev.gatehouse.testbed.quic;

import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;

/**
 * The body of a response while it arrives: keeps its first {@link #KEPT_BYTES} bytes and
 * counts the rest, so that a large page cannot fill the probe's memory. One event loop
 * writes it.
 */
final class PageBody {
  /** The probe prints one line; more than this of a page would not help reading it. */
  static final int KEPT_BYTES = 4096;

  private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
  private long bodyBytes;

  /** Copies what it keeps of {@code content}; the caller still owns and releases it. */
  void append(ByteBuf content) {
    int readable = content.readableBytes();
    int keep = (int) Math.min(readable, Math.max(0, KEPT_BYTES - bodyBytes));
    if (keep > 0) {
      byte[] bytes = new byte[keep];
      content.getBytes(content.readerIndex(), bytes);
      kept.writeBytes(bytes);
    }
    bodyBytes += readable;
  }

  Page toPage(String protocol, String status) {
    return new Page(protocol, status, kept.toByteArray(), bodyBytes);
  }
}
