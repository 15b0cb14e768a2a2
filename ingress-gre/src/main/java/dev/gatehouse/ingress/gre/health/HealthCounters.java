package dev.gatehouse.ingress.gre.health;

import java.util.concurrent.atomic.LongAdder;

/**
 * What one tunnel's health check sent and received since it started. Written by the loop
 * that owns the check; read by anyone (metrics), each value on its own.
 */
public final class HealthCounters {
  private final LongAdder probesSent = new LongAdder();
  private final LongAdder probesAnswered = new LongAdder();
  private final LongAdder probesLost = new LongAdder();
  private final LongAdder strayAnswers = new LongAdder();
  private final LongAdder malformedAnswers = new LongAdder();
  private final LongAdder stateChanges = new LongAdder();

  /** Probes built to be sent into the tunnel, the quick confirming ones included. */
  public long probesSent() {
    return probesSent.sum();
  }

  /** Probes whose answer came back in time. */
  public long probesAnswered() {
    return probesAnswered.sum();
  }

  /** Probes whose answer did not come back in time. */
  public long probesLost() {
    return probesLost.sum();
  }

  /**
   * Well-formed echo replies with the check's identifier that answer no probe in flight:
   * late, duplicated, or with a sequence number or data the check did not send. Dropped.
   */
  public long strayAnswers() {
    return strayAnswers.sum();
  }

  /** Packets addressed as an answer whose IP header or ICMP message was broken. Dropped. */
  public long malformedAnswers() {
    return malformedAnswers.sum();
  }

  /** Changes of state. */
  public long stateChanges() {
    return stateChanges.sum();
  }

  void probeSent() {
    probesSent.increment();
  }

  void probeAnswered() {
    probesAnswered.increment();
  }

  void probeLost() {
    probesLost.increment();
  }

  void strayAnswer() {
    strayAnswers.increment();
  }

  void malformedAnswer() {
    malformedAnswers.increment();
  }

  void stateChanged() {
    stateChanges.increment();
  }
}
