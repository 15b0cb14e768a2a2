package dev.gatehouse.ingress.tun;

import dev.gatehouse.core.tunnel.TrafficCounters;
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

  void readError() {
    readErrors.increment();
  }
}
