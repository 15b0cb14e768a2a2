package dev.gatehouse.ingress.wireguard;

import java.util.concurrent.atomic.LongAdder;

/**
 * What a device, or one of its peers, moved and dropped. "In" counts authenticated
 * datagrams received, "out" datagrams sent, with their whole UDP payload. Written by the
 * device's thread, read by anyone (metrics), each value on its own.
 */
public final class WireGuardCounters {
  private final LongAdder packetsIn = new LongAdder();
  private final LongAdder bytesIn = new LongAdder();
  private final LongAdder packetsOut = new LongAdder();
  private final LongAdder bytesOut = new LongAdder();
  private final LongAdder[] drops = new LongAdder[WireGuardDropReason.values().length];

  WireGuardCounters() {
    for (int i = 0; i < drops.length; i++) {
      drops[i] = new LongAdder();
    }
  }

  /** Authenticated datagrams received. */
  public long packetsIn() {
    return packetsIn.sum();
  }

  /** Bytes of the authenticated datagrams received. */
  public long bytesIn() {
    return bytesIn.sum();
  }

  /** Datagrams sent. */
  public long packetsOut() {
    return packetsOut.sum();
  }

  /** Bytes of the datagrams sent. */
  public long bytesOut() {
    return bytesOut.sum();
  }

  /** Datagrams or packets dropped for {@code reason}. */
  public long drops(WireGuardDropReason reason) {
    return drops[reason.ordinal()].sum();
  }

  /** Drops for any reason. */
  public long totalDrops() {
    long total = 0;
    for (LongAdder drop : drops) {
      total += drop.sum();
    }
    return total;
  }

  void packetIn(int lengthBytes) {
    packetsIn.increment();
    bytesIn.add(lengthBytes);
  }

  void packetOut(int lengthBytes) {
    packetsOut.increment();
    bytesOut.add(lengthBytes);
  }

  void drop(WireGuardDropReason reason) {
    drops[reason.ordinal()].increment();
  }
}
