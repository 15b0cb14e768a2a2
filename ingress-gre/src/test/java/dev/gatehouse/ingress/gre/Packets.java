package dev.gatehouse.ingress.gre;

import dev.gatehouse.core.wire.PacketWriter;
import dev.gatehouse.core.wire.TcpSegment;
import dev.gatehouse.ingress.gre.wire.GreHeader;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HexFormat;

/** Inner packets built by the core's own writer, and GRE packets around them, for the engine tests. */
final class Packets {
  static final InetAddress LOCAL = address("198.18.0.1");
  static final InetAddress REMOTE = address("198.18.0.2");
  static final InetAddress SITE_HOST = address("198.18.40.10");
  static final InetAddress ORIGIN = address("198.18.50.20");
  static final InetAddress SITE_HOST_V6 = address("2001:2:0:40::10");
  static final InetAddress ORIGIN_V6 = address("2001:2:0:50::20");

  private static final PacketWriter WRITER = new PacketWriter(ByteBufAllocator.DEFAULT);

  private Packets() {}

  static InetAddress address(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  /** A UDP datagram with {@code payloadBytes} bytes counting up from 0 (DF clear for IPv4). */
  static ByteBuf udp(InetAddress from, InetAddress to, int payloadBytes) {
    ByteBuf payload = Unpooled.buffer(payloadBytes);
    for (int i = 0; i < payloadBytes; i++) {
      payload.writeByte(i);
    }
    return WRITER.udp(from, 40000, to, 53, payload);
  }

  /** A TCP segment (DF set for IPv4) with {@code options} as hex, padded by the caller, and a payload. */
  static ByteBuf tcp(InetAddress from, InetAddress to, int flags, String options, int payloadBytes) {
    ByteBuf optionBytes = Unpooled.wrappedBuffer(HexFormat.of().parseHex(options));
    ByteBuf payload = Unpooled.buffer(payloadBytes).writeZero(payloadBytes);
    return WRITER.tcp(from, 40000, to, 443, 1000, 0, flags, 65535, optionBytes, payload);
  }

  /** A SYN announcing {@code mss}, window scale and SACK permitted after it. */
  static ByteBuf syn(InetAddress from, InetAddress to, int mss) {
    String options = String.format("0204%04x", mss) + "01030307" + "01010402";
    return tcp(from, to, TcpSegment.FLAG_SYN, options, 0);
  }

  /**
   * {@code inner} (released) behind a GRE header with the given fields; {@code key} and
   * {@code sequence} null for absent.
   */
  static ByteBuf gre(int protocolType, boolean checksum, Integer key, Integer sequence, ByteBuf inner) {
    int headerBytes = GreHeader.headerLengthBytes((checksum ? GreHeader.FLAG_CHECKSUM : 0)
        | (key != null ? GreHeader.FLAG_KEY : 0) | (sequence != null ? GreHeader.FLAG_SEQUENCE : 0));
    int length = headerBytes + inner.readableBytes();
    ByteBuf out = ByteBufAllocator.DEFAULT.buffer(length).writerIndex(length);
    try {
      GreHeader gre = new GreHeader().init(out, 0, length, protocolType, checksum, key != null, sequence != null);
      if (key != null) {
        gre.setKey(key);
      }
      if (sequence != null) {
        gre.setSequenceNumber(sequence);
      }
      out.setBytes(gre.payloadOffset(), inner, inner.readerIndex(), inner.readableBytes());
      if (checksum) {
        gre.writeChecksum();
      }
      return out;
    } finally {
      inner.release();
    }
  }

  /** Plain GRE (no optional field) around an IPv4 {@code inner}. */
  static ByteBuf gre(ByteBuf inner) {
    return gre(GreHeader.PROTOCOL_IPV4, false, null, null, inner);
  }
}
