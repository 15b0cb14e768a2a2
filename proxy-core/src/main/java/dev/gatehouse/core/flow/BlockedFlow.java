package dev.gatehouse.core.flow;

import dev.gatehouse.core.log.ActivityLog;
import dev.gatehouse.core.log.CloseReason;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.wire.IpPacket;
import java.time.Duration;

/**
 * A datagram flow (UDP, ICMP echo) that is blocked: nothing reaches the origin. The flow
 * absorbs the client's retries and ends, once they stop, in one activity record (close
 * reason {@code POLICY_BLOCKED}) rather than a record per datagram. It counts toward its
 * engine's bound on open flows, so a flood of blocked datagrams cannot grow the flow table
 * without limit. A blocked QUIC Initial (HTTP/3 sent back to TCP) is such a flow too.
 */
public final class BlockedFlow implements Flow {
  /** Ours: clients give up on a blocked flow within a few seconds; the record follows soon after. */
  public static final Duration LINGER = Duration.ofSeconds(10);

  private final FlowKey key;
  private final TunnelContext from;
  private final FlowLoop loop;
  private final ActivityLog activityLog;
  private final FlowAccount account;
  private final DropReason dropReason;
  private final Runnable onEnd;
  private final IdleTimer idleTimer;
  private boolean closed;

  /**
   * @param account the flow's account, already holding what decided the block
   * @param dropReason what each of the flow's packets is counted as
   * @param linger how long the flow outlives the client's last packet
   * @param onEnd run once when the flow ends, to give back its place in the engine's bound
   */
  public BlockedFlow(FlowKey key, TunnelContext from, FlowLoop loop, ActivityLog activityLog,
      FlowAccount account, DropReason dropReason, Duration linger, Runnable onEnd) {
    this.key = key;
    this.from = from;
    this.loop = loop;
    this.activityLog = activityLog;
    this.account = account;
    this.dropReason = dropReason;
    this.onEnd = onEnd;
    this.idleTimer = new IdleTimer(loop.eventLoop(), linger.toNanos(), () -> close(CloseReason.POLICY_BLOCKED));
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

  /** Ends the flow; whatever {@code reason}, it was blocked, and its record says so. */
  @Override
  public void close(CloseReason reason) {
    if (closed) {
      return;
    }
    closed = true;
    idleTimer.cancel();
    loop.table().remove(key, this);
    onEnd.run();
    activityLog.record(account.endRecord(key, from, null, CloseReason.POLICY_BLOCKED));
  }
}
