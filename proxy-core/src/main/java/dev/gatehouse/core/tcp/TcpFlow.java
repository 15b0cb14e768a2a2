package dev.gatehouse.core.tcp;

import dev.gatehouse.core.flow.Admission;
import dev.gatehouse.core.flow.Flow;
import dev.gatehouse.core.flow.FlowAccount;
import dev.gatehouse.core.flow.FlowKey;
import dev.gatehouse.core.flow.FlowLoop;
import dev.gatehouse.core.flow.IdleTimer;
import dev.gatehouse.core.flow.OriginChannels;
import dev.gatehouse.core.flow.OriginFailures;
import dev.gatehouse.core.linux.SocketOptions;
import dev.gatehouse.core.log.ActivityLog;
import dev.gatehouse.core.inspect.StreamInspector;
import dev.gatehouse.core.log.CloseReason;
import dev.gatehouse.core.policy.FlowDescription;
import dev.gatehouse.core.policy.Policies;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.wire.IpPacket;
import dev.gatehouse.core.wire.TcpSegment;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One terminated TCP connection: the client's side is a {@link TcpConnection} fed with the
 * tunnel's segments; the origin's side is a socket of ours on the same loop. The client's
 * SYN is held until the origin answered our dial: SYN-ACK when it connected, RST when it
 * refused or the connect timeout ran out (the behaviour Cloudflare Gateway documents).
 *
 * <p>Backpressure both ways: bytes for the origin are returned to the client's window only
 * once the origin socket took them ({@link TcpConnection#consumed}); bytes from the origin
 * stop being read while the client's send buffer is full ({@link TcpOutput#writable}).
 *
 * <p>{@link TcpOutput} callbacks must not call back into the connection, so what they ask of
 * the origin side (write, half-close, read again, finish) is noted and carried out by
 * {@link #afterConnection()} once the connection's method returned.
 */
final class TcpFlow implements Flow, TcpOutput {
  private static final Logger log = LoggerFactory.getLogger(TcpFlow.class);

  private final FlowKey key;
  private final TunnelContext from;
  private final FlowLoop loop;
  private final TcpProxySettings settings;
  private final ActivityLog activityLog;
  private final Policies policies;
  private final int iss;
  private final Runnable onEnd;
  private final FlowAccount account;
  private final IdleTimer idleTimer;
  private final TcpSegment segment = new TcpSegment();
  private final ByteBuf options = Unpooled.buffer(SegmentFields.MAX_OPTIONS_BYTES);
  private final long startNanos = System.nanoTime();

  private TcpConnection connection;
  private Admission admission;
  private Channel origin;
  private InetSocketAddress egress;
  private long dialStartNanos;

  // what TcpOutput callbacks asked for, carried out after the connection's call returns
  private final ArrayDeque<ByteBuf> toOrigin = new ArrayDeque<>();
  private boolean finishOrigin;
  private boolean readOrigin = true;
  private CloseCause closedCause;

  // bytes the origin sent that the client's send buffer has no room for yet
  private final ArrayDeque<ByteBuf> toClient = new ArrayDeque<>();
  private boolean originFinished;
  private boolean clientFinishedFirst;
  private boolean originFinishedFirst;
  private boolean established;

  // Inspection of the client's first bytes. While the verdict is pending they are held here,
  // unseen by the origin; once it is final (or for a flow decided on its SYN, from the start)
  // the inspector only watches, for the activity record.
  private StreamInspector inspector = new StreamInspector(StreamInspector.DEFAULT_MAX_BYTES);
  private final ArrayDeque<ByteBuf> held = new ArrayDeque<>();
  private ScheduledFuture<?> inspectionTimer;
  private boolean redialing;

  private CloseReason reason;
  private ScheduledFuture<?> timer;
  private long timerDeadlineNanos = TcpConnection.NO_DEADLINE;
  private boolean ended;

  TcpFlow(FlowKey key, TunnelContext from, FlowLoop loop, TcpProxySettings settings,
      ActivityLog activityLog, Policies policies, Admission admission, int iss, Runnable onEnd) {
    this.key = key;
    this.from = from;
    this.loop = loop;
    this.settings = settings;
    this.activityLog = activityLog;
    this.policies = policies;
    this.admission = admission;
    this.account = admission.account();
    this.iss = iss;
    this.onEnd = onEnd;
    this.idleTimer = new IdleTimer(loop.eventLoop(), settings.idleTimeout().toNanos(),
        () -> abort(CloseReason.CLIENT_IDLE_TIMEOUT));
  }

  @Override
  public void receive(IpPacket packet) {
    if (ended) {
      return;
    }
    segment.wrap(packet.buffer(), packet.payloadOffset(), packet.payloadLengthBytes());
    long now = System.nanoTime();
    if (connection == null) {
      hold(now);
      return;
    }
    idleTimer.touch();
    account.countPacketSent(); // bytes are counted once, in order, as they are delivered
    connection.onSegment(segment, now);
    afterConnection();
  }

  /** The first SYN: keep it unanswered and dial the origin. */
  private void hold(long now) {
    TcpSettings tcp = TcpSettings.forMtu(from.mtuBytes(), !key.isIpv4())
        .withBuffers(settings.bufferBytes(), settings.bufferBytes());
    connection = TcpConnection.fromSyn(segment, iss, tcp, this, PooledByteBufAllocator.DEFAULT);
    account.countPacketSent();
    idleTimer.start();
    dial(admission.origin(), now);
  }

  private void dial(InetSocketAddress destination, long now) {
    dialStartNanos = now;
    Bootstrap bootstrap = new Bootstrap()
        .group(loop.eventLoop())
        .channel(OriginChannels.socketChannelType(loop.eventLoop()))
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
            settings.connectTimeout().toMillis()))
        .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .option(ChannelOption.AUTO_READ, false)
        .option(ChannelOption.TCP_NODELAY, true)
        .handler(new OriginHandler());
    InetAddress source = destination.getAddress() instanceof Inet4Address ? settings.sourceV4() : settings.sourceV6();
    ChannelFuture registered = bootstrap.register();
    origin = registered.channel();
    try {
      bindToInterface();
    } catch (IOException e) {
      log.debug("tunnel={} flow={} event=origin-unavailable cause={}", from.name(), account.sessionId(), e.toString());
      originFailed(CloseReason.ORIGIN_ERROR);
      return;
    }
    Channel dialed = origin;
    ChannelFuture connected = source == null
        ? origin.connect(destination)
        : origin.connect(destination, new InetSocketAddress(source, 0));
    connected.addListener(f -> {
      if (dialed != origin) {
        dialed.close(); // replaced by a redial
      } else if (f.isSuccess()) {
        originConnected();
      } else {
        originFailed(f.cause());
      }
    });
  }

  private void bindToInterface() throws IOException {
    if (settings.interfaceName() == null) {
      return;
    }
    if (!(origin instanceof EpollSocketChannel epoll)) {
      throw new IOException("binding to interface " + settings.interfaceName() + " needs the epoll transport");
    }
    SocketOptions.bindToDevice(epoll.fd().intValue(), settings.interfaceName(), "TCP origin socket");
  }

  private void originConnected() {
    if (ended) {
      origin.close();
      return;
    }
    long now = System.nanoTime();
    account.originHandshake(TimeUnit.NANOSECONDS.toMillis(now - dialStartNanos));
    egress = (InetSocketAddress) origin.localAddress();
    log.debug("tunnel={} flow={} event=origin-connected destination={} egress={}", from.name(),
        account.sessionId(), admission.origin(), egress);
    if (redialing) {
      // the client is established already: what inspection held goes to the new origin
      redialing = false;
      releaseHeld();
    } else {
      connection.accept(now);
    }
    afterConnection();
  }

  private void originFailed(Throwable cause) {
    if (ended) {
      return;
    }
    CloseReason why = OriginFailures.closeReason(cause);
    log.debug("tunnel={} flow={} event=origin-failed reason={} cause={}", from.name(),
        account.sessionId(), why, cause.toString());
    originFailed(why);
  }

  /** Refuses a client still waiting for its SYN-ACK; resets one the redial failed. */
  private void originFailed(CloseReason why) {
    if (redialing) {
      abort(why);
    } else {
      refuse(why);
    }
  }

  private void refuse(CloseReason why) {
    reason = why;
    connection.refuse(System.nanoTime());
    afterConnection();
  }

  /** Resets both sides, for a reason of ours (idle, shutdown, an origin failure). */
  private void abort(CloseReason why) {
    if (ended) {
      return;
    }
    if (reason == null) {
      reason = why;
    }
    connection.abort();
    afterConnection();
    if (!ended) {
      end(why);
    }
  }

  @Override
  public void close(CloseReason why) {
    abort(why);
  }

  @Override
  public FlowDescription description() {
    return admission.description();
  }

  // ---- TcpOutput: called from inside the connection; note, do not call back ----

  @Override
  public void emit(SegmentFields header, ByteBuf data, int dataIndex, int dataLengthBytes) {
    options.clear();
    for (int i = 0; i < header.optionsLengthBytes(); i++) {
      options.writeByte(header.optionByte(i));
    }
    ByteBuf payload = data == null ? Unpooled.EMPTY_BUFFER : data.slice(dataIndex, dataLengthBytes);
    ByteBuf packet = loop.writer().tcp(key.destination(), key.destinationPort(), key.source(),
        key.sourcePort(), header.sequenceNumber(), header.acknowledgmentNumber(), header.flags(),
        header.window(), options, payload);
    account.countPacketReceived(); // bytes are counted once, as the origin sends them
    loop.sendToClient(from, packet);
  }

  @Override
  public void deliver(ByteBuf data) {
    if (inspector != null && !inspector.decided()) {
      inspector.offer(data);
    }
    if (admission.verdict().isPending() || redialing) {
      held.add(data);
      return;
    }
    account.addBytesSent(data.readableBytes());
    toOrigin.add(data);
  }

  @Override
  public void clientFinished() {
    if (!originFinished) {
      clientFinishedFirst = true;
    }
    finishOrigin = true;
    if (inspector != null && !inspector.decided()) {
      inspector.finish(); // nothing more will come to inspect
    }
  }

  @Override
  public void writable(boolean writable) {
    readOrigin = writable;
  }

  @Override
  public void closed(CloseCause cause) {
    closedCause = cause;
  }

  // ---- after each connection call: carry out what it asked ----

  private void afterConnection() {
    if (!established && synchronizedState(connection.state())) {
      established = true;
      account.clientHandshake(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
      origin.config().setAutoRead(true);
      if (admission.verdict().isPending()) {
        inspectionTimer = loop.eventLoop().schedule(this::inspectionTimedOut,
            policies.inspectionTimeout().toNanos(), TimeUnit.NANOSECONDS);
      }
    }
    if (inspector != null && inspector.decided()) {
      inspected();
      if (ended) {
        return;
      }
    }
    if (!toOrigin.isEmpty() && !origin.isActive()) {
      // The client's bytes were acknowledged but the origin is gone: reset the client
      // rather than let it believe they arrived.
      toOrigin.forEach(ReferenceCountUtil::safeRelease);
      toOrigin.clear();
      abort(CloseReason.ORIGIN_CLOSED);
      return;
    }
    while (!toOrigin.isEmpty()) {
      ByteBuf data = toOrigin.poll();
      int bytes = data.readableBytes();
      origin.writeAndFlush(data).addListener(f -> {
        if (f.isSuccess() && !ended) {
          connection.consumed(bytes, System.nanoTime());
          afterConnection();
        }
      });
    }
    if (finishOrigin && held.isEmpty() && !redialing && origin.isActive()
        && origin instanceof SocketChannel socket) {
      finishOrigin = false;
      socket.shutdownOutput();
    }
    if (established && origin.isActive()) {
      if (readOrigin && !toClient.isEmpty()) {
        pumpToClient();
      }
      origin.config().setAutoRead(readOrigin && toClient.isEmpty());
    }
    if (closedCause != null) {
      end(reasonFor(closedCause));
      return;
    }
    rescheduleTimer();
  }

  /**
   * Whether the client's handshake completed: ESTABLISHED, or a state past it that one
   * segment can reach at once (an ACK of our SYN-ACK that also carries the client's FIN).
   */
  private static boolean synchronizedState(TcpState state) {
    return state != TcpState.SYN_HELD && state != TcpState.SYN_RECEIVED && state != TcpState.CLOSED;
  }

  /** Offers what the origin sent to the client's send buffer, in order. */
  private void pumpToClient() {
    long now = System.nanoTime();
    while (!toClient.isEmpty() && closedCause == null) {
      ByteBuf head = toClient.peek();
      connection.write(head, now); // advances head's reader index past what it took
      if (head.isReadable()) {
        break;
      }
      toClient.poll().release();
    }
    if (toClient.isEmpty() && originFinished && closedCause == null
        && connection.state() != TcpState.CLOSED) {
      connection.shutdownOutput(now);
    }
  }

  /** The client sent nothing to decide on in time: decide on what is known. */
  private void inspectionTimedOut() {
    inspectionTimer = null;
    if (ended || inspector == null) {
      return;
    }
    inspector.finish();
    afterConnection();
  }

  /**
   * Inspection is over: the facts go to the activity record and, when the verdict was
   * pending, the flow is decided again. A block resets both sides and the held bytes are
   * dropped unseen by the origin; an override that names another origin redials; otherwise
   * the held bytes go on, in order.
   */
  private void inspected() {
    StreamInspector done = inspector;
    inspector = null;
    if (inspectionTimer != null) {
      inspectionTimer.cancel(false);
      inspectionTimer = null;
    }
    String protocol = done.protocol().logName();
    record(done);
    if (!admission.verdict().isPending()) {
      return;
    }
    admission.description().inspected(protocol, done.sniHost(), done.httpHost());
    Admission decided = admission.decideAgain(policies.current(), key);
    boolean moved = !decided.origin().equals(admission.origin());
    admission = decided;
    log.debug("tunnel={} flow={} event=decided verdict=\"{}\" protocol={} sni={} host={}", from.name(),
        account.sessionId(), decided.verdict(), protocol, done.sniHost(), done.httpHost());
    if (decided.blocks()) {
      resetOrigin();
      abort(CloseReason.POLICY_BLOCKED);
    } else if (moved) {
      redial(decided.origin());
    } else {
      releaseHeld();
    }
  }

  /** Puts what inspection found into the activity record; what was not found stays out. */
  private void record(StreamInspector done) {
    String protocol = done.protocol().logName();
    account.detectedProtocol(protocol.isEmpty() ? null : protocol);
    account.sni(done.sniHost().isEmpty() ? null : done.sniHost());
    account.httpHost(done.httpHost().isEmpty() ? null : done.httpHost());
  }

  /** The override names another origin than the one dialed for the SYN: go there instead. */
  private void redial(InetSocketAddress destination) {
    redialing = true;
    Channel replaced = origin;
    replaced.config().setAutoRead(false);
    replaced.close();
    dial(destination, System.nanoTime());
  }

  /** Hands the bytes held during inspection to the origin, in the order they came. */
  private void releaseHeld() {
    while (!held.isEmpty()) {
      ByteBuf data = held.poll();
      account.addBytesSent(data.readableBytes());
      toOrigin.add(data);
    }
  }

  /** Closes the origin socket with RST (SO_LINGER 0) rather than FIN. */
  private void resetOrigin() {
    if (origin != null && origin.isOpen()) {
      origin.config().setOption(ChannelOption.SO_LINGER, 0);
      origin.close();
    }
  }

  private CloseReason reasonFor(CloseCause cause) {
    if (reason != null) {
      return reason;
    }
    return switch (cause) {
      case NORMAL -> originFinishedFirst ? CloseReason.ORIGIN_CLOSED : CloseReason.CLIENT_CLOSED;
      case RESET_BY_CLIENT -> CloseReason.CLIENT_CLOSED;
      case REFUSED -> CloseReason.PROXY_CONN_REFUSED;
      case ABORTED -> CloseReason.UNKNOWN;
      case HANDSHAKE_TIMEOUT, RETRANSMISSION_TIMEOUT -> CloseReason.CLIENT_ERROR;
    };
  }

  private void rescheduleTimer() {
    long deadline = connection.nextDeadlineNanos();
    if (deadline == TcpConnection.NO_DEADLINE || ended) {
      return;
    }
    // A timer already due earlier fires and reschedules itself; only move it sooner.
    if (timer != null && !timer.isDone() && timerDeadlineNanos <= deadline) {
      return;
    }
    if (timer != null) {
      timer.cancel(false);
    }
    timerDeadlineNanos = deadline;
    long delay = Math.max(0, deadline - System.nanoTime());
    timer = loop.eventLoop().schedule(this::onTimer, delay, TimeUnit.NANOSECONDS);
  }

  private void onTimer() {
    timer = null;
    timerDeadlineNanos = TcpConnection.NO_DEADLINE;
    if (ended) {
      return;
    }
    long now = System.nanoTime();
    if (connection.nextDeadlineNanos() <= now) {
      connection.onTimer(now);
    }
    afterConnection();
  }

  private void end(CloseReason why) {
    if (ended) {
      return;
    }
    ended = true;
    idleTimer.cancel();
    if (timer != null) {
      timer.cancel(false);
    }
    if (inspectionTimer != null) {
      inspectionTimer.cancel(false);
    }
    held.forEach(ReferenceCountUtil::safeRelease);
    held.clear();
    if (inspector != null && inspector.bytesSeen() > 0) {
      inspector.finish(); // what the client sent before it went is still worth logging
      record(inspector);
    }
    toOrigin.forEach(ReferenceCountUtil::safeRelease);
    toOrigin.clear();
    toClient.forEach(ReferenceCountUtil::safeRelease);
    toClient.clear();
    if (origin != null) {
      origin.close();
    }
    loop.table().remove(key, this);
    onEnd.run();
    activityLog.record(account.endRecord(key, from, egress, why));
    log.debug("tunnel={} flow={} event=end reason={}", from.name(), account.sessionId(), why);
  }

  /** The origin socket's events, on the flow's loop. */
  private final class OriginHandler extends ChannelInboundHandlerAdapter {

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
      if (ended || ctx.channel() != origin || !(message instanceof ByteBuf data)) {
        ReferenceCountUtil.release(message);
        return;
      }
      idleTimer.touch();
      account.addBytesReceived(data.readableBytes());
      toClient.add(data);
      pumpToClient();
      afterConnection();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
      if (event instanceof ChannelInputShutdownEvent && !ended && ctx.channel() == origin) {
        originEnded();
      }
      ReferenceCountUtil.release(event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (ended || ctx.channel() != origin) {
        return;
      }
      if (established) {
        originEnded();
      } else if (connection.state() != TcpState.SYN_HELD) {
        // connected, then gone before the client finished its handshake
        abort(CloseReason.ORIGIN_CLOSED);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (ended || ctx.channel() != origin) {
        return;
      }
      log.debug("tunnel={} flow={} event=origin-error cause={}", from.name(), account.sessionId(),
          cause.toString());
      abort(CloseReason.ORIGIN_ERROR);
    }
  }

  /** The origin sent FIN (or went away): finish our side toward the client after its bytes. */
  private void originEnded() {
    if (originFinished) {
      return;
    }
    originFinished = true;
    if (!clientFinishedFirst) {
      originFinishedFirst = true;
    }
    pumpToClient();
    afterConnection();
  }
}
