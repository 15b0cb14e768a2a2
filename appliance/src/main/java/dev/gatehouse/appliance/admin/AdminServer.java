package dev.gatehouse.appliance.admin;

import dev.gatehouse.appliance.net.Listener;
import dev.gatehouse.appliance.net.Transports;
import dev.gatehouse.appliance.reload.PolicyReloader;
import dev.gatehouse.appliance.reload.ReloadTrigger;
import dev.gatehouse.core.tunnel.TunnelStatus;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin endpoint: {@code GET /healthz} (liveness) and {@code GET /readyz} (readiness)
 * answer 200 {@code {"status":"ok"}} while their check passes and 503 with the check's
 * reason otherwise. When given a {@link PolicyReloader}, {@code GET /policies} lists the
 * running policies and {@code POST /policies/reload} reloads them ({@link PolicyEndpoints}).
 * When given the tunnels' statuses, {@code GET /tunnels} shows them ({@link TunnelEndpoints}).
 * Other paths get 404 and other methods 405.
 *
 * <p>Bind it to loopback or a management network: it has no authentication.
 */
public final class AdminServer implements AutoCloseable {

  /** The liveness probe's path. */
  public static final String HEALTH_PATH = "/healthz";
  /** The readiness probe's path. */
  public static final String READY_PATH = "/readyz";
  /** Lists the running policies. */
  public static final String POLICIES_PATH = "/policies";
  /** Reloads the policies from the configuration file. */
  public static final String POLICIES_RELOAD_PATH = "/policies/reload";
  /** Shows every tunnel's status. */
  public static final String TUNNELS_PATH = "/tunnels";

  /** Our choice: probes carry no body; anything larger is not a probe. */
  static final int MAX_REQUEST_BYTES = 4096;

  private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
  private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(5);

  private final InetSocketAddress bindAddress;
  private final Health liveness;
  private final Health readiness;
  private final PolicyReloader policies;
  private final Supplier<List<TunnelStatus>> tunnels;
  /** Reads the tunnels' statuses, which may wait for their loops: never on a loop of ours. */
  private final ExecutorService statusThread;
  private final Listener listener;

  /** An admin endpoint on one event loop of its own. */
  public AdminServer(InetSocketAddress bindAddress, Health liveness, Health readiness) {
    this(bindAddress, liveness, readiness, null);
  }

  /**
   * An admin endpoint on shared event loops, which {@link #close} leaves running.
   *
   * @param eventLoops loops from {@link Transports#newEventLoopGroup}, or {@code null} for
   *     one loop of its own
   */
  public AdminServer(InetSocketAddress bindAddress, Health liveness, Health readiness,
      EventLoopGroup eventLoops) {
    this(bindAddress, liveness, readiness, null, eventLoops);
  }

  /**
   * An admin endpoint that also lists and reloads the network policies.
   *
   * @param policies the appliance's reloader, or {@code null} for no policy paths
   * @param eventLoops loops from {@link Transports#newEventLoopGroup}, or {@code null} for
   *     one loop of its own
   */
  public AdminServer(InetSocketAddress bindAddress, Health liveness, Health readiness,
      PolicyReloader policies, EventLoopGroup eventLoops) {
    this(bindAddress, liveness, readiness, policies, null, eventLoops);
  }

  /**
   * An admin endpoint that also lists and reloads the network policies and shows the tunnels.
   *
   * @param policies the appliance's reloader, or {@code null} for no policy paths
   * @param tunnels every tunnel's status, read on a thread of this endpoint's own for each
   *     request, or {@code null} for no {@code /tunnels}
   * @param eventLoops loops from {@link Transports#newEventLoopGroup}, or {@code null} for
   *     one loop of its own
   */
  public AdminServer(InetSocketAddress bindAddress, Health liveness, Health readiness,
      PolicyReloader policies, Supplier<List<TunnelStatus>> tunnels, EventLoopGroup eventLoops) {
    this.bindAddress = Objects.requireNonNull(bindAddress, "bindAddress");
    this.liveness = Objects.requireNonNull(liveness, "liveness");
    this.readiness = Objects.requireNonNull(readiness, "readiness");
    this.policies = policies;
    this.tunnels = tunnels;
    this.statusThread = tunnels == null ? null
        : Executors.newSingleThreadExecutor(Thread.ofPlatform().name("gatehouse-admin-status").daemon().factory());
    boolean ownsEventLoops = eventLoops == null;
    this.listener = new Listener("the admin endpoint",
        ownsEventLoops ? Transports.newEventLoopGroup(1, "admin") : eventLoops, ownsEventLoops);
  }

  /**
   * Binds and starts answering.
   *
   * @return the address bound, with the port chosen when 0 was asked for
   * @throws IllegalStateException when the address cannot be bound, or on a second call
   */
  public synchronized InetSocketAddress start() {
    ServerBootstrap bootstrap = new ServerBootstrap()
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel channel) {
            channel.pipeline()
                .addLast(new HttpServerCodec())
                .addLast(new HttpObjectAggregator(MAX_REQUEST_BYTES))
                .addLast(new ProbeHandler());
          }
        });
    InetSocketAddress bound = listener.start(bootstrap, bindAddress);
    LOG.info("listener=admin event=listening address={}", NetUtil.toSocketAddressString(bound));
    return bound;
  }

  /** Stops answering; shuts the event loop down if this endpoint made it. */
  @Override
  public synchronized void close() {
    if (listener.stopAccepting()) {
      listener.shutDownOwnEventLoops(SHUTDOWN_WAIT);
    }
    if (statusThread != null) {
      statusThread.shutdownNow();
    }
  }

  /** Answers one probe request; the aggregator has made it whole. */
  private final class ProbeHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      if (request.decoderResult().isFailure()) {
        respond(ctx, request, HttpResponseStatus.BAD_REQUEST, errorJson("bad request"), false);
        return;
      }

      String path = new QueryStringDecoder(request.uri()).path();
      if (policies != null && (path.equals(POLICIES_PATH) || path.equals(POLICIES_RELOAD_PATH))) {
        answerPolicies(ctx, request, path);
        return;
      }
      if (tunnels != null && path.equals(TUNNELS_PATH)) {
        answerTunnels(ctx, request);
        return;
      }
      Health check = switch (path) {
        case HEALTH_PATH -> liveness;
        case READY_PATH -> readiness;
        default -> null;
      };
      if (check == null) {
        respond(ctx, request, HttpResponseStatus.NOT_FOUND, errorJson("not found"), true);
      } else if (!HttpMethod.GET.equals(request.method())
          && !HttpMethod.HEAD.equals(request.method())) {
        respond(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED,
            errorJson("use GET"), true);
      } else {
        answerProbe(ctx, request, check);
      }
    }

    private void answerProbe(ChannelHandlerContext ctx, FullHttpRequest request, Health check) {
      Health.Status status;
      try {
        status = check.check();
      } catch (RuntimeException e) {
        // A broken check must read as unhealthy, not as a dead endpoint.
        LOG.debug("listener=admin event=check-failed cause={}", e.toString());
        status = Health.Status.failing("the check failed: " + e.getClass().getSimpleName());
      }
      if (status.healthy()) {
        respond(ctx, request, HttpResponseStatus.OK, "{\"status\":\"ok\"}", true);
      } else {
        respond(ctx, request, HttpResponseStatus.SERVICE_UNAVAILABLE,
            "{\"status\":\"unavailable\",\"reason\":\"" + jsonEscape(status.reason()) + "\"}",
            true);
      }
    }

    private void answerPolicies(ChannelHandlerContext ctx, FullHttpRequest request, String path) {
      HttpMethod method = request.method();
      if (path.equals(POLICIES_PATH)) {
        if (HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method)) {
          respond(ctx, request, HttpResponseStatus.OK, PolicyEndpoints.describe(policies), true);
        } else {
          respond(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, errorJson("use GET"), true, "GET, HEAD");
        }
        return;
      }
      if (!HttpMethod.POST.equals(method)) {
        respond(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, errorJson("use POST"), true, "POST");
        return;
      }
      // A reload reads a file and compiles expressions: it runs on the reload thread, and the
      // answer is written from there (Netty hands the write to the channel's loop).
      boolean keepAlive = HttpUtil.isKeepAlive(request);
      policies.reloadAsync(ReloadTrigger.ADMIN).whenComplete((outcome, failure) -> {
        PolicyEndpoints.Answer answer = failure == null
            ? PolicyEndpoints.answer(outcome)
            : new PolicyEndpoints.Answer(HttpResponseStatus.SERVICE_UNAVAILABLE, errorJson("reload failed"));
        write(ctx, answer.status(), answer.json(), false, keepAlive, null);
      });
    }

    /**
     * Reads the statuses on the status thread and answers from there: a WireGuard tunnel's
     * status waits for its loop, and two loops waiting for each other would never answer.
     */
    private void answerTunnels(ChannelHandlerContext ctx, FullHttpRequest request) {
      HttpMethod method = request.method();
      if (!HttpMethod.GET.equals(method) && !HttpMethod.HEAD.equals(method)) {
        respond(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, errorJson("use GET"), true);
        return;
      }
      boolean head = HttpMethod.HEAD.equals(method);
      boolean keepAlive = HttpUtil.isKeepAlive(request);
      try {
        statusThread.execute(() -> writeTunnels(ctx, head, keepAlive));
      } catch (RejectedExecutionException e) {
        respond(ctx, request, HttpResponseStatus.SERVICE_UNAVAILABLE, errorJson("stopping"), false);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      LOG.debug("listener=admin event=error cause={}", cause.toString());
      ctx.close();
    }
  }

  /** Answers with the tunnels' document, or with 500 should reading a status fail. */
  private void writeTunnels(ChannelHandlerContext ctx, boolean head, boolean keepAlive) {
    HttpResponseStatus status = HttpResponseStatus.OK;
    String json;
    try {
      json = TunnelEndpoints.describe(tunnels.get());
    } catch (RuntimeException e) {
      LOG.warn("listener=admin event=tunnel-status-failed cause=\"{}\"", e.toString());
      status = HttpResponseStatus.INTERNAL_SERVER_ERROR;
      json = errorJson("reading the tunnels' status failed");
    }
    write(ctx, status, json, head, keepAlive, null);
  }

  private static void respond(ChannelHandlerContext ctx, FullHttpRequest request,
      HttpResponseStatus status, String json, boolean keepAliveAllowed) {
    respond(ctx, request, status, json, keepAliveAllowed, "GET, HEAD");
  }

  private static void respond(ChannelHandlerContext ctx, FullHttpRequest request,
      HttpResponseStatus status, String json, boolean keepAliveAllowed, String allow) {
    write(ctx, status, json, HttpMethod.HEAD.equals(request.method()),
        keepAliveAllowed && HttpUtil.isKeepAlive(request), allow);
  }

  /** Writes one response; safe from any thread, as it reads nothing of the request. */
  private static void write(ChannelHandlerContext ctx, HttpResponseStatus status, String json, boolean head,
      boolean keepAlive, String allow) {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    ByteBuf content = head
        ? ctx.alloc().buffer(0)
        : ctx.alloc().buffer(body.length).writeBytes(body);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
    response.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
        .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
    if (status.equals(HttpResponseStatus.METHOD_NOT_ALLOWED)) {
      // RFC 9110 §15.5.6: a 405 lists the methods the resource supports.
      response.headers().set(HttpHeaderNames.ALLOW, allow);
    }

    HttpUtil.setKeepAlive(response, keepAlive);
    ChannelFuture written = ctx.writeAndFlush(response);
    if (!keepAlive) {
      written.addListener(ChannelFutureListener.CLOSE);
    }
  }

  static String errorJson(String error) {
    return "{\"error\":\"" + jsonEscape(error) + "\"}";
  }

  /** RFC 8259 §7: quote, backslash and control characters are escaped in a string. */
  static String jsonEscape(String text) {
    StringBuilder escaped = new StringBuilder(text.length() + 8);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> escaped.append("\\\"");
        case '\\' -> escaped.append("\\\\");
        case '\n' -> escaped.append("\\n");
        case '\r' -> escaped.append("\\r");
        case '\t' -> escaped.append("\\t");
        default -> {
          if (c < 0x20) {
            escaped.append(String.format("\\u%04x", (int) c));
          } else {
            escaped.append(c);
          }
        }
      }
    }
    return escaped.toString();
  }
}
