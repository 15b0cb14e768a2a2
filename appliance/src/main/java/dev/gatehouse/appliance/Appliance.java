package dev.gatehouse.appliance;

import dev.gatehouse.appliance.admin.AdminServer;
import dev.gatehouse.appliance.admin.Health;
import dev.gatehouse.appliance.config.GatehouseConfig;
import dev.gatehouse.appliance.explicit.ExplicitProxyServer;
import dev.gatehouse.appliance.net.Transports;
import dev.gatehouse.core.config.ConfigNode;
import dev.gatehouse.core.log.ActivityLog;
import dev.gatehouse.core.log.ActivityLogSettings;
import io.netty.channel.EventLoopGroup;
import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running appliance: the components a configuration snapshot asks for, started in order
 * and closed in reverse. Closing is idempotent and also runs on SIGTERM / SIGINT.
 */
final class Appliance implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Appliance.class);
  /** How long the event loops may take to finish their work once the listeners closed. */
  private static final Duration LOOP_SHUTDOWN_WAIT = Duration.ofSeconds(5);

  private final GatehouseConfig config;
  private final ActivityLog activityLog;
  private final EventLoopGroup eventLoops;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private ExplicitProxyServer explicitProxy;
  private InetSocketAddress explicitProxyAddress;
  private AdminServer admin;
  private InetSocketAddress adminAddress;
  private volatile boolean ready;
  private boolean closed;

  private Appliance(GatehouseConfig config) {
    this.config = config;
    this.activityLog = config.log().activityEnabled()
        ? ActivityLog.open(config.log().activity())
        : ActivityLog.discarding();
    this.eventLoops = Transports.newEventLoopGroup(0, "gatehouse");
  }

  /** Starts every component of {@code config}; on a failure, what started is closed again. */
  static Appliance start(GatehouseConfig config) {
    Appliance appliance = new Appliance(config);
    try {
      appliance.startComponents();
    } catch (RuntimeException e) {
      appliance.close();
      throw e;
    }
    Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("gatehouse-shutdown").unstarted(appliance::close));
    return appliance;
  }

  private void startComponents() {
    if (config.explicitProxy().enabled()) {
      explicitProxy = new ExplicitProxyServer(config.explicitProxy().listen(), config.tcp().connectTimeout(),
          config.tcp().idleTimeout(), activityLog, ExplicitProxyServer.DEFAULT_LISTENER_NAME, eventLoops);
      explicitProxyAddress = explicitProxy.start();
    }
    // TODO(#3): configured tunnels are created from their plans and started here once the
    // flow engines exist to take their inner packets; no ingress provides a type yet.
    if (config.admin().enabled()) {
      admin = new AdminServer(config.admin().listen(), this::liveness, this::readiness, eventLoops);
      adminAddress = admin.start();
    }
    ready = true;
  }

  private Health.Status liveness() {
    return eventLoops.isShuttingDown() ? Health.Status.failing("shutting down") : Health.Status.ok();
  }

  private Health.Status readiness() {
    return ready ? Health.Status.ok() : Health.Status.failing("starting or stopping");
  }

  /** The lines printed on start: what is listening, and what to try next. */
  String welcome(String version, String source) {
    StringBuilder out = new StringBuilder("Gatehouse ").append(version).append(" is running (")
        .append(source).append(").\n");
    if (explicitProxyAddress != null) {
      String proxy = "http://" + hostPort(explicitProxyAddress);
      out.append("  explicit proxy  ").append(proxy).append('\n')
          .append("    try: curl -x ").append(proxy).append(" http://example.com/\n");
    }
    if (adminAddress != null) {
      out.append("  admin           http://").append(hostPort(adminAddress)).append('\n')
          .append("    try: curl http://").append(hostPort(adminAddress)).append("/healthz\n");
    }
    ActivityLogSettings activity = config.log().activity();
    out.append("  activity log    ").append(!config.log().activityEnabled() ? "off"
        : activity.sink() == ActivityLogSettings.Sink.STDOUT ? "standard output, one JSON line per flow"
        : activity.path() + ", one JSON line per flow").append('\n');
    out.append("  tcp             connect timeout ").append(ConfigNode.format(config.tcp().connectTimeout()))
        .append(", idle timeout ").append(ConfigNode.format(config.tcp().idleTimeout())).append('\n');
    return out.append("Stop with Ctrl-C.").toString();
  }

  private static String hostPort(InetSocketAddress address) {
    String host = NetUtil.toAddressString(address.getAddress());
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
  }

  /** Blocks until the appliance is closed (by a signal or by {@link #close()}). */
  void awaitShutdown() throws InterruptedException {
    stopped.await();
  }

  /** Stops taking new work, closes open flows (each logged), drains the activity log. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    ready = false;
    log.info("stopping");
    if (admin != null) {
      admin.close();
    }
    if (explicitProxy != null) {
      explicitProxy.close();
    }
    Transports.shutdown(eventLoops, LOOP_SHUTDOWN_WAIT);
    activityLog.close();
    stopped.countDown();
  }
}
