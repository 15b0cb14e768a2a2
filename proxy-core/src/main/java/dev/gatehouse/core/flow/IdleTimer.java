package dev.gatehouse.core.flow;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A flow's idle timeout as one scheduled task, pushed back lazily: traffic only stamps the
 * time ({@link #touch}), and the task, when it fires before the flow has been quiet long
 * enough, re-arms itself for what is left. A busy flow costs one task per timeout, not
 * one per packet. Confined to the flow's loop.
 */
public final class IdleTimer {

  private final EventLoop loop;
  private final long timeoutNanos;
  private final Runnable onIdle;
  private long lastActivityNanos;
  private ScheduledFuture<?> task;
  private boolean cancelled;

  /** A timer that runs {@code onIdle} on {@code loop} once nothing touched it for the timeout. */
  public IdleTimer(EventLoop loop, long timeoutNanos, Runnable onIdle) {
    if (timeoutNanos <= 0) {
      throw new IllegalArgumentException("timeoutNanos must be positive, got " + timeoutNanos);
    }
    this.loop = loop;
    this.timeoutNanos = timeoutNanos;
    this.onIdle = onIdle;
  }

  /** Starts counting from now. */
  public void start() {
    lastActivityNanos = System.nanoTime();
    task = loop.schedule(this::check, timeoutNanos, TimeUnit.NANOSECONDS);
  }

  /** Notes traffic now. */
  public void touch() {
    lastActivityNanos = System.nanoTime();
  }

  /** Stops the timer for good. */
  public void cancel() {
    cancelled = true;
    if (task != null) {
      task.cancel(false);
    }
  }

  private void check() {
    if (cancelled) {
      return;
    }
    long idleNanos = System.nanoTime() - lastActivityNanos;
    if (idleNanos >= timeoutNanos) {
      onIdle.run();
      return;
    }
    task = loop.schedule(this::check, timeoutNanos - idleNanos, TimeUnit.NANOSECONDS);
  }
}
