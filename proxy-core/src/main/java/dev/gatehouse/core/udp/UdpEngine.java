package dev.gatehouse.core.udp;

import dev.gatehouse.core.flow.DropReason;
import dev.gatehouse.core.flow.Flow;
import dev.gatehouse.core.flow.FlowEngine;
import dev.gatehouse.core.flow.FlowKey;
import dev.gatehouse.core.flow.FlowLoop;
import dev.gatehouse.core.log.ActivityLog;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.wire.IpPacket;
import dev.gatehouse.core.wire.QuicPackets;
import dev.gatehouse.core.wire.UdpDatagram;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Terminates UDP: one {@link UdpSession} per flow key, each with its own connected origin
 * socket on the flow's loop. The one piece of state shared across loops is the count of
 * open sessions that {@link UdpSettings#maxSessions()} bounds.
 */
public final class UdpEngine implements FlowEngine {
  /** HTTP/3's port (RFC 9114 §3.1 uses the https scheme's default, 443). */
  static final int QUIC_PORT = 443;

  private final UdpSettings settings;
  private final ActivityLog activityLog;
  private final AtomicInteger openSessions = new AtomicInteger();

  public UdpEngine(UdpSettings settings, ActivityLog activityLog) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.activityLog = Objects.requireNonNull(activityLog, "activityLog");
  }

  @Override
  public Flow open(FlowKey key, TunnelContext from, IpPacket first, FlowLoop loop) {
    if (openSessions.incrementAndGet() > settings.maxSessions()) {
      openSessions.decrementAndGet();
      loop.drop(from, DropReason.FLOW_LIMIT);
      return null;
    }
    if (settings.blockQuic() && key.destinationPort() == QUIC_PORT && isQuicInitial(first)) {
      return new BlockedQuicFlow(key, from, loop, activityLog, BlockedQuicFlow.LINGER, this::sessionEnded);
    }
    UdpSession session = new UdpSession(key, from, loop, settings, activityLog, this::sessionEnded);
    if (!session.connect()) {
      loop.drop(from, DropReason.ORIGIN_UNAVAILABLE);
      return null;
    }
    return session;
  }

  private static boolean isQuicInitial(IpPacket packet) {
    int payloadOffset = packet.payloadOffset() + UdpDatagram.HEADER_LENGTH_BYTES;
    int payloadBytes = packet.payloadLengthBytes() - UdpDatagram.HEADER_LENGTH_BYTES;
    return QuicPackets.isClientInitial(packet.buffer(), payloadOffset, payloadBytes);
  }

  /** Sessions open now, over all loops. */
  public int openSessions() {
    return openSessions.get();
  }

  private void sessionEnded() {
    openSessions.decrementAndGet();
  }
}
