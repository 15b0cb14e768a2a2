package dev.gatehouse.core.flow;

import dev.gatehouse.core.log.ActivityLog;
import dev.gatehouse.core.log.CloseReason;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.wire.IpPacket;
import java.time.Duration;

/**
 * A datagram flow (UDP, ICMP echo) that goes nowhere: a policy blocked it (a blocked QUIC
 * Initial, which sends HTTP/3 back to TCP, included), or its origin socket could not be
 * opened. The flow absorbs the client's retries, each dropped and counted, and ends once
 * they stop, in one activity record rather than a record per datagram. It counts toward
 * its engine's bound on open flows, so a flood of such datagrams cannot grow the flow
 * table without limit.
 */
public final class DiscardFlow implements Flow {
  /** Ours: clients give up on such a flow within a few seconds; the record follows soon after. */
  public static final Duration LINGER = Duration.ofSeconds(10);

  private final FlowKey key;
  private final TunnelContext from;
  private final FlowLoop loop;
  private final ActivityLog activityLog;
  private final FlowAccount account;
  private final DropReason dropReason;
  private final CloseReason closeReason;
  private final Runnable onEnd;
  private final IdleTimer idleTimer;
  private boolean closed;

  /**
   * @param account the flow's account, already holding what decided it (a verdict)
   * @param dropReason what each of the flow's packets is counted as
   * @param closeReason what its record gives as the reason it ended
   * @param linger how long the flow outlives the client's last packet
   * @param onEnd run once when the flow ends, to give back its place in the engine's bound
   */
  public DiscardFlow(FlowKey key, TunnelContext from, FlowLoop loop, ActivityLog activityLog,
      FlowAccount account, DropReason dropReason, CloseReason closeReason, Duration linger, Runnable onEnd) {
    this.key = key;
    this.from = from;
    this.loop = loop;
    this.activityLog = activityLog;
    this.account = account;
    this.dropReason = dropReason;
    this.closeReason = closeReason;
    this.onEnd = onEnd;
    this.idleTimer = new IdleTimer(loop.eventLoop(), linger.toNanos(), () -> close(closeReason));
    idleTimer.start();
  }

  @Override
  public void receive(IpPacket packet) {
    if (closed) {
      return;
    }
    idleTimer.touch();
    account.countPacketSent();
    loop.drop(from, dropReason);
  }

  /** Ends the flow; whatever {@code reason}, its record gives the reason it went nowhere. */
  @Override
  public void close(CloseReason reason) {
    if (closed) {
      return;
    }
    closed = true;
    idleTimer.cancel();
    loop.table().remove(key, this);
    onEnd.run();
    activityLog.record(account.endRecord(key, from, null, closeReason));
  }
}
