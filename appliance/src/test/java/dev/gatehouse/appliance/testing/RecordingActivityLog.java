package dev.gatehouse.appliance.testing;

import static org.junit.jupiter.api.Assertions.fail;

import dev.gatehouse.core.log.ActivityEvent;
import dev.gatehouse.core.log.ActivityLog;
import dev.gatehouse.core.log.ActivityRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** An activity log that keeps every record, for tests to wait on and inspect. */
public final class RecordingActivityLog implements ActivityLog {

  private final List<ActivityRecord> records = new ArrayList<>();

  @Override
  public synchronized void record(ActivityRecord record) {
    records.add(record);
    notifyAll();
  }

  @Override
  public long droppedRecords() {
    return 0;
  }

  @Override
  public void close() {}

  /** Every record so far, in order. */
  public synchronized List<ActivityRecord> records() {
    return List.copyOf(records);
  }

  /** The end records so far, in order. */
  public synchronized List<ActivityRecord> ends() {
    return records.stream().filter(r -> r.event() == ActivityEvent.SESSION_END).toList();
  }

  /** The start records so far, in order. */
  public synchronized List<ActivityRecord> starts() {
    return records.stream().filter(r -> r.event() == ActivityEvent.SESSION_START).toList();
  }

  /** Waits until {@code count} end records were written, and returns them. */
  public synchronized List<ActivityRecord> awaitEnds(int count, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (ends().size() < count) {
      long leftMillis = (deadline - System.nanoTime()) / 1_000_000;
      if (leftMillis <= 0) {
        fail("expected " + count + " end record(s) within " + timeout + ", got " + records);
      }
      wait(leftMillis);
    }
    return new ArrayList<>(ends());
  }

  /** Waits for the first end record. */
  public ActivityRecord awaitEnd(Duration timeout) throws InterruptedException {
    return awaitEnds(1, timeout).get(0);
  }
}
