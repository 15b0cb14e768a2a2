package dev.gatehouse.core.tunnel;

import java.util.concurrent.atomic.LongAdder;

/**
 * What a tunnel (or one of its peers) moved and dropped since it was created, with drops
 * counted by an ingress's own reason enum. "In" is toward the core, "out" away from it; what
 * a packet is (an inner packet, an outer datagram) is the subclass's to say. Written by any
 * thread, read by anyone (metrics), each value on its own.
 *
 * @param <R> the ingress's drop reasons
 */
public class TrafficCounters<R extends Enum<R>> {
  private final LongAdder packetsIn = new LongAdder();
  private final LongAdder bytesIn = new LongAdder();
  private final LongAdder packetsOut = new LongAdder();
  private final LongAdder bytesOut = new LongAdder();
  private final Class<R> reasons;
  private final LongAdder[] drops;

  /** Counters for the drop reasons of {@code reasons}. */
  protected TrafficCounters(Class<R> reasons) {
    this.reasons = reasons;
    drops = new LongAdder[reasons.getEnumConstants().length];
    for (int i = 0; i < drops.length; i++) {
      drops[i] = new LongAdder();
    }
  }

  /** The drop reasons counted. */
  public Class<R> reasons() {
    return reasons;
  }

  /** Packets in. */
  public long packetsIn() {
    return packetsIn.sum();
  }

  /** Bytes of the packets in. */
  public long bytesIn() {
    return bytesIn.sum();
  }

  /** Packets out. */
  public long packetsOut() {
    return packetsOut.sum();
  }

  /** Bytes of the packets out. */
  public long bytesOut() {
    return bytesOut.sum();
  }

  /** Packets dropped for {@code reason}. */
  public long drops(R reason) {
    return drops[reason.ordinal()].sum();
  }

  /** Packets dropped for any reason. */
  public long totalDrops() {
    long total = 0;
    for (LongAdder drop : drops) {
      total += drop.sum();
    }
    return total;
  }

  /** Counts one packet in, of {@code lengthBytes}. */
  public void packetIn(int lengthBytes) {
    packetsIn.increment();
    bytesIn.add(lengthBytes);
  }

  /** Counts one packet out, of {@code lengthBytes}. */
  public void packetOut(int lengthBytes) {
    packetsOut.increment();
    bytesOut.add(lengthBytes);
  }

  /** Counts one packet dropped for {@code reason}. */
  public void drop(R reason) {
    drops[reason.ordinal()].increment();
  }
}
