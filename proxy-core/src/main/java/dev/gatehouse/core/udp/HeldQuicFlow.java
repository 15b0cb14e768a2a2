package dev.gatehouse.core.udp;

import dev.gatehouse.core.flow.Admission;
import dev.gatehouse.core.flow.Flow;
import dev.gatehouse.core.flow.FlowKey;
import dev.gatehouse.core.flow.FlowLoop;
import dev.gatehouse.core.inspect.DetectedProtocol;
import dev.gatehouse.core.inspect.QuicInitialInspector;
import dev.gatehouse.core.log.CloseReason;
import dev.gatehouse.core.policy.FlowDescription;
import dev.gatehouse.core.policy.Policies;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.wire.IpPacket;
import dev.gatehouse.core.wire.UdpDatagram;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * A QUIC flow whose verdict waits for its SNI: the client's Initials are held, unsent, while
 * a {@link QuicInitialInspector} decrypts them (RFC 9001 §5) and reassembles the
 * ClientHello, which a client with large key shares spreads over several datagrams. Once
 * the SNI is known (or the inspection timeout ran out, or {@link #MAX_HELD_DATAGRAMS}
 * came), the flow is decided again and hands its key, and the held datagrams in order, to
 * the flow it becomes: a session to the verdict's origin, or a flow that discards.
 *
 * <p>Confined to its loop like every flow.
 */
final class HeldQuicFlow implements Flow {
  /** Chosen: a ClientHello with post-quantum key shares takes two or three Initials. */
  static final int MAX_HELD_DATAGRAMS = 8;

  private final FlowKey key;
  private final TunnelContext from;
  private final FlowLoop loop;
  private final UdpEngine engine;
  private final Admission admission;
  private final Policies policies;
  private final Runnable onEnd;
  private final QuicInitialInspector inspector =
      new QuicInitialInspector(QuicInitialInspector.DEFAULT_MAX_CRYPTO_BYTES);
  private final ArrayDeque<ByteBuf> held = new ArrayDeque<>();
  private final ScheduledFuture<?> timer;
  private boolean done;

  HeldQuicFlow(FlowKey key, TunnelContext from, FlowLoop loop, UdpEngine engine, Admission admission,
      Policies policies, Runnable onEnd) {
    this.key = key;
    this.from = from;
    this.loop = loop;
    this.engine = engine;
    this.admission = admission;
    this.policies = policies;
    this.onEnd = onEnd;
    this.timer = loop.eventLoop().schedule(this::timedOut, policies.inspectionTimeout().toNanos(),
        TimeUnit.NANOSECONDS);
  }

  @Override
  public void receive(IpPacket packet) {
    if (done) {
      return;
    }
    int start = packet.isIpv4() ? packet.ipv4().offset() : packet.ipv6().offset();
    int end = packet.payloadOffset() + packet.payloadLengthBytes();
    held.add(packet.buffer().copy(start, end - start));
    int payloadOffset = packet.payloadOffset() + UdpDatagram.HEADER_LENGTH_BYTES;
    int payloadBytes = packet.payloadLengthBytes() - UdpDatagram.HEADER_LENGTH_BYTES;
    boolean decided = inspector.offer(packet.buffer(), payloadOffset, payloadBytes);
    if (decided || held.size() >= MAX_HELD_DATAGRAMS) {
      decide();
    }
  }

  private void timedOut() {
    if (!done) {
      decide();
    }
  }

  /** Decides on what the Initials showed and hands the flow over, held datagrams first. */
  private void decide() {
    done = true;
    timer.cancel(false);
    inspector.finish();
    admission.description().inspected(DetectedProtocol.QUIC.logName(), inspector.sniHost(), "");
    Admission decided = admission.decideAgain(policies.current(), key);
    Flow next = engine.admitted(key, from, loop, decided, onEnd);
    loop.table().replace(key, this, next);
    IpPacket view = new IpPacket();
    while (!held.isEmpty()) {
      ByteBuf datagram = held.poll();
      try {
        view.wrap(datagram, datagram.readerIndex(), datagram.readableBytes());
        next.receive(view);
      } finally {
        datagram.release();
      }
    }
  }

  /** Ends the flow before it was decided (shutdown): nothing went to the origin. */
  @Override
  public void close(CloseReason reason) {
    if (done) {
      return;
    }
    done = true;
    timer.cancel(false);
    for (int i = 0; i < held.size(); i++) {
      admission.account().countPacketSent();
    }
    held.forEach(ByteBuf::release);
    held.clear();
    loop.table().remove(key, this);
    onEnd.run();
    admission.account().detectedProtocol(DetectedProtocol.QUIC.logName());
    engine.activityLog().record(admission.account().endRecord(key, from, null, reason));
  }

  @Override
  public FlowDescription description() {
    return admission.description();
  }
}
