package dev.gatehouse.ingress.tun;

import java.util.concurrent.atomic.LongAdder;

/**
 * What one TUN tunnel moved and dropped since it was created. "In" is from the device to
 * the core, "out" from the core into the device. Written by the reader thread and by every
 * thread that sends; read by anyone (metrics), each value on its own.
 */
public final class TunCounters {
  private final LongAdder packetsIn = new LongAdder();
  private final LongAdder bytesIn = new LongAdder();
  private final LongAdder packetsOut = new LongAdder();
  private final LongAdder bytesOut = new LongAdder();
  private final LongAdder readErrors = new LongAdder();
  private final LongAdder[] drops = new LongAdder[TunDropReason.values().length];

  TunCounters() {
    for (int i = 0; i < drops.length; i++) {
      drops[i] = new LongAdder();
    }
  }

  /** Packets handed to the core. */
  public long packetsIn() {
    return packetsIn.sum();
  }

  /** Bytes of the packets handed to the core. */
  public long bytesIn() {
    return bytesIn.sum();
  }

  /** Packets written into the device. */
  public long packetsOut() {
    return packetsOut.sum();
  }

  /** Bytes of the packets written into the device. */
  public long bytesOut() {
    return bytesOut.sum();
  }

  /** Reads of the device that failed (not counting "nothing to read"). */
  public long readErrors() {
    return readErrors.sum();
  }

  /** Packets dropped for {@code reason}. */
  public long drops(TunDropReason reason) {
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

  void packetIn(int lengthBytes) {
    packetsIn.increment();
    bytesIn.add(lengthBytes);
  }

  void packetOut(int lengthBytes) {
    packetsOut.increment();
    bytesOut.add(lengthBytes);
  }

  void readError() {
    readErrors.increment();
  }

  void drop(TunDropReason reason) {
    drops[reason.ordinal()].increment();
  }
}
