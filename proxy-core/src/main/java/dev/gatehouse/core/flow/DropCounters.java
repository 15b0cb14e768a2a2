package dev.gatehouse.core.flow;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Dropped packets, counted by {@link DropReason} in total and per tunnel. Safe from any
 * thread: tunnel threads and event loops count, metrics read.
 */
public final class DropCounters {

  private static final int REASONS = DropReason.values().length;

  private final AtomicLongArray totals = new AtomicLongArray(REASONS);
  private final Map<String, AtomicLongArray> byTunnel = new ConcurrentHashMap<>();

  /** Counts one packet dropped on {@code tunnel} for {@code reason}. */
  public void count(String tunnel, DropReason reason) {
    totals.incrementAndGet(reason.ordinal());
    byTunnel.computeIfAbsent(tunnel, name -> new AtomicLongArray(REASONS))
        .incrementAndGet(reason.ordinal());
  }

  /** Packets dropped for {@code reason} on every tunnel. */
  public long total(DropReason reason) {
    return totals.get(reason.ordinal());
  }

  /** Packets dropped for {@code reason} on {@code tunnel}. */
  public long forTunnel(String tunnel, DropReason reason) {
    AtomicLongArray counts = byTunnel.get(tunnel);
    return counts == null ? 0 : counts.get(reason.ordinal());
  }
}
