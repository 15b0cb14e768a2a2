package dev.gatehouse.core.tcp;

import dev.gatehouse.core.flow.Admission;
import dev.gatehouse.core.flow.DropReason;
import dev.gatehouse.core.flow.Flow;
import dev.gatehouse.core.flow.FlowAccount;
import dev.gatehouse.core.flow.FlowEngine;
import dev.gatehouse.core.flow.FlowKey;
import dev.gatehouse.core.flow.FlowLoop;
import dev.gatehouse.core.log.ActivityLog;
import dev.gatehouse.core.log.CloseReason;
import dev.gatehouse.core.policy.Policies;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.wire.IpPacket;
import dev.gatehouse.core.wire.TcpSegment;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Terminates TCP: a {@link TcpFlow} per connection, each holding the client's SYN until its
 * own dial to the origin was answered. Segments for no connection are answered with RST
 * as RFC 9293 §3.10.7.1 has a CLOSED endpoint do. What it shares across loops is the ISN
 * generator (stateless after construction) and the count of open flows.
 */
public final class TcpEngine implements FlowEngine {
  private final TcpProxySettings settings;
  private final ActivityLog activityLog;
  private final IsnGenerator isns = new IsnGenerator();
  private final AtomicInteger openFlows = new AtomicInteger();
  private final Policies policies;

  /** An engine that allows every connection. */
  public TcpEngine(TcpProxySettings settings, ActivityLog activityLog) {
    this(settings, activityLog, Policies.allowAll());
  }

  /** An engine that decides each connection by {@code policies}. */
  public TcpEngine(TcpProxySettings settings, ActivityLog activityLog, Policies policies) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.activityLog = Objects.requireNonNull(activityLog, "activityLog");
    this.policies = Objects.requireNonNull(policies, "policies");
  }

  @Override
  public Flow open(FlowKey key, TunnelContext from, IpPacket first, FlowLoop loop) {
    TcpSegment syn = loop.tcpView();
    syn.wrap(first.buffer(), first.payloadOffset(), first.payloadLengthBytes());
    if (!TcpConnection.isConnectionRequest(syn)) {
      answerWithReset(key, from, syn, loop);
      return null;
    }
    if (openFlows.incrementAndGet() > settings.maxFlows()) {
      openFlows.decrementAndGet();
      loop.drop(from, DropReason.FLOW_LIMIT);
      return null;
    }
    Admission admission = Admission.decide(policies.current(), key, key.describe(from));
    if (admission.blocks()) {
      openFlows.decrementAndGet();
      refuseBlocked(key, from, syn, loop, admission);
      return null;
    }
    int iss = isns.isn(high(key.destination()), low(key.destination()), key.destinationPort(),
        high(key.source()), low(key.source()), key.sourcePort(), System.nanoTime());
    return new TcpFlow(key, from, loop, settings, activityLog, policies, admission, iss,
        openFlows::decrementAndGet);
  }

  /**
   * A policy blocked the connection on its SYN: the client gets RST at once and the origin
   * never hears of it; the attempt is logged as one flow, {@code POLICY_BLOCKED}.
   */
  private void refuseBlocked(FlowKey key, TunnelContext from, TcpSegment syn, FlowLoop loop,
      Admission admission) {
    int ack = syn.sequenceNumber() + syn.payloadLengthBytes() + 1; // SEG.LEN counts the SYN
    ByteBuf reset = loop.writer().tcp(key.destination(), key.destinationPort(), key.source(),
        key.sourcePort(), 0, ack, TcpSegment.FLAG_RST | TcpSegment.FLAG_ACK, 0,
        Unpooled.EMPTY_BUFFER, Unpooled.EMPTY_BUFFER);
    loop.sendToClient(from, reset);
    FlowAccount account = admission.account();
    account.countPacketSent();
    account.countPacketReceived();
    activityLog.record(account.endRecord(key, from, null, CloseReason.POLICY_BLOCKED));
  }

  /** Connections open now, over all loops. */
  public int openFlows() {
    return openFlows.get();
  }

  /**
   * RFC 9293 §3.10.7.1 (CLOSED): an incoming RST is discarded; otherwise, if the ACK bit is
   * off, answer {@code <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>}, else {@code
   * <SEQ=SEG.ACK><CTL=RST>}. SEG.LEN counts SYN and FIN.
   */
  private static void answerWithReset(FlowKey key, TunnelContext from, TcpSegment seg, FlowLoop loop) {
    loop.drop(from, DropReason.NO_CONNECTION);
    if (seg.isRst()) {
      return;
    }
    int seq;
    int ack;
    int flags;
    if (seg.isAck()) {
      seq = seg.acknowledgmentNumber();
      ack = 0;
      flags = TcpSegment.FLAG_RST;
    } else {
      seq = 0;
      ack = seg.sequenceNumber() + seg.payloadLengthBytes() + (seg.isSyn() ? 1 : 0) + (seg.isFin() ? 1 : 0);
      flags = TcpSegment.FLAG_RST | TcpSegment.FLAG_ACK;
    }
    ByteBuf reset = loop.writer().tcp(key.destination(), key.destinationPort(), key.source(),
        key.sourcePort(), seq, ack, flags, 0, Unpooled.EMPTY_BUFFER, Unpooled.EMPTY_BUFFER);
    loop.sendToClient(from, reset);
  }

  static long high(InetAddress address) {
    byte[] bytes = address.getAddress();
    return bytes.length == 4 ? 0 : longAt(bytes, 0);
  }

  static long low(InetAddress address) {
    byte[] bytes = address.getAddress();
    return bytes.length == 4 ? Integer.toUnsignedLong(
        (bytes[0] & 0xff) << 24 | (bytes[1] & 0xff) << 16 | (bytes[2] & 0xff) << 8 | bytes[3] & 0xff)
        : longAt(bytes, 8);
  }

  private static long longAt(byte[] bytes, int at) {
    long value = 0;
    for (int i = 0; i < 8; i++) {
      value = value << 8 | (bytes[at + i] & 0xff);
    }
    return value;
  }
}
