package dev.gatehouse.testbed.bench;

import static dev.gatehouse.testbed.RouterTopology.APPLIANCE_ORIGIN_SIDE;
import static dev.gatehouse.testbed.RouterTopology.ORIGIN_HOST;
import static dev.gatehouse.testbed.RouterTopology.TUN_DEVICE;

import dev.gatehouse.testbed.RouterTopology;
import dev.gatehouse.testbed.TestImages;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.Transferable;

/**
 * The router topology with a baseline relay beside the appliance: the same site and origin
 * hosts carry the traffic through Gatehouse and through haproxy, so the two figures differ
 * only in the relay.
 *
 * <pre>
 *                       .2 appliance (TUN gh-site) .2
 *   site 198.18.10.10 --+                          +-- origin 198.18.20.10
 *                       .3 haproxy (TCP mode)      .3
 *        (site net 198.18.10.0/24)         (origins 198.18.20.0/24)
 * </pre>
 *
 * <p>The baseline hosts must start or the run fails. The appliance may refuse its
 * configuration or fail to carry traffic: the topology then records why, and the
 * benchmarks report Gatehouse's figures as failed with that reason.
 */
public final class BenchTopology implements RelayTopology {
  public static final String HAPROXY_SITE_SIDE = "198.18.10.3";
  public static final String HAPROXY_ORIGIN_SIDE = "198.18.20.3";
  public static final String HAPROXY_SITE_SIDE_V6 = "2001:2:0:10::3";
  public static final String HAPROXY_ORIGIN_SIDE_V6 = "2001:2:0:20::3";
  static final String HAPROXY_CONFIG_PATH = "/etc/haproxy/bench.cfg";
  private static final int APPLIANCE_OUTPUT_LINES = 15;
  private static final Logger LOG = LoggerFactory.getLogger(BenchTopology.class);

  private final Network siteNet = RouterTopology.subnet(RouterTopology.SITE_SUBNET,
      RouterTopology.SITE_SUBNET_V6);
  private final Network originNet = RouterTopology.subnet(RouterTopology.ORIGIN_SUBNET,
      RouterTopology.ORIGIN_SUBNET_V6);
  private final GenericContainer<?> origin = RouterTopology.originHost(originNet);
  private final GenericContainer<?> site = RouterTopology.siteHost(siteNet);
  private final GenericContainer<?> haproxy = haproxyHost(siteNet);
  private final StringBuffer applianceOutput = new StringBuffer();
  private final GenericContainer<?> appliance;
  private String baselineName = "haproxy";
  private Optional<String> applianceFailure = Optional.empty();

  private BenchTopology(String applianceConfig) {
    appliance = RouterTopology.applianceHost(siteNet, applianceConfig)
        .withLogConsumer(frame -> applianceOutput.append(frame.getUtf8String()));
  }

  /**
   * Starts every host; the appliance gets {@code applianceConfig}, a tunnel on
   * {@link RouterTopology#TUN_DEVICE}. Throws only when a baseline host fails.
   */
  public static BenchTopology start(String applianceConfig) throws IOException, InterruptedException {
    TestImages.ensureBaselinesBuilt();
    BenchTopology topology = new BenchTopology(applianceConfig);
    try {
      topology.startBaseline();
      topology.applianceFailure = topology.startAppliance();
      return topology;
    } catch (IOException | InterruptedException | RuntimeException | Error e) {
      topology.close();
      throw e;
    }
  }

  @Override
  public GenericContainer<?> site(Route route) {
    return site;
  }

  @Override
  public String target(Route route) {
    return route == Route.GATEHOUSE ? ORIGIN_HOST : HAPROXY_SITE_SIDE;
  }

  /** The baseline relay with its version, as {@code haproxy -v} gives it. */
  @Override
  public String baselineName() {
    return baselineName;
  }

  @Override
  public Optional<String> applianceFailure() {
    return applianceFailure;
  }

  private void startBaseline() throws IOException, InterruptedException {
    origin.start();
    site.start();
    haproxy.start();
    RouterTopology.join(haproxy, originNet, HAPROXY_ORIGIN_SIDE, HAPROXY_ORIGIN_SIDE_V6);
    baselineName = "haproxy " + haproxyVersion(haproxy) + ", TCP mode";
    requireRelayed(HAPROXY_SITE_SIDE, HAPROXY_ORIGIN_SIDE).ifPresent(reason -> {
      throw new IllegalStateException("the baseline relay does not carry HTTP: " + reason);
    });
    LOG.info("baseline up relay=\"{}\" listen={} origin={}", baselineName, HAPROXY_SITE_SIDE, ORIGIN_HOST);
  }

  /** Starts and routes the appliance; returns why Gatehouse cannot be measured, if it cannot. */
  private Optional<String> startAppliance() throws IOException, InterruptedException {
    try {
      appliance.start();
    } catch (RuntimeException e) {
      return Optional.of("the appliance did not become healthy with the benchmark's tun tunnel "
          + "configuration (" + rootMessage(e) + "); its last output:\n" + tail(applianceOutput.toString()));
    }
    try {
      RouterTopology.join(appliance, originNet, APPLIANCE_ORIGIN_SIDE, RouterTopology.APPLIANCE_ORIGIN_SIDE_V6);
      RouterTopology.routeSiteThroughAppliance(site, appliance);
    } catch (AssertionError | RuntimeException e) {
      return Optional.of("the site could not be routed into the appliance's TUN device " + TUN_DEVICE
          + ": " + e.getMessage());
    }
    Optional<String> http = requireRelayed(ORIGIN_HOST, APPLIANCE_ORIGIN_SIDE);
    if (http.isPresent()) {
      return Optional.of("the appliance started, but the site's requests do not reach the origin through it: "
          + http.get());
    }
    LOG.info("gatehouse up tunnel={} origin={}", TUN_DEVICE, ORIGIN_HOST);
    return Optional.empty();
  }

  /**
   * Fetches the origin's page from the site through {@code address}, and checks that the
   * origin saw the request come from {@code relaySource}: a relay's own socket, not the site
   * forwarded by a kernel, so that the figures measure the relay. Empty when both hold.
   */
  private Optional<String> requireRelayed(String address, String relaySource)
      throws IOException, InterruptedException {
    return requireRelayed(site, origin, address, relaySource);
  }

  /**
   * Fetches {@code origin}'s page from {@code site} through {@code address}, and checks that
   * the origin saw the request come from {@code relaySource}; empty when both hold.
   */
  static Optional<String> requireRelayed(GenericContainer<?> site, GenericContainer<?> origin, String address,
      String relaySource) throws IOException, InterruptedException {
    ExecResult curl = site.execInContainer("curl", "-sS", "--max-time", "10", "http://" + address + "/index.html");
    if (curl.getExitCode() != 0) {
      return Optional.of("curl exited " + curl.getExitCode() + ": " + curl.getStderr().strip());
    }
    if (!curl.getStdout().equals("gatehouse origin\n")) {
      return Optional.of("curl fetched something else: " + curl.getStdout());
    }
    String lastRequest = RouterTopology.run(origin, "tail", "-n", "1", "/var/log/nginx/access.log").getStdout();
    if (!lastRequest.startsWith(relaySource + " ")) {
      return Optional.of("the origin saw the request from elsewhere than " + relaySource + ": " + lastRequest.strip());
    }
    return Optional.empty();
  }

  private static GenericContainer<?> haproxyHost(Network siteNet) {
    return new GenericContainer<>(TestImages.HAPROXY)
        .withNetwork(siteNet)
        .withCreateContainerCmdModifier(cmd -> cmd.withIpv4Address(HAPROXY_SITE_SIDE)
            .withIpv6Address(HAPROXY_SITE_SIDE_V6))
        .withCopyToContainer(Transferable.of(haproxyConfig("", ORIGIN_HOST)), HAPROXY_CONFIG_PATH)
        .withExposedPorts(ConnectionRateBenchmark.HTTP_PORT, TcpThroughputBenchmark.IPERF3_PORT)
        .waitingFor(Wait.forListeningPort());
  }

  /** The version {@code haproxy -v} prints on {@code host}, such as {@code 2.6.12-1+deb12u3}. */
  static String haproxyVersion(GenericContainer<?> host) throws IOException, InterruptedException {
    return haproxyVersion(RouterTopology.run(host, "haproxy", "-v").getStdout());
  }

  /** The version in {@code haproxy -v}'s first line. */
  static String haproxyVersion(String output) {
    // "HAProxy version 2.6.12-1+deb12u3 2025/10/03 - https://haproxy.org/"
    String[] words = output.lines().findFirst().orElse("").split("\\s+");
    return words.length > 2 && words[1].equals("version") ? words[2] : "(version unknown)";
  }

  /**
   * A plain TCP relay per origin port, listening on {@code bindAddress} (every address when
   * empty) and connecting to {@code originAddress}. maxconn stays under the container's
   * open-file limit (haproxy refuses to start when it cannot raise its limit to twice maxconn).
   */
  static String haproxyConfig(String bindAddress, String originAddress) {
    return """
        global
            maxconn 4096
        defaults
            mode tcp
            timeout connect 5s
            timeout client 30s
            timeout server 30s
        listen iperf3
            bind %4$s:%2$d
            server origin %1$s:%2$d
        listen http
            bind %4$s:%3$d
            server origin %1$s:%3$d
        """.formatted(originAddress, TcpThroughputBenchmark.IPERF3_PORT, ConnectionRateBenchmark.HTTP_PORT,
        bindAddress);
  }

  static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root == e ? String.valueOf(e.getMessage()) : e.getMessage() + ": " + root.getMessage();
  }

  static String tail(String output) {
    List<String> lines = output.strip().lines().toList();
    if (lines.isEmpty()) {
      return "(nothing)";
    }
    return String.join("\n", lines.subList(Math.max(0, lines.size() - APPLIANCE_OUTPUT_LINES), lines.size()));
  }

  @Override
  public void close() {
    for (GenericContainer<?> container : List.of(site, appliance, haproxy, origin)) {
      container.stop();
    }
    siteNet.close();
    originNet.close();
  }
}
