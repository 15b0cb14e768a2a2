package dev.gatehouse.core.log;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.Charset;
import org.junit.jupiter.api.Test;

class StreamSinkTest {

  @Test
  void holdsLinesUntilFlushed() throws IOException {
    ByteArrayOutputStream target = new ByteArrayOutputStream();
    StreamSink sink = new StreamSink(target, "memory");

    write(sink, "one\n");
    assertEquals("", target.toString(UTF_8));
    sink.flush();

    assertEquals("one\n", target.toString(UTF_8));
  }

  @Test
  void leavesTheTargetOpenWhenClosed() throws IOException {
    CloseTrackingStream target = new CloseTrackingStream();
    StreamSink sink = new StreamSink(target, "memory");

    write(sink, "one\n");
    sink.close();

    assertEquals("one\n", target.toString(UTF_8));
    assertFalse(target.closed);
  }

  @Test
  void forgetsLinesAFailedFlushLeftBehind() throws IOException {
    FailOnceStream target = new FailOnceStream();
    StreamSink sink = new StreamSink(target, "memory");

    write(sink, "lost\n");
    assertThrows(IOException.class, sink::flush);
    write(sink, "kept\n");
    sink.flush();

    assertEquals("kept\n", target.toString(UTF_8));
  }

  private static void write(ActivitySink sink, String line) throws IOException {
    byte[] bytes = line.getBytes(UTF_8);
    sink.write(bytes, 0, bytes.length);
  }

  private static final class CloseTrackingStream extends ByteArrayOutputStream {
    boolean closed;

    @Override
    public void close() {
      closed = true;
    }
  }

  private static final class FailOnceStream extends OutputStream {
    private final ByteArrayOutputStream written = new ByteArrayOutputStream();
    private boolean failed;

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
      if (!failed) {
        failed = true;
        throw new IOException("Broken pipe");
      }
      written.write(bytes, offset, length);
    }

    String toString(Charset charset) {
      return written.toString(charset);
    }
  }
}
