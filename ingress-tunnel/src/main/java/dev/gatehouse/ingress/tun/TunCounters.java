package dev.gatehouse.ingress.tun;

import dev.gatehouse.core.tunnel.StatusCounters;
import dev.gatehouse.core.tunnel.TrafficCounters;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one TUN tunnel moved and dropped since it was created. "In" is from the device to
 * the core, "out" from the core into the device. Written by the reader thread and by every
 * thread that sends; read by anyone (metrics), each value on its own.
 */
public final class TunCounters extends TrafficCounters<TunDropReason> {
  private final LongAdder readErrors = new LongAdder();

  TunCounters() {
    super(TunDropReason.class);
  }

  /** Reads of the device that failed (not counting "nothing to read"). */
  public long readErrors() {
    return readErrors.sum();
  }

  /**
   * Every counter as a tunnel status names it: traffic, one {@code drops.REASON} per {@link
   * TunDropReason}, then {@code read-errors}.
   */
  public Map<String, Long> named() {
    return new StatusCounters().traffic(this).add("read-errors", readErrors()).build();
  }

  void readError() {
    readErrors.increment();
  }
}
