package dev.gatehouse.testbed.bench;

import dev.gatehouse.testbed.GreSite;
import dev.gatehouse.testbed.GreSite.Tunnel;
import dev.gatehouse.testbed.RouterTopology;
import dev.gatehouse.testbed.TestImages;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.images.builder.Transferable;

/**
 * A site that reaches its origin over GRE, through two edges: the appliance, whose
 * {@code type: gre} tunnel hands the inner packets to Gatehouse, which terminates each TCP
 * flow and opens its own toward the origin; and a baseline edge whose GRE endpoint is Open
 * vSwitch's user-space datapath, as on the site, with haproxy relaying TCP from the tunnel's
 * inside address to the origin.
 *
 * <pre>
 *   site-a 198.18.90.10 gre 198.18.92.2 --GRE--> .2 appliance: type gre 198.18.92.1, Gatehouse .2 --+
 *   site-b 198.18.90.11 gre 198.18.93.2 --GRE--> .3 edge: OVS 198.18.93.1, haproxy ---------- .3 --+
 *                (site net 198.18.90.0/24)                                    (origins 198.18.91.0/24)
 *                                                                               origin 198.18.91.10
 * </pre>
 *
 * <p>{@link GreSite} runs one tunnel per host (its daemons and bridges have fixed names), so
 * each route has a site host of its own: two containers of the same image, set up by the same
 * code with the same key and MTU, one of them idle while the other measures. Both tunnels
 * carry a key, as {@code GreRouterIT}'s does; the MTU is 1472 on every end, since OVS drops,
 * without a word, what would not fit the uplink's 1500. The site's tunnel to the appliance
 * routes the origin subnet; its tunnel to the edge reaches only the edge's inside address,
 * which is where the baseline's client connects. The networks and tunnel addresses are this
 * topology's own, so that it can run beside the end-to-end tests and the other benchmarks.
 *
 * <p>Like the other topologies, the baseline must come up or the run fails; when the appliance
 * refuses its configuration or carries no traffic, the reason is recorded and Gatehouse's side
 * is reported failed with it.
 */
public final class GreBenchTopology implements RelayTopology {
  static final String SITE_SUBNET = "198.18.90.0/24";
  static final String SITE_SUBNET_V6 = "2001:2:0:90::/64";
  static final String ORIGIN_SUBNET = "198.18.91.0/24";
  static final String ORIGIN_SUBNET_V6 = "2001:2:0:91::/64";
  /** The site host whose tunnel ends in the appliance. */
  static final String SITE_TO_APPLIANCE = "198.18.90.10";
  static final String SITE_TO_APPLIANCE_V6 = "2001:2:0:90::10";
  /** The site host whose tunnel ends in the baseline edge. */
  static final String SITE_TO_EDGE = "198.18.90.11";
  static final String SITE_TO_EDGE_V6 = "2001:2:0:90::11";
  static final String APPLIANCE_SITE_SIDE = "198.18.90.2";
  static final String APPLIANCE_SITE_SIDE_V6 = "2001:2:0:90::2";
  static final String APPLIANCE_ORIGIN_SIDE = "198.18.91.2";
  static final String APPLIANCE_ORIGIN_SIDE_V6 = "2001:2:0:91::2";
  static final String EDGE_SITE_SIDE = "198.18.90.3";
  static final String EDGE_SITE_SIDE_V6 = "2001:2:0:90::3";
  static final String EDGE_ORIGIN_SIDE = "198.18.91.3";
  static final String EDGE_ORIGIN_SIDE_V6 = "2001:2:0:91::3";
  static final String ORIGIN_HOST = "198.18.91.10";
  static final String ORIGIN_HOST_V6 = "2001:2:0:91::10";
  /** Inside the tunnel to the appliance, a /30: the appliance's address and the site's. */
  static final String APPLIANCE_INNER = "198.18.92.1";
  static final String SITE_INNER_TO_APPLIANCE = "198.18.92.2";
  /** Inside the tunnel to the edge, a /30: haproxy listens on the edge's address. */
  static final String EDGE_INNER = "198.18.93.1";
  static final String SITE_INNER_TO_EDGE = "198.18.93.2";
  static final int INNER_PREFIX_LENGTH = 30;
  /** The GRE key (RFC 2890) of both tunnels. */
  static final long KEY = 9001;
  /** 1500 less the outer IPv4 header (20), the GRE header (4) and the key (4), on every end. */
  static final int MTU_BYTES = 1472;
  private static final Logger LOG = LoggerFactory.getLogger(GreBenchTopology.class);

  private final Network siteNet = RouterTopology.subnet(SITE_SUBNET, SITE_SUBNET_V6);
  private final Network originNet = RouterTopology.subnet(ORIGIN_SUBNET, ORIGIN_SUBNET_V6);
  private final GenericContainer<?> origin = RouterTopology.originHost(originNet, ORIGIN_HOST, ORIGIN_HOST_V6);
  private final GenericContainer<?> siteA = GreSite.peerHost(siteNet, SITE_TO_APPLIANCE, SITE_TO_APPLIANCE_V6);
  private final GenericContainer<?> siteB = GreSite.peerHost(siteNet, SITE_TO_EDGE, SITE_TO_EDGE_V6);
  private final GenericContainer<?> edge = GreSite.peerHost(TestImages.GRE_EDGE, siteNet, EDGE_SITE_SIDE,
      EDGE_SITE_SIDE_V6);
  private final StringBuffer applianceOutput = new StringBuffer();
  private GenericContainer<?> appliance;
  private String baselineName = "Open vSwitch and haproxy";
  private Optional<String> applianceFailure = Optional.empty();

  private GreBenchTopology() {}

  /** Starts every host and both tunnels. Throws only when a baseline host or tunnel fails. */
  public static GreBenchTopology start() throws IOException, InterruptedException {
    TestImages.ensureBaselinesBuilt();
    GreBenchTopology topology = new GreBenchTopology();
    try {
      topology.startBaseline();
      topology.applianceFailure = topology.startAppliance();
      return topology;
    } catch (IOException | InterruptedException | RuntimeException | Error e) {
      topology.close();
      throw e;
    } catch (Exception e) {
      topology.close();
      throw new IOException("the GRE benchmark topology did not start: " + e.getMessage(), e);
    }
  }

  @Override
  public GenericContainer<?> site(Route route) {
    return route == Route.GATEHOUSE ? siteA : siteB;
  }

  @Override
  public String target(Route route) {
    return route == Route.GATEHOUSE ? ORIGIN_HOST : EDGE_INNER;
  }

  /** Open vSwitch and haproxy with their Debian versions. */
  @Override
  public String baselineName() {
    return baselineName;
  }

  @Override
  public Optional<String> applianceFailure() {
    return applianceFailure;
  }

  private void startBaseline() throws Exception {
    origin.start();
    siteB.start();
    edge.start();
    RouterTopology.join(edge, originNet, EDGE_ORIGIN_SIDE, EDGE_ORIGIN_SIDE_V6);

    GreSite edgeGre = GreSite.create(edge);
    GreSite siteToEdge = GreSite.create(siteB);
    edgeGre.up(edgeTunnel());
    siteToEdge.up(siteToEdgeTunnel());

    // haproxy binds the tunnel's inside address, which exists only now
    edge.copyFileToContainer(Transferable.of(BenchTopology.haproxyConfig(EDGE_INNER, ORIGIN_HOST)),
        BenchTopology.HAPROXY_CONFIG_PATH);
    RouterTopology.run(edge, "haproxy", "-D", "-f", BenchTopology.HAPROXY_CONFIG_PATH);

    baselineName = baselineName(WireGuardBenchTopology.debianVersion(edge, "openvswitch-switch"),
        BenchTopology.haproxyVersion(edge));
    BenchTopology.requireRelayed(siteB, origin, EDGE_INNER, EDGE_ORIGIN_SIDE).ifPresent(reason -> {
      throw new IllegalStateException("the baseline edge does not carry HTTP through its tunnel: " + reason
          + "\nthe site's ovs-vswitchd: " + log(siteToEdge) + "\nthe edge's: " + log(edgeGre));
    });
    LOG.info("baseline up edge=\"{}\" listen={} origin={}", baselineName, EDGE_INNER, ORIGIN_HOST);
  }

  /** Starts the appliance and the site's tunnel to it; why Gatehouse cannot be measured, if not. */
  private Optional<String> startAppliance() throws Exception {
    siteA.start();
    appliance = RouterTopology.applianceHost(siteNet, APPLIANCE_SITE_SIDE, APPLIANCE_SITE_SIDE_V6,
            applianceConfig())
        .withLogConsumer(frame -> applianceOutput.append(frame.getUtf8String()));
    try {
      appliance.start();
    } catch (RuntimeException e) {
      return Optional.of("the appliance did not become healthy with the benchmark's gre tunnel "
          + "configuration (" + BenchTopology.rootMessage(e) + "); its last output:\n"
          + BenchTopology.tail(applianceOutput.toString()));
    }
    GreSite siteToAppliance = GreSite.create(siteA);
    try {
      RouterTopology.join(appliance, originNet, APPLIANCE_ORIGIN_SIDE, APPLIANCE_ORIGIN_SIDE_V6);
      siteToAppliance.up(siteToApplianceTunnel());
    } catch (AssertionError | RuntimeException e) {
      return Optional.of("the site's tunnel to the appliance could not be set up: " + e.getMessage());
    }
    Optional<String> http = BenchTopology.requireRelayed(siteA, origin, ORIGIN_HOST, APPLIANCE_ORIGIN_SIDE);
    if (http.isPresent()) {
      return Optional.of("the appliance started, but the site's requests do not reach the origin through its "
          + "GRE tunnel: " + http.get() + "\nthe site's ovs-vswitchd: " + log(siteToAppliance)
          + "\nthe appliance's last output:\n" + BenchTopology.tail(applianceOutput.toString()));
    }
    LOG.info("gatehouse up tunnel=gre local={} remote={} origin={}", APPLIANCE_SITE_SIDE, SITE_TO_APPLIANCE,
        ORIGIN_HOST);
    return Optional.empty();
  }

  /**
   * The appliance as the benchmark runs it: one GRE tunnel over protocol 47 from the site
   * host, with the key and MTU of the site's end; no explicit proxy, no activity log.
   */
  static String applianceConfig() {
    return """
        admin: { listen: 0.0.0.0:9090 }
        explicit-proxy: { enabled: false }
        log: { activity: { sink: "off" } }
        tunnels:
          - name: site
            type: gre
            local: %s
            remote: %s
            key: %d
            interface-address: [%s/%d]
            mtu: %d
        """.formatted(APPLIANCE_SITE_SIDE, SITE_TO_APPLIANCE, KEY, APPLIANCE_INNER, INNER_PREFIX_LENGTH,
        MTU_BYTES);
  }

  /** The site's end toward the appliance: the origin subnet is routed into it. */
  static Tunnel siteToApplianceTunnel() {
    return new Tunnel(APPLIANCE_SITE_SIDE, OptionalLong.of(KEY),
        List.of(SITE_INNER_TO_APPLIANCE + "/" + INNER_PREFIX_LENGTH), List.of(ORIGIN_SUBNET), MTU_BYTES);
  }

  /** The site's end toward the edge: only the tunnel's own /30, where haproxy listens. */
  static Tunnel siteToEdgeTunnel() {
    return new Tunnel(EDGE_SITE_SIDE, OptionalLong.of(KEY), List.of(SITE_INNER_TO_EDGE + "/" + INNER_PREFIX_LENGTH),
        List.of(), MTU_BYTES);
  }

  /** The edge's end: the same key and MTU as the site's; its replies need no route beyond the /30. */
  static Tunnel edgeTunnel() {
    return new Tunnel(SITE_TO_EDGE, OptionalLong.of(KEY), List.of(EDGE_INNER + "/" + INNER_PREFIX_LENGTH),
        List.of(), MTU_BYTES);
  }

  /** What the report calls the baseline edge, from the two packages' versions. */
  static String baselineName(String openVswitchVersion, String haproxyVersion) {
    return "Open vSwitch " + openVswitchVersion + " + haproxy " + haproxyVersion + ", TCP mode";
  }

  private static String log(GreSite gre) {
    try {
      return BenchTopology.tail(gre.log());
    } catch (Exception e) {
      return "(its log could not be read: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    for (GenericContainer<?> container : new GenericContainer<?>[] {siteA, siteB, appliance, edge, origin}) {
      if (container != null) {
        container.stop();
      }
    }
    siteNet.close();
    originNet.close();
  }
}
