package dev.gatehouse.ingress.gre;

import java.util.concurrent.atomic.LongAdder;

/**
 * What one GRE tunnel moved and dropped since it was created. "In" is from the site to the
 * core, "out" from the core to the site. Written by the tunnel's reader and loop; read by
 * anyone (metrics), each value on its own.
 */
public final class GreCounters {
  private final LongAdder packetsIn = new LongAdder();
  private final LongAdder bytesIn = new LongAdder();
  private final LongAdder packetsOut = new LongAdder();
  private final LongAdder bytesOut = new LongAdder();
  private final LongAdder keepalivesAnswered = new LongAdder();
  private final LongAdder mssClamped = new LongAdder();
  private final LongAdder fragmentsOut = new LongAdder();
  private final LongAdder tooBigErrors = new LongAdder();
  private final LongAdder readErrors = new LongAdder();
  private final LongAdder[] drops = new LongAdder[GreDropReason.values().length];

  public GreCounters() {
    for (int i = 0; i < drops.length; i++) {
      drops[i] = new LongAdder();
    }
  }

  /** Inner packets handed to the core. */
  public long packetsIn() {
    return packetsIn.sum();
  }

  /** Bytes of the inner packets handed to the core. */
  public long bytesIn() {
    return bytesIn.sum();
  }

  /** GRE packets sent to the site (each fragment counts once; keepalive answers do not). */
  public long packetsOut() {
    return packetsOut.sum();
  }

  /** Bytes of the GRE packets sent to the site, GRE header included, outer IP header not. */
  public long bytesOut() {
    return bytesOut.sum();
  }

  /** GRE keepalives from the site sent back to it. */
  public long keepalivesAnswered() {
    return keepalivesAnswered.sum();
  }

  /** TCP SYN and SYN-ACK segments whose MSS option was lowered, both directions. */
  public long mssClamped() {
    return mssClamped.sum();
  }

  /** IPv4 fragments made of inner packets longer than the MTU with DF clear. */
  public long fragmentsOut() {
    return fragmentsOut.sum();
  }

  /** ICMP "fragmentation needed" and ICMPv6 "packet too big" errors given to the core. */
  public long tooBigErrors() {
    return tooBigErrors.sum();
  }

  /** Reads of the outer socket that failed (not counting "nothing to read"). */
  public long readErrors() {
    return readErrors.sum();
  }

  /** Packets dropped for {@code reason}. */
  public long drops(GreDropReason reason) {
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

  void keepaliveAnswered() {
    keepalivesAnswered.increment();
  }

  void clampedMss() {
    mssClamped.increment();
  }

  void fragmentOut() {
    fragmentsOut.increment();
  }

  void tooBigError() {
    tooBigErrors.increment();
  }

  void readError() {
    readErrors.increment();
  }

  void drop(GreDropReason reason) {
    drops[reason.ordinal()].increment();
  }
}
