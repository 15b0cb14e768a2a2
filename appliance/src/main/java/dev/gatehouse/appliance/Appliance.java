package dev.gatehouse.appliance;

import dev.gatehouse.appliance.admin.AdminServer;
import dev.gatehouse.appliance.admin.Health;
import dev.gatehouse.appliance.config.ConfigFile;
import dev.gatehouse.appliance.config.GatehouseConfig;
import dev.gatehouse.appliance.config.GatehouseConfigReader;
import dev.gatehouse.appliance.explicit.ExplicitProxyServer;
import dev.gatehouse.appliance.net.Transports;
import dev.gatehouse.appliance.reload.ConfigFileWatcher;
import dev.gatehouse.appliance.reload.HangupSignal;
import dev.gatehouse.appliance.reload.PolicyReloader;
import dev.gatehouse.appliance.reload.ReloadTrigger;
import dev.gatehouse.core.config.ConfigNode;
import dev.gatehouse.core.flow.DropCounters;
import dev.gatehouse.core.flow.FlowDispatcher;
import dev.gatehouse.core.flow.FlowEngine;
import dev.gatehouse.core.flow.Transport;
import dev.gatehouse.core.flow.TunnelReturnPath;
import dev.gatehouse.core.icmp.IcmpEngine;
import dev.gatehouse.core.log.ActivityLog;
import dev.gatehouse.core.log.ActivityLogSettings;
import dev.gatehouse.core.policy.Policies;
import dev.gatehouse.core.tunnel.Tunnel;
import dev.gatehouse.core.tunnel.TunnelPlan;
import dev.gatehouse.core.tunnel.TunnelStatus;
import dev.gatehouse.core.tcp.TcpEngine;
import dev.gatehouse.core.udp.UdpEngine;
import io.netty.channel.EventLoopGroup;
import io.netty.util.NetUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
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
  private final Policies policies;
  private final PolicyReloader policyReloader;
  private final ActivityLog activityLog;
  private final EventLoopGroup eventLoops;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final DropCounters drops = new DropCounters();
  private final TunnelReturnPath returnPath = new TunnelReturnPath();
  /** Written while starting, read by reloads on their own thread. */
  private final List<Tunnel> tunnels = new CopyOnWriteArrayList<>();
  private FlowDispatcher dispatcher;
  private String icmpDisabledReason;
  private ExplicitProxyServer explicitProxy;
  private InetSocketAddress explicitProxyAddress;
  private AdminServer admin;
  private InetSocketAddress adminAddress;
  private HangupSignal hangup;
  private ConfigFileWatcher configWatcher;
  private volatile boolean ready;
  private boolean closed;

  private Appliance(GatehouseConfig config, ConfigFile file, GatehouseConfigReader reader) {
    this.config = config;
    this.policies = new Policies(config.policies().set(), config.policies().inspectionTimeout());
    this.policyReloader = file == null
        ? PolicyReloader.withoutFile(policies, InstantSource.system())
        : PolicyReloader.forFile(policies, reader, file, InstantSource.system(), this::runningTunnel);
    this.activityLog = config.log().activityEnabled()
        ? ActivityLog.open(config.log().activity())
        : ActivityLog.discarding();
    this.eventLoops = Transports.newEventLoopGroup(0, "gatehouse");
  }

  /** Starts on a configuration with no file behind it (the built-in defaults, tests). */
  static Appliance start(GatehouseConfig config) {
    return start(config, null, null);
  }

  /** Starts on {@code file}, whose policies SIGHUP, an edit or the admin endpoint reload. */
  static Appliance start(ConfigFile file, GatehouseConfigReader reader) {
    return start(file.config(), file, reader);
  }

  /** Starts every component of {@code config}; on a failure, what started is closed again. */
  private static Appliance start(GatehouseConfig config, ConfigFile file, GatehouseConfigReader reader) {
    Appliance appliance = new Appliance(config, file, reader);
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
    startFlows();
    if (config.admin().enabled()) {
      admin = new AdminServer(config.admin().listen(), this::liveness, this::readiness, policyReloader,
          this::tunnelStatus, eventLoops);
      adminAddress = admin.start();
    }
    startReloadTriggers();
    ready = true;
  }

  /**
   * SIGHUP and, with a file, edits of it reload the policies. A directory that cannot be
   * watched leaves SIGHUP and the admin endpoint, so it is a warning, not a failure.
   */
  private void startReloadTriggers() {
    hangup = HangupSignal.install(() -> policyReloader.reloadAsync(ReloadTrigger.SIGHUP)).orElse(null);
    Path file = policyReloader.file().orElse(null);
    if (file == null) {
      return;
    }
    try {
      configWatcher = ConfigFileWatcher.start(file, ConfigFileWatcher.DEFAULT_DEBOUNCE,
          () -> policyReloader.reloadIfChangedAsync(ReloadTrigger.FILE_CHANGE));
    } catch (IOException e) {
      log.warn("event=config-watch-unavailable file={} cause=\"{}\"", file, e.toString());
    }
  }

  /** The policies the flows decide by; reloads replace their set. */
  public Policies policies() {
    return policies;
  }

  /** Reloads the policies from the file, and lists the running ones. */
  PolicyReloader policyReloader() {
    return policyReloader;
  }

  /**
   * Starts the flow engines and every configured tunnel, which feed them. ICMP is switched
   * off, not the appliance, when ping sockets cannot be opened here: TCP and UDP still work,
   * and the WARN line says which group {@code net.ipv4.ping_group_range} must include.
   */
  private void startFlows() {
    Map<Transport, FlowEngine> engines = new EnumMap<>(Transport.class);
    if (config.udp().enabled()) {
      engines.put(Transport.UDP, new UdpEngine(config.udp().settings(), activityLog, policies));
    }
    if (config.icmp().enabled()) {
      icmpDisabledReason = checkIcmp();
      if (icmpDisabledReason == null) {
        IcmpEngine icmp = new IcmpEngine(config.icmp().settings(), activityLog, policies);
        engines.put(Transport.ICMP, icmp);
        engines.put(Transport.ICMPV6, icmp);
      } else {
        log.warn("event=icmp-disabled reason=\"{}\"", icmpDisabledReason);
      }
    }
    if (config.tcp().enabled()) {
      engines.put(Transport.TCP, new TcpEngine(config.tcp().settings(), activityLog, policies));
    }
    dispatcher = new FlowDispatcher(eventLoops, engines, returnPath, drops, policies);
    for (TunnelPlan plan : config.tunnels()) {
      startTunnel(plan);
    }
  }

  /** Why ICMP cannot run here, or {@code null} when it can. */
  private static String checkIcmp() {
    if (!Transports.epollAvailable()) {
      return "ICMP echo needs the epoll transport, which did not load on this machine";
    }
    try {
      IcmpEngine.checkPingSockets();
      return null;
    } catch (IOException e) {
      return e.getMessage();
    }
  }

  private void startTunnel(TunnelPlan plan) {
    String name = plan.context().name();
    try {
      Tunnel tunnel = plan.create(eventLoops);
      tunnels.add(tunnel);
      tunnel.start(dispatcher);
      returnPath.add(tunnel);
      log.info("tunnel={} event=started type={}", name, plan.context().type());
    } catch (IOException e) {
      throw new IllegalStateException("tunnel " + name + " cannot start: " + e.getMessage(), e);
    }
  }

  /** The started tunnel named {@code name}, for reloads to offer its new plan. */
  private Optional<Tunnel> runningTunnel(String name) {
    return tunnels.stream().filter(tunnel -> tunnel.context().name().equals(name)).findFirst();
  }

  /** Every started tunnel's status, in the order of the configuration; off the event loops only. */
  private List<TunnelStatus> tunnelStatus() {
    return tunnels.stream().map(Tunnel::status).toList();
  }

  /** Where the admin endpoint listens, or {@code null} when it is off. */
  InetSocketAddress adminAddress() {
    return adminAddress;
  }

  /** Dropped packets by reason, in total and per tunnel. */
  DropCounters drops() {
    return drops;
  }

  /** Why ICMP was switched off at start, or {@code null} when it runs (or is not configured). */
  String icmpDisabledReason() {
    return icmpDisabledReason;
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
    out.append("  udp             ").append(!config.udp().enabled() ? "off"
        : "idle timeout " + ConfigNode.format(config.udp().settings().idleTimeout())).append('\n');
    out.append("  icmp            ").append(!config.icmp().enabled() ? "off"
        : icmpDisabledReason != null ? "off: " + icmpDisabledReason
        : "echo, idle timeout " + ConfigNode.format(config.icmp().settings().idleTimeout()))
        .append('\n');
    out.append("  policies        ").append(policies.current().policies().size()).append(", default ")
        .append(policies.current().defaultVerdict().action().configName()).append('\n');
    if (!tunnels.isEmpty()) {
      out.append("  tunnels         ").append(String.join(", ",
          tunnels.stream().map(t -> t.context().name() + " (" + t.context().type() + ")").toList()))
          .append('\n');
    }
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
    if (hangup != null) {
      hangup.close();
    }
    if (configWatcher != null) {
      configWatcher.close();
    }
    if (admin != null) {
      admin.close();
    }
    policyReloader.close();
    if (explicitProxy != null) {
      explicitProxy.close();
    }
    // Tunnels stop first so that no packet arrives for a flow being closed; the flows then
    // close on their loops, each logged, before the loops themselves stop.
    for (Tunnel tunnel : tunnels) {
      returnPath.remove(tunnel);
      tunnel.close();
    }
    if (dispatcher != null) {
      dispatcher.close(LOOP_SHUTDOWN_WAIT);
    }
    Transports.shutdown(eventLoops, LOOP_SHUTDOWN_WAIT);
    activityLog.close();
    stopped.countDown();
  }
}
