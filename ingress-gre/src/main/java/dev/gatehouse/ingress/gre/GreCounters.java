package dev.gatehouse.ingress.gre;

import dev.gatehouse.core.tunnel.StatusCounters;
import dev.gatehouse.core.tunnel.TrafficCounters;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one GRE tunnel moved and dropped since it was created. "In" counts inner packets
 * handed to the core; "out" GRE packets sent to the site (each fragment once; keepalive
 * answers not), their bytes with the GRE header and without the outer IP header. Written by
 * the tunnel's reader and loop; read by anyone (metrics), each value on its own.
 */
public final class GreCounters extends TrafficCounters<GreDropReason> {
  private final LongAdder keepalivesAnswered = new LongAdder();
  private final LongAdder mssClamped = new LongAdder();
  private final LongAdder fragmentsOut = new LongAdder();
  private final LongAdder tooBigErrors = new LongAdder();
  private final LongAdder readErrors = new LongAdder();

  public GreCounters() {
    super(GreDropReason.class);
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

  /**
   * Every counter as a tunnel status names it: traffic, one {@code drops.REASON} per {@link
   * GreDropReason}, then {@code keepalives-answered}, {@code mss-clamped}, {@code
   * fragments.out}, {@code too-big-errors} and {@code read-errors}.
   */
  public Map<String, Long> named() {
    return new StatusCounters().traffic(this)
        .add("keepalives-answered", keepalivesAnswered())
        .add("mss-clamped", mssClamped())
        .add("fragments.out", fragmentsOut())
        .add("too-big-errors", tooBigErrors())
        .add("read-errors", readErrors())
        .build();
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
}
