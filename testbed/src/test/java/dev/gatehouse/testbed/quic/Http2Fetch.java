package dev.gatehouse.testbed.quic;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolConfig.Protocol;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectedListenerFailureBehavior;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectorFailureBehavior;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import java.nio.channels.ClosedChannelException;
import javax.net.ssl.SSLException;

/**
 * One GET over HTTP/2 (RFC 9113) on TLS over TCP, what a browser falls back to when QUIC
 * does not answer: the URL's host as SNI, {@code h2} as the only ALPN offer (RFC 9113 §3.2),
 * one stream. A server that does not choose {@code h2} fails the fetch
 * ({@code reason=alpn}) rather than being spoken HTTP/1.1 to.
 */
final class Http2Fetch {
  private Http2Fetch() {}

  static Page fetch(EventLoopGroup group, Target target, Trust trust, long timeoutMillis)
      throws FetchException, InterruptedException {
    Deadline deadline = new Deadline(timeoutMillis);
    SslContext tls = sslContext(trust);
    Promise<Page> page = group.next().newPromise();
    ChannelFuture connected = new Bootstrap().group(group).channel(NioSocketChannel.class)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeoutMillis)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(tls.newHandler(ch.alloc(), target.host(), target.port()),
                new H2Starter(target, page));
          }
        })
        .connect(target.address());
    Channel tcp = connected.channel();
    try {
      deadline.await(connected, "timeout");
      return deadline.await(page, "timeout");
    } finally {
      tcp.close().awaitUninterruptibly();
    }
  }

  private static SslContext sslContext(Trust trust) throws FetchException {
    SslContextBuilder builder = SslContextBuilder.forClient()
        .applicationProtocolConfig(new ApplicationProtocolConfig(Protocol.ALPN,
            SelectorFailureBehavior.NO_ADVERTISE, SelectedListenerFailureBehavior.ACCEPT,
            ApplicationProtocolNames.HTTP_2));
    trust.applyTo(builder);
    try {
      return builder.build();
    } catch (SSLException e) {
      throw FetchException.of(e);
    }
  }

  /** Waits for the TLS handshake, then speaks HTTP/2 if the server chose it. */
  private static final class H2Starter extends ChannelInboundHandlerAdapter {
    private final Target target;
    private final Promise<Page> page;

    H2Starter(Target target, Promise<Page> page) {
      this.target = target;
      this.page = page;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
      if (!(event instanceof SslHandshakeCompletionEvent handshake)) {
        ctx.fireUserEventTriggered(event);
        return;
      }
      if (!handshake.isSuccess()) {
        page.tryFailure(handshake.cause());
        return;
      }
      String protocol = ctx.pipeline().get(SslHandler.class).applicationProtocol();
      if (!ApplicationProtocolNames.HTTP_2.equals(protocol)) {
        page.tryFailure(new FetchException("alpn", "the server chose " + protocol + ", not h2"));
        return;
      }
      startHttp2(ctx);
    }

    private void startHttp2(ChannelHandlerContext ctx) {
      Http2Settings noPush = Http2Settings.defaultSettings().pushEnabled(false);
      ctx.pipeline().addLast(Http2FrameCodecBuilder.forClient().initialSettings(noPush).build(),
          new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
      ctx.pipeline().remove(this);
      new Http2StreamChannelBootstrap(ctx.channel()).handler(new ResponseReader(page)).open()
          .addListener(opened -> {
            if (!opened.isSuccess()) {
              page.tryFailure(opened.cause());
              return;
            }
            ((Http2StreamChannel) opened.getNow()).writeAndFlush(new DefaultHttp2HeadersFrame(request(), true));
          });
    }

    private Http2Headers request() {
      return new DefaultHttp2Headers().method("GET").scheme("https").authority(target.authority())
          .path(target.pathAndQuery()).add("user-agent", "gatehouse-http3-probe");
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      page.tryFailure(cause);
      ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      page.tryFailure(new ClosedChannelException());
      ctx.fireChannelInactive();
    }
  }

  /** Reads one response on its stream into {@code page}; the connection's loop only. */
  private static final class ResponseReader extends ChannelInboundHandlerAdapter {
    private final Promise<Page> page;
    private final PageBody body = new PageBody();
    private String status = "";

    ResponseReader(Promise<Page> page) {
      this.page = page;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof Http2HeadersFrame headers) {
          readStatus(headers.headers());
          finishIf(headers.isEndStream(), ctx);
        } else if (msg instanceof Http2DataFrame data) {
          body.append(data.content());
          finishIf(data.isEndStream(), ctx);
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    private void readStatus(Http2Headers headers) {
      CharSequence frameStatus = headers.status();
      // an interim 1xx response or trailers do not replace the final status
      if (frameStatus != null && (status.isEmpty() || status.startsWith("1"))) {
        status = frameStatus.toString();
      }
    }

    private void finishIf(boolean endStream, ChannelHandlerContext ctx) {
      if (endStream) {
        page.trySuccess(body.toPage("h2", status));
        ctx.close();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      page.tryFailure(cause);
      ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      page.tryFailure(new ClosedChannelException());
      ctx.fireChannelInactive();
    }
  }
}
