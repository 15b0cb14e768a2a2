package dev.gatehouse.appliance.explicit;

import dev.gatehouse.core.config.ConfigNode;
import dev.gatehouse.appliance.net.Listener;
import dev.gatehouse.appliance.net.Transports;
import dev.gatehouse.core.log.ActivityLog;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An explicit HTTP proxy listener: {@code CONNECT host:port} opens a tunnel to the origin
 * (answered only after the origin connected), and absolute-form requests
 * ({@code GET http://host/path}) are forwarded in origin-form with bodies streamed both
 * ways. Every proxied flow ends in one activity record.
 *
 * <pre>{@code
 * try (var proxy = new ExplicitProxyServer(new InetSocketAddress("127.0.0.1", 3128), log)) {
 *   InetSocketAddress bound = proxy.start();
 *   ...
 * }
 * }</pre>
 *
 * <p>Client connections are read by the event loops; each connection and its origin
 * connections live on one loop. Name lookups run on virtual threads.
 */
public final class ExplicitProxyServer implements AutoCloseable {

  /** Gateway's documented default: a TCP connection attempt times out after 30 s. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(30);
  /** Gateway's documented default: an idle connection is closed after 8 h. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofHours(8);
  /** The {@code tunnel} field of this listener's activity records, unless configured. */
  public static final String DEFAULT_LISTENER_NAME = "explicit-proxy";

  /**
   * RFC 9112 §3: recipients are RECOMMENDED to support request lines of at least 8000
   * octets; longer ones get 414.
   */
  static final int MAX_INITIAL_LINE_BYTES = 8192;
  /** Our choice: room for large cookies; a longer header section gets 431. */
  static final int MAX_HEADER_BYTES = 32 * 1024;
  /** Our choice: the largest body piece decoded at once; larger chunks are split. */
  static final int MAX_CHUNK_BYTES = 16 * 1024;

  private static final Logger LOG = LoggerFactory.getLogger(ExplicitProxyServer.class);
  private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(5);

  private final InetSocketAddress bindAddress;
  private final Duration idleTimeout;
  private final Listener listener;
  private final ExecutorService resolver;
  private final ProxySettings settings;
  private final HttpDecoderConfig decoderConfig;
  private final Set<ClientConnectionHandler> openConnections = ConcurrentHashMap.newKeySet();

  /**
   * A listener with Gateway's default timeouts, named {@value #DEFAULT_LISTENER_NAME}, on
   * event loops of its own.
   */
  public ExplicitProxyServer(InetSocketAddress bindAddress, ActivityLog activityLog) {
    this(bindAddress, DEFAULT_CONNECT_TIMEOUT, DEFAULT_IDLE_TIMEOUT, activityLog,
        DEFAULT_LISTENER_NAME);
  }

  /** A listener on event loops of its own, shut down by {@link #close}. */
  public ExplicitProxyServer(InetSocketAddress bindAddress, Duration connectTimeout,
      Duration idleTimeout, ActivityLog activityLog, String listenerName) {
    this(bindAddress, connectTimeout, idleTimeout, activityLog, listenerName, null, true);
  }

  /**
   * A listener on shared event loops, which {@link #close} leaves running.
   *
   * @param bindAddress where to listen; port 0 picks a free port
   * @param connectTimeout bound on one dial to an origin, name lookup included
   * @param idleTimeout a client connection with no traffic either way for this long is
   *     closed, and its flow ends with {@code CLIENT_IDLE_TIMEOUT}
   * @param activityLog where flow records go
   * @param listenerName the {@code tunnel} field of the activity records
   * @param eventLoops loops from {@link Transports#newEventLoopGroup} or compatible
   */
  public ExplicitProxyServer(InetSocketAddress bindAddress, Duration connectTimeout,
      Duration idleTimeout, ActivityLog activityLog, String listenerName,
      EventLoopGroup eventLoops) {
    this(bindAddress, connectTimeout, idleTimeout, activityLog, listenerName,
        Objects.requireNonNull(eventLoops, "eventLoops"), false);
  }

  private ExplicitProxyServer(InetSocketAddress bindAddress, Duration connectTimeout,
      Duration idleTimeout, ActivityLog activityLog, String listenerName,
      EventLoopGroup eventLoops, boolean ownsEventLoops) {
    this.bindAddress = Objects.requireNonNull(bindAddress, "bindAddress");
    this.idleTimeout = requirePositive(idleTimeout, "idleTimeout");
    requirePositive(connectTimeout, "connectTimeout");
    Objects.requireNonNull(activityLog, "activityLog");
    if (listenerName == null || listenerName.isBlank()) {
      throw new IllegalArgumentException("listenerName must be a non-blank name, got '"
          + listenerName + "'");
    }

    // Threads are made only once the arguments are known to be good.
    EventLoopGroup loops =
        ownsEventLoops ? Transports.newEventLoopGroup(0, listenerName) : eventLoops;
    this.listener = new Listener("listener " + listenerName, loops, ownsEventLoops);
    this.resolver = Executors.newVirtualThreadPerTaskExecutor();
    this.settings = new ProxySettings(listenerName, activityLog, connectTimeout,
        Transports.socketChannelType(loops), resolver);
    this.decoderConfig = new HttpDecoderConfig()
        .setMaxInitialLineLength(MAX_INITIAL_LINE_BYTES)
        .setMaxHeaderSize(MAX_HEADER_BYTES)
        .setMaxChunkSize(MAX_CHUNK_BYTES);
  }

  /**
   * Binds and starts accepting.
   *
   * @return the address bound, with the port chosen when 0 was asked for
   * @throws IllegalStateException when the address cannot be bound, or on a second call
   */
  public synchronized InetSocketAddress start() {
    ServerBootstrap bootstrap = new ServerBootstrap()
        // Reads are asked for by the handlers, one decoded object at a time.
        .childOption(ChannelOption.AUTO_READ, false)
        .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel channel) {
            initClientPipeline(channel);
          }
        });

    InetSocketAddress bound = listener.start(bootstrap, bindAddress);
    LOG.info("listener={} event=listening address={} connectTimeout={} idleTimeout={}",
        settings.listenerName(), NetUtil.toSocketAddressString(bound),
        ConfigNode.format(settings.connectTimeout()), ConfigNode.format(idleTimeout));
    return bound;
  }

  private void initClientPipeline(SocketChannel channel) {
    channel.pipeline()
        // First, so that it sees the socket's traffic both ways whatever follows.
        .addLast("idle", new IdleStateHandler(0, 0, idleTimeout.toNanos(), TimeUnit.NANOSECONDS))
        .addLast("http", new HttpServerCodec(decoderConfig))
        .addLast("flow-control", new FlowControlHandler())
        .addLast("client", new ClientConnectionHandler(settings, decoderConfig, openConnections));
  }

  /**
   * Stops accepting, ends every open flow with {@code PROXY_SHUTDOWN} (their records are
   * written before this returns) and closes the connections; then shuts down the event
   * loops if this listener created them.
   */
  @Override
  public synchronized void close() {
    if (!listener.stopAccepting()) {
      return;
    }

    List<Future<?>> shutdowns = new ArrayList<>();
    for (ClientConnectionHandler connection : openConnections) {
      try {
        shutdowns.add(connection.eventLoop().submit(connection::shutdown));
      } catch (RejectedExecutionException loopAlreadyDown) {
        LOG.debug("listener={} event=shutdown-skipped cause=event loop already shut down",
            settings.listenerName());
      }
    }
    for (Future<?> shutdown : shutdowns) {
      shutdown.awaitUninterruptibly(SHUTDOWN_WAIT.toMillis());
    }

    resolver.shutdownNow();
    listener.shutDownOwnEventLoops(SHUTDOWN_WAIT);
    LOG.info("listener={} event=closed connectionsClosed={}",
        settings.listenerName(), shutdowns.size());
  }

  private static Duration requirePositive(Duration duration, String name) {
    Objects.requireNonNull(duration, name);
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, got " + duration);
    }
    return duration;
  }
}
