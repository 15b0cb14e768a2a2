package dev.gatehouse.appliance.explicit;

import dev.gatehouse.core.log.CloseReason;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.util.concurrent.FutureListener;
import java.net.InetSocketAddress;

/**
 * One CONNECT request (RFC 9110 §9.3.6). The origin is dialed first, and the client is
 * answered {@code 200 Connection established} only once it connected, as Gateway answers
 * a SYN only after the origin's SYN-ACK; a refused or unreachable origin gets 502 and a
 * dial that outlived the connect timeout 504. After the 200 the HTTP codec leaves the
 * client pipeline and a {@link TunnelSplice} carries the bytes.
 *
 * <p>Runs on the client's event loop.
 */
final class ConnectTunnel {

  private final ChannelHandlerContext clientCtx;
  private final ProxySettings settings;

  private ExplicitFlow flow;
  private OriginDial dial;
  private TunnelSplice splice;

  ConnectTunnel(ChannelHandlerContext clientCtx, ProxySettings settings) {
    this.clientCtx = clientCtx;
    this.settings = settings;
  }

  /** Starts the tunnel for a decoded CONNECT head. */
  void start(HttpRequest connect) {
    RequestTarget target = RequestTarget.authorityForm(connect.uri());
    if (!target.valid()) {
      ProxyResponses.respondAndClose(clientCtx, HttpResponseStatus.BAD_REQUEST,
          "CONNECT takes host:port (RFC 9112 §3.2.3)");
      return;
    }
    if (HttpUtil.getContentLength(connect, 0L) != 0
        || connect.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)) {
      ProxyResponses.respondAndClose(clientCtx, HttpResponseStatus.BAD_REQUEST,
          "a CONNECT request has no content (RFC 9110 §9.3.6)");
      return;
    }

    // Whatever follows the request head belongs to the tunnel (a client may send its TLS
    // hello before our answer). The decoder must go now, before it reads those bytes as
    // HTTP: removing it hands its leftover bytes on, and the flow-control handler keeps
    // them until the tunnel opens. The encoder stays for our answer.
    clientCtx.pipeline().get(HttpServerCodec.class).removeInboundHandler();

    flow = new ExplicitFlow(settings.activityLog(), settings.listenerName(),
        (InetSocketAddress) clientCtx.channel().remoteAddress(), target.origin());
    dial = OriginDial.start(clientCtx.channel().eventLoop(), settings.socketChannelType(),
        settings.resolver(), target.origin(), settings.connectTimeout(), true);
    dial.outcome().addListener((FutureListener<DialOutcome>) done -> {
      if (!done.isCancelled()) {
        dialed(target.origin(), done.getNow());
      }
    });
  }

  /** The client's connection closed; before the tunnel opened, that ends the flow. */
  void clientClosed() {
    if (dial != null) {
      abort(CloseReason.CLIENT_CLOSED);
    }
    // Once spliced, the relays saw the close and end the flow when both sides are down.
  }

  /** Ends the flow for a reason the proxy imposes; the caller closes the client. */
  void abort(CloseReason reason) {
    if (dial != null) {
      dial.cancel();
      dial = null;
      flow.endForcibly(reason);
    } else if (splice != null) {
      splice.close(reason);
    } else if (flow != null) {
      flow.endForcibly(reason);
    }
  }

  private void dialed(OriginAddress origin, DialOutcome outcome) {
    dial = null;
    switch (outcome) {
      case DialOutcome.Connected connected -> open(connected);
      case DialOutcome.Failed failed -> {
        flow.failed(failed);
        ProxyResponses.respondAndClose(clientCtx, failed.failure().status(),
            failed.failure().explain(origin));
      }
    }
  }

  private void open(DialOutcome.Connected connected) {
    flow.established(connected);
    ChannelPipeline pipeline = clientCtx.pipeline();
    clientCtx.writeAndFlush(ProxyResponses.connectionEstablished());
    // The answer went through the encoder synchronously (we are on the event loop), so
    // the codec can go; from here the client connection carries tunnel bytes only.
    pipeline.remove(HttpServerCodec.class);

    splice = TunnelSplice.join(clientCtx, connected.channel(), flow);
    // Hands the bytes that came after the CONNECT head to the relay, in order.
    pipeline.remove(FlowControlHandler.class);
    splice.startReading();
  }
}
