package dev.gatehouse.core.flow;

import dev.gatehouse.core.linux.ErrorQueue.QueuedError;
import dev.gatehouse.core.log.ActivityLog;
import dev.gatehouse.core.log.CloseReason;
import dev.gatehouse.core.policy.FlowDescription;
import dev.gatehouse.core.tunnel.TunnelContext;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A flow whose client packets leave through one datagram socket of ours (a UDP socket, a
 * ping socket), with what such flows share: the send that survives an error queued for an
 * earlier packet, the ICMP errors from the origin side relayed to the client through a
 * {@link HopRelay}, the idle timeout and the close. A subclass frames what it sends and
 * what it returns, and decides what each error means to it. Lives on its loop, with its
 * socket: every method runs on that loop.
 */
public abstract class DatagramOriginFlow implements Flow {

  /** Named for the subclass, so that its log lines say which kind of flow wrote them. */
  protected final Logger log = LoggerFactory.getLogger(getClass());
  protected final FlowKey key;
  protected final TunnelContext from;
  protected final FlowLoop loop;
  protected final FlowAccount account;
  /** Where the origin socket sends: the client's destination, or an override policy's. */
  protected final InetSocketAddress origin;
  protected final IdleTimer idleTimer;
  private final FlowDescription description;
  private final ActivityLog activityLog;
  private final Runnable onEnd;
  private DatagramChannel channel;
  private InetSocketAddress egress;
  private HopRelay hops; // null on NIO
  private boolean closed;

  /** A flow not yet open; {@code onEnd} runs once, when it ends or fails to open. */
  // The idle timer's task calls close() only once started, long after construction.
  @SuppressWarnings("this-escape")
  protected DatagramOriginFlow(FlowKey key, TunnelContext from, FlowLoop loop, Admission admission,
      Duration idleTimeout, ActivityLog activityLog, Runnable onEnd) {
    this.key = key;
    this.account = admission.account();
    this.origin = admission.origin();
    this.description = admission.description();
    this.from = from;
    this.loop = loop;
    this.activityLog = activityLog;
    this.onEnd = onEnd;
    this.idleTimer = new IdleTimer(loop.eventLoop(), idleTimeout.toNanos(),
        () -> close(CloseReason.CLIENT_IDLE_TIMEOUT));
  }

  /**
   * Makes {@code originSocket} this flow's and registers it on the flow's loop, where
   * registration completes before the call returns.
   */
  protected final ChannelFuture register(DatagramChannel originSocket) {
    channel = originSocket;
    return new Bootstrap()
        .group(loop.eventLoop())
        .channelFactory(() -> originSocket)
        .handler(new OriginHandler())
        .register();
  }

  /** Turns on the socket's error queue and per-packet hop limit, on epoll. */
  protected final void attachHopRelay(String description) throws IOException {
    hops = HopRelay.attach(channel, !key.isIpv4(), description);
  }

  /** The socket is ready: notes its local address and starts the idle timeout. */
  protected final void started() {
    egress = channel.localAddress();
    idleTimer.start();
  }

  /**
   * The socket could not be made ready: closes what was opened. The flow never started;
   * its engine hands its place, {@code onEnd} included, to a {@link DiscardFlow}.
   */
  protected final void abandon() {
    if (channel != null) {
      channel.close();
    }
  }

  /**
   * What becomes of a flow whose socket could not be opened: a flow that absorbs the
   * client's retries and writes one record, {@code ORIGIN_ERROR}, when they stop.
   */
  public final DiscardFlow failed(ActivityLog log) {
    return new DiscardFlow(key, from, loop, log, account, DropReason.ORIGIN_UNAVAILABLE,
        CloseReason.ORIGIN_ERROR, DiscardFlow.LINGER, onEnd);
  }

  /** The origin socket; null until {@link #register}. */
  protected final DatagramChannel channel() {
    return channel;
  }

  /** The socket's local address; null until {@link #started}. */
  protected final InetSocketAddress egress() {
    return egress;
  }

  /** Whether the flow has ended; an ended flow ignores whatever still arrives. */
  protected final boolean isClosed() {
    return closed;
  }

  /** What the socket writes to carry {@code content}; called again for the second try. */
  protected abstract Object originMessage(ByteBuf content);

  /**
   * One message the socket read: a {@code DatagramPacket}, or on a connected NIO channel
   * its bare content. The caller releases it, and calls only while the flow is open.
   */
  protected abstract void fromOrigin(Object message);

  /** Acts on an ICMP error from the origin side, while the flow is open. */
  protected abstract void actOnOriginIcmp(QueuedError error, HopRelay.Verdict verdict);

  /**
   * The client packet {@code error} is about, whole, to quote in the relayed error; null
   * when none is kept, having counted the drop if the subclass counts one.
   */
  protected abstract ByteBuf quotedPacket(QueuedError error);

  /** Releases the client packets kept for quoting; the flow is closing. */
  protected abstract void forgetClientPackets();

  /**
   * Sends the client's {@code hopLimit} on the next packets, if the socket takes it; a
   * failure leaves the packet going with the hop limit set before.
   */
  protected final void applyHopLimit(int hopLimit) {
    if (hops == null) {
      return;
    }
    try {
      hops.applyHopLimit(hopLimit);
    } catch (IOException e) {
      log.debug("tunnel={} flow={} event=hop-limit-unset hopLimit={} cause=\"{}\"", from.name(),
          account.sessionId(), hopLimit, e.getMessage());
    }
  }

  /** Writes {@code content}, whose one reference this takes, to the origin. */
  protected final void sendToOrigin(ByteBuf content) {
    // One reference more, for a second try: an ICMP error queued for an earlier packet
    // fails the next send on the socket (sock_error in the kernel's send path).
    content.retain();
    channel.writeAndFlush(originMessage(content)).addListener(sent -> {
      if (sent.isSuccess() || closed) {
        content.release();
      } else if (hops != null && relayQueuedErrors() && !closed) {
        channel.writeAndFlush(originMessage(content), channel.voidPromise());
      } else {
        content.release();
        originError(sent.cause());
      }
    });
  }

  /** The hop's error, from the hop, about the client packet it quotes. */
  protected final void relayToClient(QueuedError error) {
    if ((error.offender() instanceof Inet4Address) != key.isIpv4()) {
      return;
    }
    ByteBuf quoted = quotedPacket(error);
    if (quoted == null) {
      return;
    }
    ByteBuf relayed = loop.writer().icmpError(error.type(), error.code(), error.offender(),
        quoted, quoted.readerIndex(), quoted.readableBytes());
    loop.sendToClient(from, relayed);
  }

  /**
   * The socket reported an error and nothing was queued to explain it; by default the
   * flow ends.
   */
  protected void transportError(Throwable cause) {
    log.debug("tunnel={} flow={} event=origin-error cause={}", from.name(),
        account.sessionId(), cause.toString());
    close(CloseReason.ORIGIN_ERROR);
  }

  @Override
  public final void close(CloseReason reason) {
    if (closed) {
      return;
    }
    closed = true;
    idleTimer.cancel();
    forgetClientPackets();
    channel.close();
    loop.table().remove(key, this);
    onEnd.run();
    activityLog.record(account.endRecord(key, from, egress, reason));
    log.debug("tunnel={} flow={} event=end reason={}", from.name(), account.sessionId(), reason);
  }

  /** The socket reported an error: queued ICMP errors first, else the transport's own. */
  private void originError(Throwable cause) {
    if (closed) {
      return;
    }
    if (hops != null && relayQueuedErrors()) {
      readPendingReplies();
      return;
    }
    transportError(cause);
  }

  /**
   * Reads the replies that came while an error was queued: the edge-triggered loop will
   * not signal them again.
   */
  private void readPendingReplies() {
    try {
      hops.readPending(channel.alloc(), datagram -> {
        try {
          if (!closed) {
            fromOrigin(datagram);
          }
        } finally {
          datagram.release();
        }
      }, this::originIcmpError);
    } catch (IOException e) {
      log.debug("tunnel={} flow={} event=pending-read-failed cause=\"{}\"", from.name(),
          account.sessionId(), e.getMessage());
      close(CloseReason.ORIGIN_ERROR);
    }
  }

  /**
   * Takes the socket's queued ICMP errors and acts on each; false if there were none, so
   * that the error that woke us is handled as without a relay.
   */
  private boolean relayQueuedErrors() {
    try {
      return hops.drain(this::originIcmpError) > 0;
    } catch (IOException e) {
      log.debug("tunnel={} flow={} event=error-queue-unreadable cause=\"{}\"", from.name(),
          account.sessionId(), e.getMessage());
      close(CloseReason.ORIGIN_ERROR);
      return true;
    }
  }

  private void originIcmpError(QueuedError error) {
    if (closed) {
      return;
    }
    actOnOriginIcmp(error, HopRelay.verdict(error, origin.getAddress()));
  }

  /** The origin socket's events, on the flow's loop. */
  private final class OriginHandler extends ChannelInboundHandlerAdapter {

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
      try {
        if (!closed) {
          fromOrigin(message);
        }
      } finally {
        ReferenceCountUtil.release(message);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      originError(cause);
    }
  }
}
