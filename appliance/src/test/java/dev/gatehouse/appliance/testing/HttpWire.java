package dev.gatehouse.appliance.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Just enough HTTP/1.1 to check a proxy from outside it: reads a message head and a body
 * framed by Content-Length, chunks or the end of the connection (RFC 9112 §6-7), byte by
 * byte so that nothing past the message is consumed.
 */
public final class HttpWire {

  private HttpWire() {}

  /** A start line and its header fields, in the order received. */
  public record Head(String startLine, List<String[]> fields) {

    /** The first value of {@code name}, or null. */
    public String header(String name) {
      for (String[] field : fields) {
        if (field[0].equalsIgnoreCase(name)) {
          return field[1];
        }
      }
      return null;
    }

    /** Every value of {@code name}. */
    public List<String> headers(String name) {
      List<String> values = new ArrayList<>();
      for (String[] field : fields) {
        if (field[0].equalsIgnoreCase(name)) {
          values.add(field[1]);
        }
      }
      return values;
    }

    /** The lower-case names of every field. */
    public List<String> names() {
      return fields.stream().map(f -> f[0].toLowerCase(Locale.ROOT)).toList();
    }

    /** The status code of a response head. */
    public int status() {
      return Integer.parseInt(startLine.split(" ", 3)[1]);
    }
  }

  /** Reads a head up to and including the empty line; null on EOF before any byte. */
  public static Head readHead(InputStream in) throws IOException {
    String startLine = readLine(in);
    if (startLine == null) {
      return null;
    }
    List<String[]> fields = new ArrayList<>();
    for (String line = readLine(in); line != null && !line.isEmpty(); line = readLine(in)) {
      int colon = line.indexOf(':');
      fields.add(new String[] {line.substring(0, colon).trim(), line.substring(colon + 1).trim()});
    }
    return new Head(startLine, fields);
  }

  /** Reads the body the head announces; a response without framing runs to EOF. */
  public static byte[] readBody(InputStream in, Head head) throws IOException {
    String transferEncoding = head.header("transfer-encoding");
    if (transferEncoding != null && transferEncoding.toLowerCase(Locale.ROOT).endsWith("chunked")) {
      return readChunked(in);
    }
    String length = head.header("content-length");
    if (length != null) {
      return in.readNBytes(Integer.parseInt(length));
    }
    return head.startLine().startsWith("HTTP/") ? in.readAllBytes() : new byte[0];
  }

  private static byte[] readChunked(InputStream in) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      String sizeLine = readLine(in);
      if (sizeLine == null) {
        throw new EOFException("connection ended inside a chunked body");
      }
      int size = Integer.parseInt(sizeLine.split(";", 2)[0].trim(), 16);
      if (size == 0) {
        for (String trailer = readLine(in); trailer != null && !trailer.isEmpty(); ) {
          trailer = readLine(in);
        }
        return body.toByteArray();
      }
      body.write(in.readNBytes(size));
      readLine(in);
    }
  }

  /** A line without its CRLF; null on EOF before any byte. */
  public static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1) {
      if (b == '\n') {
        byte[] bytes = line.toByteArray();
        int end = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, end, StandardCharsets.ISO_8859_1);
      }
      line.write(b);
    }
    return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
  }

  /** ASCII bytes of {@code text}, for writing heads. */
  public static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.ISO_8859_1);
  }
}
