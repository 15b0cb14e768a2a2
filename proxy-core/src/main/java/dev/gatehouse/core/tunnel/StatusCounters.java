package dev.gatehouse.core.tunnel;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * Builds the counters of a {@link TunnelStatus} in its order and with its names: traffic
 * first, then one entry per drop reason, then what the type adds. Confined to the thread that
 * builds one status.
 */
public final class StatusCounters {
  /** Inner or outer packets toward the core, as the tunnel's type counts them. */
  public static final String PACKETS_IN = "packets.in";
  /** Bytes of {@link #PACKETS_IN}. */
  public static final String BYTES_IN = "bytes.in";
  /** Packets away from the core. */
  public static final String PACKETS_OUT = "packets.out";
  /** Bytes of {@link #PACKETS_OUT}. */
  public static final String BYTES_OUT = "bytes.out";
  /** What each drop reason's name starts with. */
  public static final String DROPS_PREFIX = "drops.";

  private final Map<String, Long> values = new LinkedHashMap<>();

  /** Counters with nothing in them yet. */
  public StatusCounters() {}

  /** The name of {@code reason}'s drops: {@code IN_SOURCE_NOT_ALLOWED} gives {@code drops.in-source-not-allowed}. */
  public static String dropName(Enum<?> reason) {
    return DROPS_PREFIX + reason.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** Adds the four traffic counters. */
  public StatusCounters traffic(long packetsIn, long bytesIn, long packetsOut, long bytesOut) {
    return add(PACKETS_IN, packetsIn).add(BYTES_IN, bytesIn).add(PACKETS_OUT, packetsOut).add(BYTES_OUT, bytesOut);
  }

  /** Adds the traffic of {@code counters}, then its drops by every reason, in the enum's order. */
  public <R extends Enum<R>> StatusCounters traffic(TrafficCounters<R> counters) {
    traffic(counters.packetsIn(), counters.bytesIn(), counters.packetsOut(), counters.bytesOut());
    return drops(counters.reasons(), counters::drops);
  }

  /** Adds one entry per reason of {@code reasons}, in the enum's order, each {@code dropsOf} it. */
  public <R extends Enum<R>> StatusCounters drops(Class<R> reasons, ToLongFunction<R> dropsOf) {
    for (R reason : reasons.getEnumConstants()) {
      add(dropName(reason), dropsOf.applyAsLong(reason));
    }
    return this;
  }

  /**
   * Adds {@code value} under {@code name}, after the entries so far; a name already there keeps
   * its place and gets the sum (so two layers that name one drop reason alike, each counting
   * the drops it made, show their total).
   */
  public StatusCounters add(String name, long value) {
    values.merge(name, value, Long::sum);
    return this;
  }

  /** What was added, in order; {@link TunnelStatus} copies and checks it. */
  public Map<String, Long> build() {
    return new LinkedHashMap<>(values);
  }
}
