package dev.gatehouse.testbed.quic;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http3.Http3;
import io.netty.handler.codec.http3.Http3ServerConnectionHandler;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicTokenHandler;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolConfig.Protocol;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectedListenerFailureBehavior;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectorFailureBehavior;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.Future;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * A web origin that serves HTTP/3 (RFC 9114) on a UDP port and, with {@code --h2}, HTTP/2
 * over TLS on the TCP port of the same number, answering every request with 200 and a body
 * that names the protocol: {@code gatehouse origin h3\n} (or {@code h2}). The HTTP/2
 * responses advertise the HTTP/3 service in {@code alt-svc} (RFC 7838 §3), which is how a
 * browser learns to try QUIC.
 *
 * <pre>
 * Http3Origin --cert FILE --key FILE [--bind ADDRESS] [--port N] [--h2 | --h2-only]
 * </pre>
 *
 * <p>{@code --cert} is a PEM certificate chain and {@code --key} its PKCS#8 PEM key; the
 * port is 443 unless given, bound on every address (IPv6 and IPv4 where the host has both)
 * unless {@code --bind} names one; {@code --h2-only} serves TCP alone, for a host whose QUIC
 * nobody answers. It prints one line per listening socket and one per request on standard
 * output, so that a test can tell whether any request reached it:
 *
 * <pre>
 * listening proto=h3 udp=/[0:0:0:0:0:0:0:0]:443
 * request proto=h3 peer=/172.17.0.3:41032 method=GET authority=origin.test path=/ status=200
 * </pre>
 *
 * <p>It runs until killed; {@link #start} runs one in-process until {@link #close}.
 */
public final class Http3Origin implements AutoCloseable {
  /** How long a silent QUIC connection lives: long enough for a slow test, short enough to end. */
  private static final long QUIC_IDLE_TIMEOUT_MILLIS = 30_000;
  private static final long CONNECTION_WINDOW_BYTES = 1 << 20;
  private static final long STREAM_WINDOW_BYTES = 1 << 18;
  private static final long MAX_STREAMS = 100;
  /** Never asks for a Retry, so it never has a token to validate (RFC 9000 §8.1.2). */
  private static final QuicTokenHandler NO_RETRY = new QuicTokenHandler() {
    @Override
    public boolean writeToken(ByteBuf out, ByteBuf dcid, InetSocketAddress address) {
      return false;
    }

    @Override
    public int validateToken(ByteBuf token, InetSocketAddress address) {
      return -1;
    }

    @Override
    public int maxTokenLength() {
      return 0;
    }
  };

  private final EventLoopGroup group;
  private final Channel udp;
  private final Channel tcp;

  private Http3Origin(EventLoopGroup group, Channel udp, Channel tcp) {
    this.group = group;
    this.udp = udp;
    this.tcp = tcp;
  }

  /** Entry point; see the type's description. */
  public static void main(String[] args) throws InterruptedException {
    OriginOptions options;
    try {
      options = OriginOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.println(OriginOptions.USAGE);
      System.exit(2);
      return;
    }
    try (Http3Origin origin = start(options, System.out)) {
      origin.closeFuture().sync();
    } catch (SSLException e) {
      System.err.println("cannot use the certificate or key: " + e);
      System.exit(1);
    }
  }

  /**
   * Binds the origin's sockets as {@code options} say and serves until {@link #close};
   * listening and request lines go to {@code log}. With port 0, the TCP socket takes the
   * number the UDP socket was given.
   */
  public static Http3Origin start(OriginOptions options, PrintStream log)
      throws InterruptedException, SSLException {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    Channel udp = null;
    Channel tcp = null;
    try {
      InetSocketAddress address = options.socketAddress();
      if (options.http3()) {
        udp = bindUdp(group, address, options, log);
        address = new InetSocketAddress(address.getAddress(), port(udp));
        log(log, "listening proto=h3 udp=" + udp.localAddress());
      }
      if (options.http2()) {
        tcp = bindTcp(group, address, options, log);
        log(log, "listening proto=h2 tcp=" + tcp.localAddress());
      }
      return new Http3Origin(group, udp, tcp);
    } catch (Exception e) {
      // Netty's sync() also throws a bind's IOException, undeclared: catch it as well
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw e;
    }
  }

  /** The bound UDP port; -1 without HTTP/3. */
  public int udpPort() {
    return udp == null ? -1 : port(udp);
  }

  /** The bound TCP port; -1 without HTTP/2. */
  public int tcpPort() {
    return tcp == null ? -1 : port(tcp);
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
  }

  private Future<?> closeFuture() {
    return group.terminationFuture();
  }

  private static Channel bindUdp(EventLoopGroup group, InetSocketAddress address, OriginOptions options,
      PrintStream log) throws InterruptedException {
    QuicSslContext tls = QuicSslContextBuilder.forServer(options.privateKey().toFile(), null,
            options.certificate().toFile())
        .applicationProtocols(Http3.supportedApplicationProtocols())
        .build();
    ChannelHandler codec = Http3.newQuicServerCodecBuilder()
        .sslContext(tls)
        .maxIdleTimeout(QUIC_IDLE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
        .initialMaxData(CONNECTION_WINDOW_BYTES)
        .initialMaxStreamDataBidirectionalRemote(STREAM_WINDOW_BYTES)
        .initialMaxStreamsBidirectional(MAX_STREAMS)
        // No Retry (RFC 9000 §8.1): the first Initial gets the handshake, as from most
        // origins; address validation would only add a round trip to every test.
        .tokenHandler(NO_RETRY)
        .handler(new ChannelInitializer<QuicChannel>() {
          @Override
          protected void initChannel(QuicChannel quic) {
            quic.pipeline().addLast(new Http3ServerConnectionHandler(
                new ChannelInitializer<QuicStreamChannel>() {
                  @Override
                  protected void initChannel(QuicStreamChannel stream) {
                    stream.pipeline().addLast(new OriginResponses.Http3Responder(log));
                  }
                }));
          }
        })
        .build();
    return new Bootstrap().group(group).channel(NioDatagramChannel.class).handler(codec)
        .bind(address).sync().channel();
  }

  private static Channel bindTcp(EventLoopGroup group, InetSocketAddress address, OriginOptions options,
      PrintStream log) throws InterruptedException, SSLException {
    SslContext tls = SslContextBuilder.forServer(options.certificate().toFile(), options.privateKey().toFile())
        .applicationProtocolConfig(new ApplicationProtocolConfig(Protocol.ALPN,
            SelectorFailureBehavior.NO_ADVERTISE, SelectedListenerFailureBehavior.ACCEPT,
            ApplicationProtocolNames.HTTP_2))
        .build();
    int altSvcPort = options.http3() ? address.getPort() : -1;
    return new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(tls.newHandler(ch.alloc()), new OriginResponses.Http2Starter(log, altSvcPort));
          }
        })
        .bind(address).sync().channel();
  }

  private static int port(Channel channel) {
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  static void log(PrintStream log, String line) {
    // one println per line: the stream's lock keeps lines from two loops apart
    log.println(line);
    log.flush();
  }
}
