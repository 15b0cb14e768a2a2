package dev.gatehouse.core.log;

import java.io.IOException;

/**
 * Where encoded activity lines end up. A sink is driven by a single thread (the activity
 * log's writer), so implementations need no locking.
 *
 * <p>A sink may buffer: a line handed to {@link #write} is safe only once {@link #flush}
 * returned. After an {@code IOException} the sink stays usable and tries afresh on the next
 * call (reopening a file, say); what the caller does about the failure, and how soon it
 * tries again, is the caller's business.
 */
public interface ActivitySink {

  /**
   * Appends one whole line, newline included. A sink never writes a line in two places
   * (two files, say), even when it rotates.
   */
  void write(byte[] line, int offset, int lengthBytes) throws IOException;

  /** Hands buffered lines to the operating system; no fsync. */
  void flush() throws IOException;

  /** Flushes and releases what the sink holds open. */
  void close() throws IOException;
}
