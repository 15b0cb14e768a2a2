package dev.gatehouse.ingress.wireguard;

import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToLongFunction;

/**
 * What a device, or one of its peers, moved and dropped. "In" counts authenticated
 * datagrams received, "out" datagrams sent, with their whole UDP payload. Written by the
 * device's thread, read by anyone (metrics), each value on its own. A sum of several
 * ({@link #sumOf}) reads its parts live and is never written.
 */
public final class WireGuardCounters {
  private final LongAdder packetsIn = new LongAdder();
  private final LongAdder bytesIn = new LongAdder();
  private final LongAdder packetsOut = new LongAdder();
  private final LongAdder bytesOut = new LongAdder();
  private final LongAdder[] drops = new LongAdder[WireGuardDropReason.values().length];
  private final List<WireGuardCounters> parts;

  WireGuardCounters() {
    this(null);
  }

  private WireGuardCounters(List<WireGuardCounters> parts) {
    this.parts = parts;
    for (int i = 0; i < drops.length; i++) {
      drops[i] = new LongAdder();
    }
  }

  /** The live sum of {@code parts}: every read adds up the parts' values then. */
  static WireGuardCounters sumOf(List<WireGuardCounters> parts) {
    return new WireGuardCounters(List.copyOf(parts));
  }

  private long sum(ToLongFunction<WireGuardCounters> value, LongAdder own) {
    if (parts == null) {
      return own.sum();
    }
    long total = 0;
    for (WireGuardCounters part : parts) {
      total += value.applyAsLong(part);
    }
    return total;
  }

  /** Authenticated datagrams received. */
  public long packetsIn() {
    return sum(WireGuardCounters::packetsIn, packetsIn);
  }

  /** Bytes of the authenticated datagrams received. */
  public long bytesIn() {
    return sum(WireGuardCounters::bytesIn, bytesIn);
  }

  /** Datagrams sent. */
  public long packetsOut() {
    return sum(WireGuardCounters::packetsOut, packetsOut);
  }

  /** Bytes of the datagrams sent. */
  public long bytesOut() {
    return sum(WireGuardCounters::bytesOut, bytesOut);
  }

  /** Datagrams or packets dropped for {@code reason}. */
  public long drops(WireGuardDropReason reason) {
    return sum(part -> part.drops(reason), drops[reason.ordinal()]);
  }

  /** Drops for any reason. */
  public long totalDrops() {
    long total = 0;
    for (WireGuardDropReason reason : WireGuardDropReason.values()) {
      total += drops(reason);
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
