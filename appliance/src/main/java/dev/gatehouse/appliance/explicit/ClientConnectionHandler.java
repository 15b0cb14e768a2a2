package dev.gatehouse.appliance.explicit;

import dev.gatehouse.core.log.CloseReason;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of a client connection: sends each request either to the connection's
 * {@link HttpForwarder} or, for CONNECT, to a {@link ConnectTunnel} that then owns the
 * connection; and ends the connection's flows on idle timeout, error and shutdown.
 *
 * <p>One instance per client connection, confined to its event loop.
 */
final class ClientConnectionHandler extends ChannelInboundHandlerAdapter {

  private static final Logger LOG = LoggerFactory.getLogger(ClientConnectionHandler.class);

  private final ProxySettings settings;
  private final HttpDecoderConfig decoderConfig;
  private final Set<ClientConnectionHandler> openConnections;

  private ChannelHandlerContext ctx;
  private HttpForwarder forwarder;
  private ConnectTunnel tunnel;

  ClientConnectionHandler(ProxySettings settings, HttpDecoderConfig decoderConfig,
      Set<ClientConnectionHandler> openConnections) {
    this.settings = settings;
    this.decoderConfig = decoderConfig;
    this.openConnections = openConnections;
  }

  /** The loop this connection lives on; {@link #shutdown} must run there. */
  EventLoop eventLoop() {
    return ctx.channel().eventLoop();
  }

  /** Ends the connection's flows with {@link CloseReason#PROXY_SHUTDOWN} and closes it. */
  void shutdown() {
    abort(CloseReason.PROXY_SHUTDOWN);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    openConnections.add(this);
    forwarder = new HttpForwarder(ctx, settings, decoderConfig);
    forwarder.start();
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (tunnel != null || !(msg instanceof HttpObject httpObject)) {
      // Once a CONNECT was read the tunnel's relay takes the bytes; nothing else is due.
      ReferenceCountUtil.release(msg);
      return;
    }
    if (httpObject instanceof HttpRequest request
        && request.decoderResult().isSuccess()
        && HttpMethod.CONNECT.equals(request.method())) {
      forwarder.handOverToTunnel();
      tunnel = new ConnectTunnel(ctx, settings);
      tunnel.start(request);
      return;
    }
    forwarder.clientMessage(httpObject);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (tunnel == null) {
      forwarder.clientReadComplete();
    }
    ctx.fireChannelReadComplete();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      LOG.debug("client={} event=idle-timeout", ctx.channel().remoteAddress());
      abort(CloseReason.CLIENT_IDLE_TIMEOUT);
    } else if (evt == ChannelInputShutdownEvent.INSTANCE) {
      // Only while forwarding HTTP: a tunnel's relay consumes its own FIN events.
      forwarder.clientInputShutdown();
    } else if (!(evt instanceof ChannelInputShutdownReadComplete)) {
      ctx.fireUserEventTriggered(evt);
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (tunnel == null) {
      forwarder.clientWritabilityChanged();
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    openConnections.remove(this);
    if (tunnel != null) {
      tunnel.clientClosed();
    } else {
      forwarder.clientClosed();
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.debug("client={} event=error cause={}", ctx.channel().remoteAddress(), cause.toString());
    // A reset surfaces as an IOException: for the log that is the client closing.
    abort(cause instanceof IOException ? CloseReason.CLIENT_CLOSED : CloseReason.CLIENT_ERROR);
  }

  private void abort(CloseReason reason) {
    if (tunnel != null) {
      tunnel.abort(reason);
    } else if (forwarder != null) {
      forwarder.abort(reason);
    }
    ctx.close();
  }
}
