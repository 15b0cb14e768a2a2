package dev.gatehouse.core.inspect;

import static dev.gatehouse.core.inspect.Fixtures.ascii;
import static dev.gatehouse.core.inspect.Fixtures.clientHello;
import static dev.gatehouse.core.inspect.Fixtures.concat;
import static dev.gatehouse.core.inspect.Fixtures.extension;
import static dev.gatehouse.core.inspect.Fixtures.sni;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The largest inspector, fed a megabyte one byte per offer: work that grew with the bytes
 * already held (rescanning, recopying) would take minutes instead of milliseconds.
 */
class LinearWorkTest {
  private static final int MAX = StreamInspector.MAX_MAX_BYTES;

  /** Offers each byte of {@code bytes} alone, through slices of one buffer. */
  private static StreamInspector byteByByte(byte[] bytes) {
    StreamInspector inspector = new StreamInspector(MAX);
    ByteBuf all = Unpooled.wrappedBuffer(bytes);
    try {
      for (int i = 0; i < bytes.length && !inspector.offer(all.slice(i, 1)); i++) {
        // offer until decided
      }
      inspector.finish();
      return inspector;
    } finally {
      all.release();
    }
  }

  @Test
  void readsAMegabyteHttpHeadByteByByteInLinearTime() {
    byte[] head = concat(ascii("GET /" + "p".repeat(MAX / 2) + " HTTP/1.1\r\nHost: long.example\r\nX: "),
        ascii("v".repeat(MAX / 2 - 100)), ascii("\r\n\r\n"));
    StreamInspector inspector = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> byteByByte(head));
    assertEquals(DetectedProtocol.HTTP, inspector.protocol());
    assertEquals("long.example", inspector.httpHost());
  }

  @Test
  void reassemblesAMegabyteClientHelloByteByByteInLinearTime() {
    byte[] message = clientHello(0, sni("huge.example"), extension(21, new byte[60_000]));
    int[] cuts = new int[message.length / 100];
    Arrays.setAll(cuts, i -> (i + 1) * 100 - 1);
    byte[] records = Fixtures.records(message, cuts);
    StreamInspector inspector = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> byteByByte(records));
    assertEquals(DetectedProtocol.TLS, inspector.protocol());
    assertEquals("huge.example", inspector.sniHost());
  }
}
