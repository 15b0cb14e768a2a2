package dev.gatehouse.appliance.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for a condition that another thread makes true, failing the test after a bound. */
public final class Await {
  private static final long POLL_MILLIS = 10;

  private Await() {}

  /** Returns as soon as {@code condition} holds; fails with {@code what} after {@code limit}. */
  public static void until(Duration limit, String what, BooleanSupplier condition) throws InterruptedException {
    long deadlineNanos = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadlineNanos > 0) {
        fail("not within " + limit.toMillis() + " ms: " + what);
      }
      Thread.sleep(POLL_MILLIS);
    }
  }
}
