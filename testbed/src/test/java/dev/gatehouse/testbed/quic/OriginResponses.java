package dev.gatehouse.testbed.quic;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http3.DefaultHttp3DataFrame;
import io.netty.handler.codec.http3.DefaultHttp3HeadersFrame;
import io.netty.handler.codec.http3.Http3DataFrame;
import io.netty.handler.codec.http3.Http3Headers;
import io.netty.handler.codec.http3.Http3HeadersFrame;
import io.netty.handler.codec.http3.Http3RequestStreamInboundHandler;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.PrintStream;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * What {@link Http3Origin} answers, over either protocol: 200 and a fixed body naming the
 * protocol, to every request, once the request has ended. Each handler belongs to one
 * stream (or, for {@link Http2Starter}, one connection) and runs on its event loop.
 */
final class OriginResponses {
  static final String HTTP3_BODY_TEXT = "gatehouse origin h3\n";
  static final String HTTP2_BODY_TEXT = "gatehouse origin h2\n";
  private static final String STATUS = "200";
  private static final String CONTENT_TYPE = "text/plain; charset=utf-8";

  private OriginResponses() {}

  /** The request fields a log line shows, from its header section. */
  private record Request(String method, String authority, String path) {
    static Request of(CharSequence method, CharSequence authority, CharSequence path) {
      return new Request(String.valueOf(method), String.valueOf(authority), String.valueOf(path));
    }

    String logLine(String protocol, SocketAddress peer) {
      return "request proto=" + protocol + " peer=" + peer + " method=" + method
          + " authority=" + authority + " path=" + path + " status=" + STATUS;
    }
  }

  /** Answers one HTTP/3 request stream (RFC 9114 §4.1) once the client closed its side. */
  static final class Http3Responder extends Http3RequestStreamInboundHandler {
    private final PrintStream log;
    private Request request = Request.of(null, null, null);

    Http3Responder(PrintStream log) {
      this.log = log;
    }

    @Override
    protected void channelRead(ChannelHandlerContext ctx, Http3HeadersFrame frame) {
      try {
        Http3Headers headers = frame.headers();
        if (headers.method() != null) {
          request = Request.of(headers.method(), headers.authority(), headers.path());
        }
      } finally {
        ReferenceCountUtil.release(frame);
      }
    }

    @Override
    protected void channelRead(ChannelHandlerContext ctx, Http3DataFrame frame) {
      // a request body is read and dropped: the answer does not depend on it
      frame.release();
    }

    @Override
    protected void channelInputClosed(ChannelHandlerContext ctx) {
      QuicStreamChannel stream = (QuicStreamChannel) ctx.channel();
      Http3Origin.log(log, request.logLine("h3", stream.parent().remoteSocketAddress()));
      ByteBuf body = Unpooled.copiedBuffer(HTTP3_BODY_TEXT, StandardCharsets.UTF_8);
      Http3HeadersFrame headers = new DefaultHttp3HeadersFrame();
      headers.headers().status(STATUS).add("content-type", CONTENT_TYPE)
          .addInt("content-length", body.readableBytes());
      ctx.write(headers);
      ctx.writeAndFlush(new DefaultHttp3DataFrame(body)).addListener(QuicStreamChannel.SHUTDOWN_OUTPUT);
    }
  }

  /**
   * Waits for a TCP connection's TLS handshake and speaks HTTP/2 if the client chose it
   * (RFC 9113 §3.2); closes the connection otherwise. {@code altSvcPort} is the HTTP/3
   * port to advertise, or -1 for none.
   */
  static final class Http2Starter extends ChannelInboundHandlerAdapter {
    private final PrintStream log;
    private final int altSvcPort;

    Http2Starter(PrintStream log, int altSvcPort) {
      this.log = log;
      this.altSvcPort = altSvcPort;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
      if (!(event instanceof SslHandshakeCompletionEvent handshake)) {
        ctx.fireUserEventTriggered(event);
        return;
      }
      String protocol = handshake.isSuccess() ? ctx.pipeline().get(SslHandler.class).applicationProtocol() : null;
      if (!ApplicationProtocolNames.HTTP_2.equals(protocol)) {
        ctx.close();
        return;
      }
      SocketAddress peer = ctx.channel().remoteAddress();
      ctx.pipeline().addLast(Http2FrameCodecBuilder.forServer().build(),
          new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel stream) {
              stream.pipeline().addLast(new Http2Responder(log, peer, altSvcPort));
            }
          }));
      ctx.pipeline().remove(this);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // a client that fails the handshake is a client's problem, not the origin's
      ctx.close();
    }
  }

  /** Answers one HTTP/2 stream once the client ended it. */
  private static final class Http2Responder extends ChannelInboundHandlerAdapter {
    private final PrintStream log;
    private final SocketAddress peer;
    private final int altSvcPort;
    private Request request = Request.of(null, null, null);

    Http2Responder(PrintStream log, SocketAddress peer, int altSvcPort) {
      this.log = log;
      this.peer = peer;
      this.altSvcPort = altSvcPort;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof Http2HeadersFrame frame) {
          Http2Headers headers = frame.headers();
          if (headers.method() != null) {
            request = Request.of(headers.method(), headers.authority(), headers.path());
          }
          respondIf(frame.isEndStream(), ctx);
        } else if (msg instanceof Http2DataFrame frame) {
          respondIf(frame.isEndStream(), ctx);
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    private void respondIf(boolean endStream, ChannelHandlerContext ctx) {
      if (!endStream) {
        return;
      }
      Http3Origin.log(log, request.logLine("h2", peer));
      ByteBuf body = Unpooled.copiedBuffer(HTTP2_BODY_TEXT, StandardCharsets.UTF_8);
      Http2Headers headers = new DefaultHttp2Headers().status(STATUS).add("content-type", CONTENT_TYPE)
          .addInt("content-length", body.readableBytes());
      if (altSvcPort > 0) {
        // RFC 7838 §3: the same origin answers HTTP/3 on this UDP port for a day
        headers.add("alt-svc", "h3=\":" + altSvcPort + "\"; ma=86400");
      }
      ctx.write(new DefaultHttp2HeadersFrame(headers));
      ctx.writeAndFlush(new DefaultHttp2DataFrame(body, true));
    }
  }
}
