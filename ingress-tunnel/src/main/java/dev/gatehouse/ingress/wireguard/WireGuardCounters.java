package dev.gatehouse.ingress.wireguard;

import dev.gatehouse.core.tunnel.TrafficCounters;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * What a device, or one of its peers, moved and dropped. "In" counts authenticated
 * datagrams received, "out" datagrams sent, with their whole UDP payload; drops are counted
 * by {@link WireGuardDropReason}. Written by the device's thread, read by anyone (metrics),
 * each value on its own. A sum of several ({@link #sumOf}, a tunnel's shards) reads its
 * parts live and is never written.
 */
public final class WireGuardCounters extends TrafficCounters<WireGuardDropReason> {
  private final List<WireGuardCounters> parts;

  WireGuardCounters() {
    this(null);
  }

  private WireGuardCounters(List<WireGuardCounters> parts) {
    super(WireGuardDropReason.class);
    this.parts = parts;
  }

  /** The live sum of {@code parts}: every read adds up the parts' values then. */
  static WireGuardCounters sumOf(List<WireGuardCounters> parts) {
    return new WireGuardCounters(List.copyOf(parts));
  }

  @Override
  public long packetsIn() {
    return parts == null ? super.packetsIn() : total(WireGuardCounters::packetsIn);
  }

  @Override
  public long bytesIn() {
    return parts == null ? super.bytesIn() : total(WireGuardCounters::bytesIn);
  }

  @Override
  public long packetsOut() {
    return parts == null ? super.packetsOut() : total(WireGuardCounters::packetsOut);
  }

  @Override
  public long bytesOut() {
    return parts == null ? super.bytesOut() : total(WireGuardCounters::bytesOut);
  }

  @Override
  public long drops(WireGuardDropReason reason) {
    return parts == null ? super.drops(reason) : total(part -> part.drops(reason));
  }

  @Override
  public long totalDrops() {
    return parts == null ? super.totalDrops() : total(WireGuardCounters::totalDrops);
  }

  @Override
  public void packetIn(int lengthBytes) {
    requireWritable();
    super.packetIn(lengthBytes);
  }

  @Override
  public void packetOut(int lengthBytes) {
    requireWritable();
    super.packetOut(lengthBytes);
  }

  @Override
  public void drop(WireGuardDropReason reason) {
    requireWritable();
    super.drop(reason);
  }

  private void requireWritable() {
    if (parts != null) {
      throw new IllegalStateException("a sum of counters is read-only");
    }
  }

  private long total(ToLongFunction<WireGuardCounters> value) {
    long total = 0;
    for (WireGuardCounters part : parts) {
      total += value.applyAsLong(part);
    }
    return total;
  }
}
