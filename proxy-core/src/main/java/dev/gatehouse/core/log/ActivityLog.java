package dev.gatehouse.core.log;

/**
 * Where flow events go. Implementations never block the caller, which may be an event
 * loop: a record that cannot be queued is dropped and counted, never waited for.
 */
public interface ActivityLog extends AutoCloseable {

  /** Hands over one record; safe from any thread. */
  void record(ActivityRecord record);

  /** Records handed over but dropped because the sink could not keep up or failed. */
  long droppedRecords();

  /** Writes out what is queued and releases the sink. */
  @Override
  void close();

  /** Starts the log that {@code settings} describe; see {@link AsyncActivityLog}. */
  static AsyncActivityLog open(ActivityLogSettings settings) {
    ActivitySink sink =
        switch (settings.sink()) {
          case STDOUT -> StreamSink.stdout();
          case FILE ->
              new RotatingFileSink(settings.path(), settings.maxFileBytes(), settings.keptFiles());
        };
    return AsyncActivityLog.start(sink, settings.queueCapacity(), settings.includeStart());
  }

  /** A log that keeps nothing, for tools and tests that have no use for records. */
  static ActivityLog discarding() {
    return new ActivityLog() {
      @Override
      public void record(ActivityRecord record) {}

      @Override
      public long droppedRecords() {
        return 0;
      }

      @Override
      public void close() {}
    };
  }
}
