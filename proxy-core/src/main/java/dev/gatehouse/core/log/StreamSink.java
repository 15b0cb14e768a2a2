package dev.gatehouse.core.log;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes activity lines to a stream the sink does not own, standard output above all.
 *
 * <p>Standard output is reached through its file descriptor rather than
 * {@code System.out}: a {@code PrintStream} swallows write errors, and the log must count
 * them. The appliance's own log lines should go to standard error when this sink is used,
 * or a long burst of records may interleave with them.
 */
public final class StreamSink implements ActivitySink {
  private static final int BUFFER_BYTES = 64 * 1024;

  private final OutputStream target;
  private final String name;
  private BufferedOutputStream out;

  /**
   * A sink over {@code target}, which stays open when the sink closes.
   *
   * @param name what the sink is called in log lines, such as {@code stdout}
   */
  public StreamSink(OutputStream target, String name) {
    this.target = target;
    this.name = name;
    this.out = new BufferedOutputStream(target, BUFFER_BYTES);
  }

  /** A sink over the process's standard output. */
  public static StreamSink stdout() {
    return new StreamSink(new FileOutputStream(FileDescriptor.out), "stdout");
  }

  @Override
  public void write(byte[] line, int offset, int lengthBytes) throws IOException {
    try {
      out.write(line, offset, lengthBytes);
    } catch (IOException e) {
      discardBuffered();
      throw e;
    }
  }

  @Override
  public void flush() throws IOException {
    try {
      out.flush();
    } catch (IOException e) {
      discardBuffered();
      throw e;
    }
  }

  /** Flushes; the stream itself belongs to whoever made it. */
  @Override
  public void close() throws IOException {
    out.flush();
  }

  /**
   * Forgets lines a failed write left in the buffer: the log counted them as dropped, and
   * retrying them later could repeat a part that did get out.
   */
  private void discardBuffered() {
    out = new BufferedOutputStream(target, BUFFER_BYTES);
  }

  @Override
  public String toString() {
    return name;
  }
}
