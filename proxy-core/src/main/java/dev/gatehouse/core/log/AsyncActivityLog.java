package dev.gatehouse.core.log;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An activity log that queues records and writes them on a thread of its own, so that
 * {@link #record} returns at once whatever the disk is doing.
 *
 * <p>The queue is bounded. A record that finds it full is dropped and counted, never waited
 * for: the caller may be an event loop, and a slow disk must not slow traffic. The writer
 * thread, named {@value #WRITER_THREAD_NAME}, takes records in batches and flushes the
 * sink whenever it has emptied the queue, so someone tailing the output sees each record
 * promptly while a burst still goes out in large writes. It never calls fsync.
 *
 * <p>When the sink fails, the records it had not yet flushed are counted as dropped, one
 * WARN line names the sink and the error, and new records are dropped without touching the
 * sink until a backoff has passed (one second, doubling up to a minute); then the writer
 * tries again. Recovery is logged at INFO with the number of records lost meanwhile.
 */
public final class AsyncActivityLog implements ActivityLog {
  /** The writer thread's name, as thread dumps show it. */
  public static final String WRITER_THREAD_NAME = "gatehouse-activity-log";

  private static final Logger log = LoggerFactory.getLogger(AsyncActivityLog.class);

  private static final int BATCH_RECORDS = 256;
  private static final long CLOSE_WAIT_MILLIS = 5_000;
  private static final long RETRY_MIN_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final long RETRY_MAX_NANOS = TimeUnit.MINUTES.toNanos(1);
  private static final long OVERFLOW_WARN_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

  /** Queued by {@link #close} to wake a writer waiting on an empty queue; never written. */
  private static final ActivityRecord WAKE_UP =
      new ActivityRecord(
          ActivityEvent.SESSION_START, "wake-up", Instant.EPOCH, null, "none",
          InetSocketAddress.createUnresolved("wake-up", 0), InetAddress.getLoopbackAddress(),
          InetSocketAddress.createUnresolved("wake-up", 0),
          null, null, null, null, "none", "none", null, -1, 0, 0, 0, 0, -1, -1,
          null, null, -1, null, null, null);

  private final ActivitySink sink;
  private final int queueCapacity;
  private final ArrayBlockingQueue<ActivityRecord> queue;
  private final boolean includeStart;
  private final long closeWaitMillis;
  private final Thread writer;

  private final AtomicBoolean closeCalled = new AtomicBoolean();
  private volatile boolean closing;

  private final LongAdder droppedQueueFull = new LongAdder();
  private final LongAdder droppedWriteFailed = new LongAdder();
  private final LongAdder droppedClosed = new LongAdder();
  private final LongAdder writtenRecords = new LongAdder();

  private AsyncActivityLog(
      ActivitySink sink,
      int queueCapacity,
      boolean includeStart,
      long closeWaitMillis,
      long retryMinNanos) {
    if (queueCapacity < 1) {
      throw new IllegalArgumentException("queueCapacity must be 1 or more: " + queueCapacity);
    }
    this.sink = Objects.requireNonNull(sink, "sink");
    this.queueCapacity = queueCapacity;
    this.queue = new ArrayBlockingQueue<>(queueCapacity);
    this.includeStart = includeStart;
    this.closeWaitMillis = closeWaitMillis;
    this.writer =
        Thread.ofPlatform()
            .name(WRITER_THREAD_NAME)
            // a log nobody closed must not keep the process alive
            .daemon(true)
            .unstarted(new Writer(retryMinNanos));
  }

  /**
   * Starts a log writing to {@code sink}, which from now on belongs to the writer thread.
   *
   * @param queueCapacity records that may wait for the writer before new ones are dropped
   * @param includeStart whether {@link ActivityEvent#SESSION_START} records are written;
   *     when not, they are skipped without being counted
   */
  public static AsyncActivityLog start(
      ActivitySink sink, int queueCapacity, boolean includeStart) {
    return start(sink, queueCapacity, includeStart, CLOSE_WAIT_MILLIS, RETRY_MIN_NANOS);
  }

  /** As {@link #start(ActivitySink, int, boolean)}, with the waits tests need shorter. */
  static AsyncActivityLog start(
      ActivitySink sink,
      int queueCapacity,
      boolean includeStart,
      long closeWaitMillis,
      long retryMinNanos) {
    AsyncActivityLog activityLog =
        new AsyncActivityLog(sink, queueCapacity, includeStart, closeWaitMillis, retryMinNanos);
    activityLog.writer.start();
    return activityLog;
  }

  /** Queues the record, or drops and counts it if the queue is full; never waits. */
  @Override
  public void record(ActivityRecord record) {
    Objects.requireNonNull(record, "record");
    if (record.event() == ActivityEvent.SESSION_START && !includeStart) {
      return;
    }
    if (closing) {
      droppedClosed.increment();
      return;
    }
    if (!queue.offer(record)) {
      droppedQueueFull.increment();
    }
  }

  @Override
  public long droppedRecords() {
    return droppedQueueFull.sum() + droppedWriteFailed.sum() + droppedClosed.sum();
  }

  /** Records dropped because the queue was full when they were handed over. */
  public long droppedQueueFull() {
    return droppedQueueFull.sum();
  }

  /**
   * Records dropped because the sink failed: those it held unflushed when it failed, and
   * those that arrived while the writer was waiting to try it again. A record the operating
   * system had already taken before the failure may be among them.
   */
  public long droppedWriteFailed() {
    return droppedWriteFailed.sum();
  }

  /** Records handed over after {@link #close} began, or still queued when it gave up. */
  public long droppedClosed() {
    return droppedClosed.sum();
  }

  /** Records the sink accepted and flushed to the operating system. */
  public long writtenRecords() {
    return writtenRecords.sum();
  }

  /**
   * Writes out what is queued, flushes and closes the sink. Waits for the writer at most
   * five seconds; if the sink is stuck longer, the records still queued are dropped and
   * counted, and the writer closes the sink whenever the stuck write returns.
   */
  @Override
  public void close() {
    if (!closeCalled.compareAndSet(false, true)) {
      return;
    }
    closing = true;
    // if the queue is full the writer is busy, and will notice closing once it is empty
    queue.offer(WAKE_UP);

    boolean finished = awaitWriter();
    // TODO(#11): records a stuck writer already took into its batch are counted (written or
    // dropped) only if the stuck write returns; a sink that never returns loses them uncounted
    long abandoned = dropQueued();
    if (!finished) {
      log.warn(
          "activity log writer did not finish in time; dropped queued records"
              + " sink={} waitMillis={} dropped={}",
          sink, closeWaitMillis, abandoned);
    }
  }

  private boolean awaitWriter() {
    try {
      writer.join(closeWaitMillis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return !writer.isAlive();
  }

  /** Counts what is left: a stuck writer's queue, or a record that raced with close. */
  private long dropQueued() {
    List<ActivityRecord> left = new ArrayList<>();
    queue.drainTo(left);
    long dropped = left.stream().filter(record -> record != WAKE_UP).count();
    droppedClosed.add(dropped);
    return dropped;
  }

  /** Lets the encoder write into a buffer that is reused for every record. */
  private static final class LineBuffer extends ByteArrayOutputStream {
    LineBuffer() {
      super(512);
    }

    byte[] bytes() {
      return buf;
    }
  }

  /** The writer thread's loop; its fields belong to that thread alone. */
  private final class Writer implements Runnable {
    private final ActivityLineEncoder encoder = new ActivityLineEncoder();
    private final LineBuffer line = new LineBuffer();
    private final List<ActivityRecord> batch = new ArrayList<>(BATCH_RECORDS);
    private final long retryMinNanos;

    /** Records handed to the sink since its last successful flush. */
    private int unflushedRecords;

    private boolean failing;
    private long retryAtNanos;
    private long retryBackoffNanos;
    private long droppedBeforeFailure;

    private long overflowReported;
    private long nextOverflowWarnNanos = System.nanoTime();

    Writer(long retryMinNanos) {
      this.retryMinNanos = retryMinNanos;
    }

    @Override
    public void run() {
      while (!(closing && queue.isEmpty())) {
        if (!takeBatch()) {
          continue;
        }
        for (ActivityRecord record : batch) {
          if (record != WAKE_UP) {
            write(record);
          }
        }
        batch.clear();

        reportOverflow();
        if (queue.isEmpty()) {
          flush();
        }
      }
      flush();
      closeSink();
    }

    private boolean takeBatch() {
      try {
        batch.add(queue.take());
      } catch (InterruptedException e) {
        // only close() ends the writer, and it wakes the writer itself
        return false;
      }
      queue.drainTo(batch, BATCH_RECORDS - 1);
      return true;
    }

    private void write(ActivityRecord record) {
      long nowNanos = System.nanoTime();
      if (failing && nowNanos - retryAtNanos < 0) {
        droppedWriteFailed.increment();
        return;
      }

      line.reset();
      try {
        encoder.write(record, line);
      } catch (IOException | RuntimeException e) {
        // a bug, since the record was checked when built; the writer must outlive it
        droppedWriteFailed.increment();
        log.warn("activity record not encodable; dropped session={} error={}",
            record.sessionId(), e.toString());
        return;
      }

      unflushedRecords++;
      try {
        sink.write(line.bytes(), 0, line.size());
      } catch (IOException | RuntimeException e) {
        failed(e, nowNanos);
      }
    }

    private void flush() {
      if (unflushedRecords == 0) {
        return;
      }
      try {
        sink.flush();
      } catch (IOException | RuntimeException e) {
        failed(e, System.nanoTime());
        return;
      }
      writtenRecords.add(unflushedRecords);
      unflushedRecords = 0;
      if (failing) {
        failing = false;
        log.info("activity log writing again sink={} droppedWhileFailing={}",
            sink, droppedWriteFailed.sum() - droppedBeforeFailure);
      }
    }

    private void failed(Exception e, long nowNanos) {
      if (failing) {
        retryBackoffNanos = Math.min(retryBackoffNanos * 2, RETRY_MAX_NANOS);
        log.debug("activity log still failing sink={} error={}", sink, e.toString());
      } else {
        failing = true;
        retryBackoffNanos = retryMinNanos;
        droppedBeforeFailure = droppedWriteFailed.sum();
        log.warn("activity log write failed; dropping records until it recovers"
            + " sink={} error={}", sink, e.toString());
        log.debug("activity log write failure sink={}", sink, e);
      }
      droppedWriteFailed.add(unflushedRecords);
      unflushedRecords = 0;
      retryAtNanos = nowNanos + retryBackoffNanos;
    }

    /** A WARN at most once a minute while records are being dropped for want of room. */
    private void reportOverflow() {
      long dropped = droppedQueueFull.sum();
      long nowNanos = System.nanoTime();
      if (dropped > overflowReported && nowNanos - nextOverflowWarnNanos >= 0) {
        log.warn("activity log queue full; records dropped sink={} queueCapacity={}"
            + " droppedQueueFull={}", sink, queueCapacity, dropped);
        overflowReported = dropped;
        nextOverflowWarnNanos = nowNanos + OVERFLOW_WARN_INTERVAL_NANOS;
      }
    }

    private void closeSink() {
      try {
        sink.close();
      } catch (IOException | RuntimeException e) {
        log.warn("activity log sink did not close cleanly sink={} error={}", sink, e.toString());
      }
    }
  }
}
