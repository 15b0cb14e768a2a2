package dev.gatehouse.ingress.gre;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.util.HexFormat;

/** Test buffers from the pooled allocator, so that the leak detector watches every one. */
public final class Fixtures {

  /**
   * An IPv4 UDP datagram, 198.18.40.1:12345 to 198.18.50.10:12345, no payload, UDP checksum
   * 0 (none), IPv4 header checksum right: the inner packet of the GRE fixtures.
   */
  public static final String INNER_UDP = "4500001c00010000401194a0c6122801c612320a" + "3039303900080000";

  private Fixtures() {}

  /** A new buffer holding the bytes {@code hex} spells (white space ignored); the caller releases it. */
  public static ByteBuf hex(String hex) {
    byte[] bytes = HexFormat.of().parseHex(hex.replaceAll("\\s+", ""));
    ByteBuf buffer = ByteBufAllocator.DEFAULT.buffer(bytes.length);
    buffer.writeBytes(bytes);
    return buffer;
  }

  /** The readable bytes as lower-case hex. */
  public static String hexOf(ByteBuf buffer) {
    return ByteBufUtil.hexDump(buffer);
  }
}
