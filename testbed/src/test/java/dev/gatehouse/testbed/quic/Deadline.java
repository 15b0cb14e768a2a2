package dev.gatehouse.testbed.quic;

import io.netty.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** One time bound shared by the steps of a fetch: each step waits only what is left. */
final class Deadline {
  private final long deadlineNanos;
  private final long timeoutMillis;

  Deadline(long timeoutMillis) {
    this.timeoutMillis = timeoutMillis;
    this.deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
  }

  /**
   * What {@code future} gave, once done; a {@link FetchException} with {@code timeoutReason}
   * when the deadline comes first, or naming its failure. A future left pending is not
   * cancelled: Netty fails it when the caller closes the channel, and would warn about a
   * promise that someone else had completed.
   */
  <T> T await(Future<T> future, String timeoutReason) throws FetchException, InterruptedException {
    long leftNanos = Math.max(0, deadlineNanos - System.nanoTime());
    if (!future.await(leftNanos, TimeUnit.NANOSECONDS)) {
      throw new FetchException(timeoutReason, "no answer within " + timeoutMillis + " ms");
    }
    if (!future.isSuccess()) {
      throw FetchException.of(future.cause());
    }
    return future.getNow();
  }
}
