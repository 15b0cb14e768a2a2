package dev.gatehouse.appliance.explicit;

import dev.gatehouse.core.log.CloseReason;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays bytes both ways between the client and the origin of an open CONNECT tunnel
 * (RFC 9110 §9.3.6: after the 2xx the connection carries the tunnel's bytes only).
 *
 * <p>Backpressure: while one channel's outbound buffer is above its high water mark (it is
 * not writable), the other channel stops reading; it reads again once the buffer drained
 * below the low mark. Beyond the mark at most one read's worth is buffered, so a fast
 * sender and a slow receiver cost a bounded amount of memory per tunnel.
 *
 * <p>Half-close: both channels allow half-closure. A FIN from one side becomes a
 * shutdown of our output toward the other side once everything read before the FIN has
 * been written; the other direction keeps flowing until its own FIN. Both channels are
 * closed when both sides have sent FIN, or at once when either is reset, closed or fails.
 *
 * <p>Both channels are on the same event loop, so the splice's state needs no locking.
 * The flow's end record is written when both channels are closed, with the totals final.
 */
final class TunnelSplice {

  private static final Logger LOG = LoggerFactory.getLogger(TunnelSplice.class);
  private static final String RELAY_NAME = "tunnel-relay";

  /** The two ends, with the close reasons an event on each one means. */
  private enum Side {
    CLIENT(CloseReason.CLIENT_CLOSED, CloseReason.CLIENT_ERROR),
    ORIGIN(CloseReason.ORIGIN_CLOSED, CloseReason.ORIGIN_ERROR);

    final CloseReason closed;
    final CloseReason failed;

    Side(CloseReason closed, CloseReason failed) {
      this.closed = closed;
      this.failed = failed;
    }
  }

  private final Channel client;
  private final Channel origin;
  private final ExplicitFlow flow;
  private int openChannels = 2;

  private TunnelSplice(Channel client, Channel origin, ExplicitFlow flow) {
    this.client = client;
    this.origin = origin;
    this.flow = flow;
  }

  /**
   * Puts a relay in front of {@code clientHandler} on the client pipeline and at the end of
   * the origin pipeline. Reading starts with {@link #startReading}, so that the caller can
   * first hand over bytes it holds.
   */
  static TunnelSplice join(ChannelHandlerContext clientHandler, Channel origin, ExplicitFlow flow) {
    Channel client = clientHandler.channel();
    TunnelSplice splice = new TunnelSplice(client, origin, flow);
    client.pipeline().addBefore(clientHandler.name(), RELAY_NAME,
        splice.new Relay(Side.CLIENT, origin));
    origin.pipeline().addLast(RELAY_NAME, splice.new Relay(Side.ORIGIN, client));
    client.closeFuture().addListener(closed -> channelClosed(splice));
    origin.closeFuture().addListener(closed -> channelClosed(splice));
    return splice;
  }

  /** Turns reading on for both sides. */
  void startReading() {
    client.config().setAutoRead(true);
    origin.config().setAutoRead(true);
  }

  /** Ends the tunnel for a reason the proxy imposes (idle timeout, shutdown). */
  void close(CloseReason reason) {
    flow.endForcibly(reason);
    closeBoth();
  }

  private static void channelClosed(TunnelSplice splice) {
    if (--splice.openChannels == 0) {
      splice.flow.end(CloseReason.UNKNOWN);
    }
  }

  private void closeBoth() {
    client.close();
    origin.close();
  }

  private void closeIfBothShutDown() {
    if (((DuplexChannel) client).isShutdown() && ((DuplexChannel) origin).isShutdown()) {
      closeBoth();
    }
  }

  /** One direction of the splice: reads on its own channel, writes to {@code peer}. */
  private final class Relay extends ChannelInboundHandlerAdapter {

    private final Side side;
    private final Channel peer;

    Relay(Side side, Channel peer) {
      this.side = side;
      this.peer = peer;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof ByteBuf)) {
        // The HTTP decoder's empty end-of-request marker, handed over with the bytes
        // that followed the CONNECT request; it is not tunnel data.
        ReferenceCountUtil.release(msg);
        return;
      }
      // A failed write means the peer is closing; its own close event ends the flow.
      peer.write(msg);
      if (!peer.isWritable()) {
        ctx.channel().config().setAutoRead(false);
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      peer.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (ctx.channel().isWritable()) {
        peer.config().setAutoRead(true);
      }
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt == ChannelInputShutdownEvent.INSTANCE) {
        flow.noteCloseReason(side.closed);
        forwardFin();
      } else if (!(evt instanceof ChannelInputShutdownReadComplete)) {
        ctx.fireUserEventTriggered(evt);
      }
    }

    /** Passes our side's FIN on, after the bytes that came before it. */
    private void forwardFin() {
      peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) flushed -> {
        if (!flushed.isSuccess()) {
          closeBoth();
          return;
        }
        ((DuplexChannel) peer).shutdownOutput().addListener((ChannelFutureListener) shut -> {
          if (shut.isSuccess()) {
            closeIfBothShutDown();
          } else {
            closeBoth();
          }
        });
      });
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      flow.noteCloseReason(side.closed);
      // What was already read from this side still reaches the peer before its FIN.
      peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      LOG.debug("flow={} event=relay-error side={} cause={}",
          flow.sessionId(), side, cause.toString());
      // A reset surfaces as an IOException: for the log that is the side closing.
      flow.noteCloseReason(cause instanceof IOException ? side.closed : side.failed);
      closeBoth();
    }
  }
}
