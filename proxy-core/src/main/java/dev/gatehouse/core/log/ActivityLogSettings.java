package dev.gatehouse.core.log;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How the activity log is written: to standard output or to a rotated file, through a
 * queue of a given size. The appliance's configuration builds one; {@link ActivityLog#open}
 * turns it into a running log.
 *
 * @param sink where the lines go
 * @param path the live file, for {@link Sink#FILE}; rotated files sit beside it
 *     ({@code activity.jsonl.1} is the newest); ignored for {@link Sink#STDOUT}
 * @param maxFileBytes the size past which the file is rotated
 * @param keptFiles how many rotated files are kept; 0 keeps none
 * @param queueCapacity records that may wait for the writer before new ones are dropped
 * @param includeStart whether {@link ActivityEvent#SESSION_START} records are written, on
 *     top of the {@link ActivityEvent#SESSION_END} record every flow gets
 */
public record ActivityLogSettings(
    Sink sink,
    Path path,
    long maxFileBytes,
    int keptFiles,
    int queueCapacity,
    boolean includeStart) {

  /** Rotate at 100 MiB. */
  public static final long DEFAULT_MAX_FILE_BYTES = 100L * 1024 * 1024;
  /** Keep ten rotated files, so at most about 1.1 GiB on disk. */
  public static final int DEFAULT_KEPT_FILES = 10;
  /** Room for a burst of 16384 flow ends (a few MiB of records) while the disk stalls. */
  public static final int DEFAULT_QUEUE_CAPACITY = 16_384;

  /** Where activity lines are written. */
  public enum Sink {
    /** The process's standard output, for a container's log collector. */
    STDOUT,
    /** A file with size-based rotation. */
    FILE
  }

  /**
   * Checks the settings.
   *
   * @throws IllegalArgumentException naming the setting that is missing or out of range
   */
  public ActivityLogSettings {
    Objects.requireNonNull(sink, "sink");
    if (sink == Sink.FILE && path == null) {
      throw new IllegalArgumentException("an activity log file needs a path");
    }
    if (maxFileBytes < 1) {
      throw new IllegalArgumentException("maxFileBytes must be 1 or more: " + maxFileBytes);
    }
    if (keptFiles < 0) {
      throw new IllegalArgumentException("keptFiles must be 0 or more: " + keptFiles);
    }
    if (queueCapacity < 1) {
      throw new IllegalArgumentException("queueCapacity must be 1 or more: " + queueCapacity);
    }
  }

  /** Standard output with the default queue, end records only. */
  public static ActivityLogSettings stdout() {
    return new ActivityLogSettings(
        Sink.STDOUT, null, DEFAULT_MAX_FILE_BYTES, DEFAULT_KEPT_FILES,
        DEFAULT_QUEUE_CAPACITY, false);
  }

  /** A rotated file at {@code path} with the default sizes, end records only. */
  public static ActivityLogSettings file(Path path) {
    return new ActivityLogSettings(
        Sink.FILE, path, DEFAULT_MAX_FILE_BYTES, DEFAULT_KEPT_FILES,
        DEFAULT_QUEUE_CAPACITY, false);
  }
}
