package dev.gatehouse.core.log;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AsyncActivityLogTest {
  private static final long CLOSE_WAIT_MILLIS = 5_000;
  private static final long RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final Duration PATIENCE = Duration.ofSeconds(5);

  @TempDir Path directory;

  @Test
  void dropsAndCountsRecordsWithoutBlockingWhileTheWriterIsStalled() throws Exception {
    StalledSink sink = new StalledSink();
    AsyncActivityLog log = AsyncActivityLog.start(sink, 4, false, CLOSE_WAIT_MILLIS, RETRY_NANOS);
    log.record(TestRecords.end(0));
    assertTrue(sink.entered.await(5, TimeUnit.SECONDS), "the writer never reached the sink");

    // the writer holds record 0 inside write(); four fit in the queue, the rest must go
    assertTimeoutPreemptively(PATIENCE, () -> {
      for (int n = 1; n <= 20; n++) {
        log.record(TestRecords.end(n));
      }
    });

    assertEquals(16, log.droppedQueueFull());
    assertEquals(16, log.droppedRecords());
    sink.release.countDown();
    log.close();
    assertEquals(List.of(0, 1, 2, 3, 4), sink.sessionNumbers());
    assertEquals(5, log.writtenRecords());
    assertEquals(16, log.droppedRecords());
  }

  @Test
  void writesEverythingQueuedBeforeCloseReturns() {
    ByteArrayOutputStream target = new ByteArrayOutputStream();
    AsyncActivityLog log = start(new StreamSink(target, "memory"), 10_000);

    for (int n = 0; n < 5_000; n++) {
      log.record(TestRecords.end(n));
    }
    log.close();

    assertEquals(IntStream.range(0, 5_000).boxed().toList(), sessionNumbers(target));
    assertEquals(5_000, log.writtenRecords());
    assertEquals(0, log.droppedRecords());
  }

  @Test
  void flushesAsSoonAsTheQueueIsEmpty() {
    ByteArrayOutputStream target = new ByteArrayOutputStream();
    AsyncActivityLog log = start(new StreamSink(target, "memory"), 16);

    log.record(TestRecords.end(7));

    // the sink buffers 64 KiB, so only the flush on an empty queue can make this appear
    awaitTrue(() -> target.size() > 0, "the record was never flushed");
    assertEquals(List.of(7), sessionNumbers(target));
    log.close();
  }

  @Test
  void writesOnANamedDaemonThread() throws Exception {
    StalledSink sink = new StalledSink();
    sink.release.countDown();
    AsyncActivityLog log = start(sink, 16);

    log.record(TestRecords.end(0));
    assertTrue(sink.entered.await(5, TimeUnit.SECONDS), "the writer never reached the sink");
    log.close();

    assertEquals("gatehouse-activity-log", sink.writerName);
    assertTrue(sink.writerDaemon);
  }

  @Test
  void skipsStartRecordsUnlessAskedFor() {
    ByteArrayOutputStream endsOnly = new ByteArrayOutputStream();
    ByteArrayOutputStream both = new ByteArrayOutputStream();
    AsyncActivityLog withoutStarts = start(new StreamSink(endsOnly, "memory"), 16);
    AsyncActivityLog withStarts =
        AsyncActivityLog.start(
            new StreamSink(both, "memory"), 16, true, CLOSE_WAIT_MILLIS, RETRY_NANOS);

    for (AsyncActivityLog log : List.of(withoutStarts, withStarts)) {
      log.record(TestRecords.start(1));
      log.record(TestRecords.end(1));
      log.close();
    }

    assertEquals(List.of("SESSION_END"), events(endsOnly));
    assertEquals(List.of("SESSION_START", "SESSION_END"), events(both));
    assertEquals(0, withoutStarts.droppedRecords());
  }

  @Test
  void countsRecordsForAFileThatCannotBeCreatedWithoutThrowing() throws IOException {
    Path notADirectory = directory.resolve("logs");
    Files.writeString(notADirectory, "a regular file where the directory should be");
    ActivityLogSettings settings =
        new ActivityLogSettings(
            ActivityLogSettings.Sink.FILE, notADirectory.resolve("activity.jsonl"),
            1_000_000, 3, 16, false);
    AsyncActivityLog log = ActivityLog.open(settings);

    assertDoesNotThrow(() -> {
      for (int n = 0; n < 3; n++) {
        log.record(TestRecords.end(n));
      }
    });
    log.close();

    assertEquals(3, log.droppedWriteFailed());
    assertEquals(3, log.droppedRecords());
    assertEquals(0, log.writtenRecords());
  }

  @Test
  void leavesAFailedSinkAloneUntilTheBackoffPasses() {
    FailingSink sink = new FailingSink(1);
    AsyncActivityLog log =
        AsyncActivityLog.start(sink, 16, false, CLOSE_WAIT_MILLIS, TimeUnit.HOURS.toNanos(1));

    log.record(TestRecords.end(0));
    awaitTrue(() -> log.droppedWriteFailed() == 1, "the failure was not counted");
    log.record(TestRecords.end(1));
    log.record(TestRecords.end(2));
    log.close();

    assertEquals(1, sink.writeCalls);
    assertEquals(3, log.droppedWriteFailed());
    assertEquals(0, log.writtenRecords());
  }

  @Test
  void triesTheSinkAgainAfterTheBackoff() throws InterruptedException {
    FailingSink sink = new FailingSink(1);
    AsyncActivityLog log = start(sink, 16);

    log.record(TestRecords.end(0));
    awaitTrue(() -> log.droppedWriteFailed() == 1, "the failure was not counted");
    Thread.sleep(10 * TimeUnit.NANOSECONDS.toMillis(RETRY_NANOS) + 10);
    log.record(TestRecords.end(1));
    log.close();

    assertEquals(List.of(1), sink.sessionNumbers());
    assertEquals(1, log.writtenRecords());
    assertEquals(1, log.droppedWriteFailed());
  }

  @Test
  void countsRecordsHandedOverAfterClose() {
    AsyncActivityLog log = start(new StreamSink(new ByteArrayOutputStream(), "memory"), 16);
    log.close();

    log.record(TestRecords.end(0));

    assertEquals(1, log.droppedClosed());
    assertEquals(1, log.droppedRecords());
  }

  @Test
  void stopsWaitingForAStuckSinkAndCountsWhatWasStillQueued() throws Exception {
    StalledSink sink = new StalledSink();
    AsyncActivityLog log = AsyncActivityLog.start(sink, 16, false, 100, RETRY_NANOS);
    log.record(TestRecords.end(0));
    assertTrue(sink.entered.await(5, TimeUnit.SECONDS), "the writer never reached the sink");
    for (int n = 1; n <= 5; n++) {
      log.record(TestRecords.end(n));
    }

    assertTimeoutPreemptively(PATIENCE, log::close);

    assertEquals(5, log.droppedClosed());
    sink.release.countDown();
    assertTrue(sink.closed.await(5, TimeUnit.SECONDS), "the writer never closed the sink");
    assertEquals(List.of(0), sink.sessionNumbers());
  }

  private static AsyncActivityLog start(ActivitySink sink, int queueCapacity) {
    return AsyncActivityLog.start(sink, queueCapacity, false, CLOSE_WAIT_MILLIS, RETRY_NANOS);
  }

  private static void awaitTrue(BooleanSupplier condition, String failure) {
    long deadlineNanos = System.nanoTime() + PATIENCE.toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() - deadlineNanos < 0, failure);
      Thread.onSpinWait();
    }
  }

  private static List<Integer> sessionNumbers(ByteArrayOutputStream target) {
    return sessionNumbers(target.toString(UTF_8).lines().toList());
  }

  private static List<Integer> sessionNumbers(List<String> lines) {
    return lines.stream().map(TestRecords::sessionNumber).toList();
  }

  private static List<String> events(ByteArrayOutputStream target) {
    return target.toString(UTF_8).lines()
        .map(line -> (String) TestRecords.parse(line).get("Event"))
        .toList();
  }

  /** Keeps lines in memory; subclasses decide when a write fails or stalls. */
  private static class MemorySink implements ActivitySink {
    private final List<String> lines = new ArrayList<>();
    final CountDownLatch closed = new CountDownLatch(1);

    @Override
    public void write(byte[] line, int offset, int lengthBytes) throws IOException {
      synchronized (lines) {
        lines.add(new String(line, offset, lengthBytes, UTF_8));
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
      closed.countDown();
    }

    List<Integer> sessionNumbers() {
      synchronized (lines) {
        return AsyncActivityLogTest.sessionNumbers(List.copyOf(lines));
      }
    }
  }

  /** Blocks every write until {@link #release} opens. */
  private static final class StalledSink extends MemorySink {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    volatile String writerName;
    volatile boolean writerDaemon;

    @Override
    public void write(byte[] line, int offset, int lengthBytes) throws IOException {
      writerName = Thread.currentThread().getName();
      writerDaemon = Thread.currentThread().isDaemon();
      entered.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while stalled", e);
      }
      super.write(line, offset, lengthBytes);
    }
  }

  /** Fails its first writes, then keeps lines. */
  private static final class FailingSink extends MemorySink {
    private int failuresLeft;
    volatile int writeCalls;

    FailingSink(int failures) {
      this.failuresLeft = failures;
    }

    @Override
    public void write(byte[] line, int offset, int lengthBytes) throws IOException {
      writeCalls++;
      if (failuresLeft > 0) {
        failuresLeft--;
        throw new IOException("No space left on device");
      }
      super.write(line, offset, lengthBytes);
    }
  }
}
