package dev.gatehouse.core.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/** Byte fixtures for the inspectors: real and hand-built ClientHellos, and a way to offer them. */
final class Fixtures {
  static final int SERVER_NAME = 0;
  static final int SUPPORTED_VERSIONS = 43;
  /** RFC 8701: a GREASE extension type, which servers must ignore. */
  static final int GREASE = 0x1A1A;

  private Fixtures() {}

  /** The first bytes a JDK TLS client sends to {@code host}: records carrying its ClientHello. */
  static byte[] jdkClientHello(String host) {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, null, null);
      SSLEngine engine = context.createSSLEngine(host, 443);
      engine.setUseClientMode(true);
      SSLParameters parameters = engine.getSSLParameters();
      parameters.setServerNames(List.<SNIServerName>of(new SNIHostName(host)));
      engine.setSSLParameters(parameters);
      ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
      engine.wrap(ByteBuffer.allocate(0), out);
      out.flip();
      byte[] bytes = new byte[out.remaining()];
      out.get(bytes);
      return bytes;
    } catch (GeneralSecurityException | SSLException e) {
      throw new IllegalStateException("the JDK could not make a ClientHello", e);
    }
  }

  /** A ClientHello handshake message (header included) with these extensions, in order. */
  static byte[] clientHello(int sessionIdBytes, byte[]... extensions) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    u16(body, 0x0303);
    body.writeBytes(new byte[32]);
    body.write(sessionIdBytes);
    body.writeBytes(new byte[sessionIdBytes]);
    u16(body, 4);
    u16(body, 0x1301);
    u16(body, 0x0A0A);
    body.write(1);
    body.write(0);
    if (extensions.length > 0) {
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      for (byte[] extension : extensions) {
        all.writeBytes(extension);
      }
      u16(body, all.size());
      body.writeBytes(all.toByteArray());
    }
    return handshake(1, body.toByteArray());
  }

  static byte[] handshake(int type, byte[] body) {
    ByteArrayOutputStream message = new ByteArrayOutputStream();
    message.write(type);
    message.write(body.length >> 16);
    u16(message, body.length & 0xFFFF);
    message.writeBytes(body);
    return message.toByteArray();
  }

  static byte[] extension(int type, byte[] data) {
    ByteArrayOutputStream extension = new ByteArrayOutputStream();
    u16(extension, type);
    u16(extension, data.length);
    extension.writeBytes(data);
    return extension.toByteArray();
  }

  /** A server_name extension listing {@code (nameType, name)} pairs. */
  static byte[] serverName(Object... typesAndNames) {
    ByteArrayOutputStream list = new ByteArrayOutputStream();
    for (int i = 0; i < typesAndNames.length; i += 2) {
      byte[] name = ((String) typesAndNames[i + 1]).getBytes(StandardCharsets.ISO_8859_1);
      list.write((Integer) typesAndNames[i]);
      u16(list, name.length);
      list.writeBytes(name);
    }
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    u16(data, list.size());
    data.writeBytes(list.toByteArray());
    return extension(SERVER_NAME, data.toByteArray());
  }

  /** A server_name extension with one host_name. */
  static byte[] sni(String host) {
    return serverName(0, host);
  }

  /** {@code message} in TLS handshake records, cut after each of the offsets {@code cuts}. */
  static byte[] records(byte[] message, int... cuts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int from = 0;
    for (int i = 0; i <= cuts.length; i++) {
      int to = i < cuts.length ? cuts[i] : message.length;
      out.write(22);
      u16(out, 0x0301);
      u16(out, to - from);
      out.write(message, from, to - from);
      from = to;
    }
    return out.toByteArray();
  }

  static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.ISO_8859_1);
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  private static void u16(ByteArrayOutputStream out, int value) {
    out.write(value >> 8);
    out.write(value);
  }

  /**
   * Offers {@code bytes} in pieces that end at each of {@code cuts} and then finishes the
   * inspector, which changes nothing when it had decided.
   */
  static StreamInspector offer(StreamInspector inspector, byte[] bytes, int... cuts) {
    feed(inspector, bytes, cuts).finish();
    return inspector;
  }

  /**
   * Offers {@code bytes} in pieces that end at each of {@code cuts}, each in its own buffer
   * that starts at a non-zero reader index, until the inspector decides; checks that no
   * offer moved an index. Does not finish.
   */
  static StreamInspector feed(StreamInspector inspector, byte[] bytes, int... cuts) {
    int from = 0;
    for (int i = 0; i <= cuts.length && !inspector.decided(); i++) {
      int to = i < cuts.length ? cuts[i] : bytes.length;
      ByteBuf piece = Unpooled.buffer(to - from + 3);
      try {
        piece.writeBytes(new byte[] {1, 2, 3}).writeBytes(bytes, from, to - from).readerIndex(3);
        int writerIndex = piece.writerIndex();
        boolean decided = inspector.offer(piece);
        assertEquals(3, piece.readerIndex(), "offer moved the reader index");
        assertEquals(writerIndex, piece.writerIndex(), "offer moved the writer index");
        assertEquals(inspector.decided(), decided, "offer's answer and decided() disagree");
      } finally {
        piece.release();
      }
      from = to;
    }
    return inspector;
  }

  /** Offers all of {@code bytes} at once to a default inspector, then finishes it. */
  static StreamInspector inspect(byte[] bytes) {
    return offer(new StreamInspector(StreamInspector.DEFAULT_MAX_BYTES), bytes);
  }

  /** Cut points that split {@code length} bytes into pieces of one byte each. */
  static int[] everyByte(int length) {
    int[] cuts = new int[Math.max(0, length - 1)];
    for (int i = 0; i < cuts.length; i++) {
      cuts[i] = i + 1;
    }
    return cuts;
  }
}
