package dev.gatehouse.core.udp;

import dev.gatehouse.core.flow.DropReason;
import dev.gatehouse.core.flow.Flow;
import dev.gatehouse.core.flow.FlowAccount;
import dev.gatehouse.core.flow.FlowKey;
import dev.gatehouse.core.flow.FlowLoop;
import dev.gatehouse.core.flow.IdleTimer;
import dev.gatehouse.core.log.ActivityLog;
import dev.gatehouse.core.log.CloseReason;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.wire.IpPacket;
import java.time.Duration;

/**
 * A QUIC flow the UDP engine blocks: nothing reaches the origin, so the browser gives up
 * on HTTP/3 and falls back to HTTP/2 over TCP, where SNI and Host can be inspected. The
 * flow absorbs the client's retried Initials and ends, once they stop, in one activity
 * record (close reason {@code POLICY_BLOCKED}, detected protocol {@code quic}) rather than
 * a record per datagram. It counts as a session toward the engine's bound, so a flood of
 * Initials cannot grow the flow table without limit.
 */
final class BlockedQuicFlow implements Flow {
  /** Ours: browsers give up on QUIC within a few seconds; the record follows soon after. */
  static final Duration LINGER = Duration.ofSeconds(10);

  private final FlowKey key;
  private final TunnelContext from;
  private final FlowLoop loop;
  private final ActivityLog activityLog;
  private final Runnable onEnd;
  private final FlowAccount account = new FlowAccount();
  private final IdleTimer idleTimer;
  private boolean closed;

  BlockedQuicFlow(FlowKey key, TunnelContext from, FlowLoop loop, ActivityLog activityLog,
      Duration linger, Runnable onEnd) {
    this.key = key;
    this.onEnd = onEnd;
    this.from = from;
    this.loop = loop;
    this.activityLog = activityLog;
    this.idleTimer = new IdleTimer(loop.eventLoop(), linger.toNanos(), () -> close(CloseReason.POLICY_BLOCKED));
    account.detectedProtocol("quic");
    idleTimer.start();
  }

  @Override
  public void receive(IpPacket packet) {
    if (closed) {
      return;
    }
    idleTimer.touch();
    account.countPacketSent();
    loop.drop(from, DropReason.QUIC_BLOCKED);
  }

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
