package dev.gatehouse.core.log;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Objects;

/**
 * Appends activity lines to a file and rotates it by size: when the next line would take
 * {@code activity.jsonl} past {@code maxFileBytes}, the file becomes
 * {@code activity.jsonl.1}, the older ones move up by one, the one past
 * {@code keptFiles} is deleted, and the line starts a new file. Rotation happens only
 * between lines, so a file holds whole lines; a single line longer than
 * {@code maxFileBytes} gets a file of its own.
 *
 * <p>The directory is created when missing. An existing file is appended to, and if it
 * ends in the middle of a line (an earlier write failed half way) a newline is added first
 * so the next record starts on a line of its own. After a failure the file is closed and
 * the next write opens it again.
 */
public final class RotatingFileSink implements ActivitySink {
  private static final int BUFFER_BYTES = 64 * 1024;

  private final Path path;
  private final long maxFileBytes;
  private final int keptFiles;

  /** Both null until the first write, and again after a failure. */
  private FileOutputStream file;
  private OutputStream out;
  /** Bytes in the current file, counting those still buffered. */
  private long fileBytes;

  /**
   * A sink writing {@code path} and keeping up to {@code keptFiles} rotated files beside it.
   *
   * @param maxFileBytes the size past which the file is rotated; at least 1
   * @param keptFiles how many rotated files to keep; 0 truncates the file instead
   */
  public RotatingFileSink(Path path, long maxFileBytes, int keptFiles) {
    this.path = Objects.requireNonNull(path, "path");
    if (maxFileBytes < 1) {
      throw new IllegalArgumentException("maxFileBytes must be 1 or more: " + maxFileBytes);
    }
    if (keptFiles < 0) {
      throw new IllegalArgumentException("keptFiles must be 0 or more: " + keptFiles);
    }
    this.maxFileBytes = maxFileBytes;
    this.keptFiles = keptFiles;
  }

  @Override
  public void write(byte[] line, int offset, int lengthBytes) throws IOException {
    try {
      if (out == null) {
        open();
      }
      if (fileBytes > 0 && fileBytes + lengthBytes > maxFileBytes) {
        rotate();
      }
      out.write(line, offset, lengthBytes);
      fileBytes += lengthBytes;
    } catch (IOException e) {
      abandon();
      throw e;
    }
  }

  @Override
  public void flush() throws IOException {
    if (out == null) {
      return;
    }
    try {
      out.flush();
    } catch (IOException e) {
      abandon();
      throw e;
    }
  }

  @Override
  public void close() throws IOException {
    if (out == null) {
      return;
    }
    try {
      out.close();
    } finally {
      out = null;
      file = null;
    }
  }

  /** The file that rotation number {@code n} (1 is the newest) is kept in. */
  Path rotated(int n) {
    return path.resolveSibling(path.getFileName() + "." + n);
  }

  private void open() throws IOException {
    Path directory = path.toAbsolutePath().getParent();
    if (directory != null) {
      Files.createDirectories(directory);
    }
    boolean needsNewline = endsMidLine();
    // java.io rather than a channel: an interrupt must not close the log under us
    file = new FileOutputStream(path.toFile(), true);
    out = new BufferedOutputStream(file, BUFFER_BYTES);
    fileBytes = Files.size(path);
    if (needsNewline) {
      out.write('\n');
      fileBytes++;
    }
  }

  private boolean endsMidLine() throws IOException {
    if (!Files.isRegularFile(path) || Files.size(path) == 0) {
      return false;
    }
    try (SeekableByteChannel channel = Files.newByteChannel(path)) {
      ByteBuffer last = ByteBuffer.allocate(1);
      channel.position(channel.size() - 1).read(last);
      return last.get(0) != '\n';
    }
  }

  private void rotate() throws IOException {
    close();

    // shift: .N-1 replaces .N (the oldest goes), ..., the live file becomes .1
    if (keptFiles == 0) {
      Files.delete(path);
    } else {
      for (int n = keptFiles - 1; n >= 1; n--) {
        if (Files.exists(rotated(n))) {
          Files.move(rotated(n), rotated(n + 1), StandardCopyOption.REPLACE_EXISTING);
        }
      }
      Files.move(path, rotated(1), StandardCopyOption.REPLACE_EXISTING);
    }

    open();
  }

  /**
   * Closes the file without flushing: the caller counts the buffered lines as lost, and a
   * second attempt could write part of them.
   */
  private void abandon() {
    if (file == null) {
      return;
    }
    try {
      file.close();
    } catch (IOException ignored) {
      // the failure that brought us here is the one reported
    } finally {
      out = null;
      file = null;
    }
  }

  @Override
  public String toString() {
    return "file " + path;
  }
}
