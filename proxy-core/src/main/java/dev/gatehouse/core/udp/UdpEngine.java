package dev.gatehouse.core.udp;

import dev.gatehouse.core.flow.Admission;
import dev.gatehouse.core.flow.DiscardFlow;
import dev.gatehouse.core.flow.DropReason;
import dev.gatehouse.core.flow.Flow;
import dev.gatehouse.core.flow.FlowAccount;
import dev.gatehouse.core.flow.FlowEngine;
import dev.gatehouse.core.flow.FlowKey;
import dev.gatehouse.core.flow.FlowLoop;
import dev.gatehouse.core.inspect.DatagramInspector;
import dev.gatehouse.core.inspect.DetectedProtocol;
import dev.gatehouse.core.log.ActivityLog;
import dev.gatehouse.core.log.CloseReason;
import dev.gatehouse.core.policy.FlowDescription;
import dev.gatehouse.core.policy.Policies;
import dev.gatehouse.core.policy.PolicyAction;
import dev.gatehouse.core.policy.PolicySet;
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
  /** What a QUIC block by {@link UdpSettings#blockQuic()} is logged as deciding it. */
  static final String BLOCK_QUIC_SETTING = "proxy.udp.block-quic";

  private final AtomicInteger openSessions = new AtomicInteger();
  private final Policies policies;

  /** An engine that allows every session (but QUIC when so set). */
  public UdpEngine(UdpSettings settings, ActivityLog activityLog) {
    this(settings, activityLog, Policies.allowAll());
  }

  /** An engine that decides each session by {@code policies}. */
  public UdpEngine(UdpSettings settings, ActivityLog activityLog, Policies policies) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.activityLog = Objects.requireNonNull(activityLog, "activityLog");
    this.policies = Objects.requireNonNull(policies, "policies");
  }

  @Override
  public Flow open(FlowKey key, TunnelContext from, IpPacket first, FlowLoop loop) {
    if (openSessions.incrementAndGet() > settings.maxSessions()) {
      openSessions.decrementAndGet();
      loop.drop(from, DropReason.FLOW_LIMIT);
      return null;
    }
    int payloadOffset = first.payloadOffset() + UdpDatagram.HEADER_LENGTH_BYTES;
    int payloadBytes = first.payloadLengthBytes() - UdpDatagram.HEADER_LENGTH_BYTES;
    DetectedProtocol protocol = DatagramInspector.inspect(first.buffer(), payloadOffset, payloadBytes);
    FlowDescription description = key.describe(from);

    if (settings.blockQuic() && key.destinationPort() == QUIC_PORT
        && QuicPackets.isClientInitial(first.buffer(), payloadOffset, payloadBytes)) {
      FlowAccount account = new FlowAccount();
      account.detectedProtocol(DetectedProtocol.QUIC.logName());
      account.decision(BLOCK_QUIC_SETTING, PolicyAction.BLOCK.configName(), 0);
      return new DiscardFlow(key, from, loop, activityLog, account, DropReason.QUIC_BLOCKED,
          CloseReason.POLICY_BLOCKED, DiscardFlow.LINGER, this::sessionEnded);
    }
    PolicySet set = policies.current();
    if (protocol == DetectedProtocol.QUIC && set.needsInspection()) {
      // The SNI is in the ClientHello the client's Initials carry, perhaps over several
      // datagrams: a policy that reads it may have to wait for more of them.
      Admission admission = Admission.decide(set, key, description);
      if (admission.verdict().isPending()) {
        return new HeldQuicFlow(key, from, loop, this, admission, policies, this::sessionEnded);
      }
    }
    // Otherwise one datagram is all there is to inspect: every fact is known on the first.
    description.inspected(protocol.logName(), "", "");
    return admitted(key, from, loop, Admission.decide(set, key, description), this::sessionEnded);
  }

  /**
   * The flow a decided session becomes: one that discards what the client sends when
   * blocked, else a session connected to the verdict's origin. Its {@code onEnd} gives back
   * the session's place in the engine's bound.
   */
  Flow admitted(FlowKey key, TunnelContext from, FlowLoop loop, Admission admission, Runnable onEnd) {
    String detected = admission.description().detectedProtocol();
    admission.account().detectedProtocol(detected == null || detected.isEmpty() ? null : detected);
    String sni = admission.description().sniHost();
    admission.account().sni(sni == null || sni.isEmpty() ? null : sni);
    if (admission.blocks()) {
      return new DiscardFlow(key, from, loop, activityLog, admission.account(), DropReason.POLICY_BLOCKED,
          CloseReason.POLICY_BLOCKED, DiscardFlow.LINGER, onEnd);
    }
    UdpSession session = new UdpSession(key, from, loop, settings, admission, activityLog, onEnd);
    if (!session.connect()) {
      return session.failed(activityLog);
    }
    return session;
  }

  /** The activity log, for a held flow that ends before it was decided. */
  ActivityLog activityLog() {
    return activityLog;
  }

  /** Sessions open now, over all loops. */
  public int openSessions() {
    return openSessions.get();
  }

  private void sessionEnded() {
    openSessions.decrementAndGet();
  }
}
