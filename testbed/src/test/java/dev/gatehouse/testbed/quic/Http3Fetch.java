package dev.gatehouse.testbed.quic;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.http3.DefaultHttp3HeadersFrame;
import io.netty.handler.codec.http3.Http3;
import io.netty.handler.codec.http3.Http3ClientConnectionHandler;
import io.netty.handler.codec.http3.Http3DataFrame;
import io.netty.handler.codec.http3.Http3HeadersFrame;
import io.netty.handler.codec.http3.Http3RequestStreamInboundHandler;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeUnit;

/**
 * One GET over HTTP/3 (RFC 9114): a QUIC connection (RFC 9000) from a fresh UDP socket to
 * the target's address, TLS with the URL's host as SNI and {@code h3} as ALPN (RFC 9114
 * §3.1), one request stream, the response read to its end. Everything within one timeout:
 * a browser that races QUIC against TCP gives QUIC about that long.
 */
final class Http3Fetch {
  /** Flow control credit, ample for a test page. */
  private static final long CONNECTION_WINDOW_BYTES = 1 << 20;
  private static final long STREAM_WINDOW_BYTES = 1 << 18;

  private Http3Fetch() {}

  static Page fetch(EventLoopGroup group, Target target, Trust trust, long timeoutMillis)
      throws FetchException, InterruptedException {
    Deadline deadline = new Deadline(timeoutMillis);
    Channel udp = null;
    QuicChannel quic = null;
    try {
      ChannelFuture bound = new Bootstrap().group(group).channel(NioDatagramChannel.class)
          .handler(clientCodec(target, trust, timeoutMillis)).bind(0);
      udp = bound.channel();
      deadline.await(bound, "error");

      quic = deadline.await(QuicChannel.newBootstrap(udp)
          .handler(new Http3ClientConnectionHandler())
          .remoteAddress(target.address())
          .connect(), "handshake-timeout");

      Promise<Page> page = udp.eventLoop().newPromise();
      QuicStreamChannel stream = deadline.await(
          Http3.newRequestStream(quic, new ResponseReader(page)), "response-timeout");
      stream.writeAndFlush(request(target)).addListener(QuicStreamChannel.SHUTDOWN_OUTPUT);
      return deadline.await(page, "response-timeout");
    } finally {
      close(quic, udp);
    }
  }

  private static ChannelHandler clientCodec(Target target, Trust trust, long timeoutMillis) {
    QuicSslContextBuilder tls = QuicSslContextBuilder.forClient()
        .applicationProtocols(Http3.supportedApplicationProtocols());
    trust.applyTo(tls);
    QuicSslContext context = tls.build();
    return Http3.newQuicClientCodecBuilder()
        // the default engine carries no server name: SNI must be the URL's host
        .sslEngineProvider(quic -> context.newEngine(quic.alloc(), target.host(), target.port()))
        // QUIC's own idle timer must not race the fetch's deadline: when both were the same
        // length, a loaded machine saw the idle close fail the connect first, and the probe
        // reported reason=error for what was a handshake timeout. The deadline decides.
        .maxIdleTimeout(2 * timeoutMillis, TimeUnit.MILLISECONDS)
        .initialMaxData(CONNECTION_WINDOW_BYTES)
        .initialMaxStreamDataBidirectionalLocal(STREAM_WINDOW_BYTES)
        .build();
  }

  private static Http3HeadersFrame request(Target target) {
    Http3HeadersFrame headers = new DefaultHttp3HeadersFrame();
    headers.headers().method("GET").scheme("https").authority(target.authority())
        .path(target.pathAndQuery());
    headers.headers().add("user-agent", "gatehouse-http3-probe");
    return headers;
  }

  private static void close(QuicChannel quic, Channel udp) {
    // CONNECTION_CLOSE first, so that the origin does not wait out its idle timeout
    if (quic != null) {
      quic.close().awaitUninterruptibly();
    }
    if (udp != null) {
      udp.close().awaitUninterruptibly();
    }
  }

  /** Reads one response on its request stream into {@code page}; the stream's loop only. */
  private static final class ResponseReader extends Http3RequestStreamInboundHandler {
    private final Promise<Page> page;
    private final PageBody body = new PageBody();
    private String status = "";

    ResponseReader(Promise<Page> page) {
      this.page = page;
    }

    @Override
    protected void channelRead(ChannelHandlerContext ctx, Http3HeadersFrame frame) {
      try {
        CharSequence frameStatus = frame.headers().status();
        // an interim 1xx response or trailers do not replace the final status
        if (frameStatus != null && (status.isEmpty() || status.startsWith("1"))) {
          status = frameStatus.toString();
        }
      } finally {
        ReferenceCountUtil.release(frame);
      }
    }

    @Override
    protected void channelRead(ChannelHandlerContext ctx, Http3DataFrame frame) {
      try {
        body.append(frame.content());
      } finally {
        frame.release();
      }
    }

    @Override
    protected void channelInputClosed(ChannelHandlerContext ctx) {
      page.trySuccess(body.toPage("h3", status));
      ctx.close();
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
