package dev.gatehouse.testbed.bench;

import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Device;
import dev.gatehouse.testbed.RouterTopology;
import dev.gatehouse.testbed.TestImages;
import dev.gatehouse.testbed.WireGuardSite;
import dev.gatehouse.testbed.WireGuardSite.Peer;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.images.builder.Transferable;

/**
 * A site that reaches its origin over WireGuard, through two edges: the appliance, whose
 * {@code type: wireguard} tunnel hands the inner packets to Gatehouse, which terminates
 * each TCP flow and opens its own toward the origin; and a baseline edge, Debian's
 * wireguard-go ending the tunnel in user space as Gatehouse does, with haproxy relaying TCP
 * from the tunnel's inside address to the origin. The site runs one wireguard-go interface
 * per edge, so both routes pay the same site-side cost; only the edge differs.
 *
 * <pre>
 *   site 198.18.60.10                                                     origin 198.18.70.10
 *     wg 198.18.61.2 --UDP--> .2 appliance: type wireguard 198.18.61.1, Gatehouse .2 --+
 *     wg 198.18.62.2 --UDP--> .3 edge: wireguard-go 198.18.62.1, haproxy ------- .3 --+
 *        (site net 198.18.60.0/24)                          (origins 198.18.70.0/24)
 * </pre>
 *
 * <p>Its networks and tunnel addresses are its own, apart from {@link RouterTopology}'s, so
 * that it can run beside the end-to-end tests on one engine. The site's tunnel to the
 * appliance routes the origin subnet; its tunnel to the edge routes only the edge's inside
 * address, which is where the baseline's client connects.
 *
 * <p>Like {@link BenchTopology}, the baseline must come up or the run fails; when the
 * appliance refuses its configuration or carries no traffic, the reason is recorded and
 * Gatehouse's side is reported failed with it.
 */
public final class WireGuardBenchTopology implements RelayTopology {
  static final String SITE_SUBNET = "198.18.60.0/24";
  static final String SITE_SUBNET_V6 = "2001:2:0:60::/64";
  static final String ORIGIN_SUBNET = "198.18.70.0/24";
  static final String ORIGIN_SUBNET_V6 = "2001:2:0:70::/64";
  static final String SITE_HOST = "198.18.60.10";
  static final String SITE_HOST_V6 = "2001:2:0:60::10";
  static final String APPLIANCE_SITE_SIDE = "198.18.60.2";
  static final String APPLIANCE_SITE_SIDE_V6 = "2001:2:0:60::2";
  static final String APPLIANCE_ORIGIN_SIDE = "198.18.70.2";
  static final String APPLIANCE_ORIGIN_SIDE_V6 = "2001:2:0:70::2";
  static final String EDGE_SITE_SIDE = "198.18.60.3";
  static final String EDGE_SITE_SIDE_V6 = "2001:2:0:60::3";
  static final String EDGE_ORIGIN_SIDE = "198.18.70.3";
  static final String EDGE_ORIGIN_SIDE_V6 = "2001:2:0:70::3";
  static final String ORIGIN_HOST = "198.18.70.10";
  static final String ORIGIN_HOST_V6 = "2001:2:0:70::10";
  /** Inside the site's tunnel to the appliance: the appliance's address and the site's. */
  static final String APPLIANCE_INNER = "198.18.61.1";
  static final String SITE_INNER_TO_APPLIANCE = "198.18.61.2";
  /** Inside the site's tunnel to the edge: haproxy listens on the edge's address. */
  static final String EDGE_INNER = "198.18.62.1";
  static final String SITE_INNER_TO_EDGE = "198.18.62.2";
  /** Where both edges listen for the site: WireGuard's usual port. */
  static final int WG_LISTEN_PORT = 51820;
  static final int SITE_PORT_TO_APPLIANCE = 51830;
  static final int SITE_PORT_TO_EDGE = 51831;
  /** Both tunnels alike: wg-quick's default, and the appliance's. */
  static final int MTU_BYTES = 1420;
  private static final int INNER_PREFIX_LENGTH = 24;
  private static final Logger LOG = LoggerFactory.getLogger(WireGuardBenchTopology.class);

  private final Network siteNet = RouterTopology.subnet(SITE_SUBNET, SITE_SUBNET_V6);
  private final Network originNet = RouterTopology.subnet(ORIGIN_SUBNET, ORIGIN_SUBNET_V6);
  private final GenericContainer<?> origin = RouterTopology.originHost(originNet, ORIGIN_HOST, ORIGIN_HOST_V6);
  private final GenericContainer<?> site = WireGuardSite.peerHost(siteNet, SITE_HOST, SITE_HOST_V6);
  private final GenericContainer<?> edge = edgeHost(siteNet);
  private final StringBuffer applianceOutput = new StringBuffer();
  private GenericContainer<?> appliance;
  private String baselineName = "wireguard-go and haproxy";
  private Optional<String> applianceFailure = Optional.empty();

  private WireGuardBenchTopology() {}

  /** Starts every host and both tunnels. Throws only when a baseline host or tunnel fails. */
  public static WireGuardBenchTopology start() throws IOException, InterruptedException {
    TestImages.ensureBaselinesBuilt();
    WireGuardBenchTopology topology = new WireGuardBenchTopology();
    try {
      topology.startBaseline();
      topology.applianceFailure = topology.startAppliance();
      return topology;
    } catch (IOException | InterruptedException | RuntimeException | Error e) {
      topology.close();
      throw e;
    } catch (Exception e) {
      topology.close();
      throw new IOException("the WireGuard benchmark topology did not start: " + e.getMessage(), e);
    }
  }

  @Override
  public GenericContainer<?> site(Route route) {
    return site;
  }

  @Override
  public String target(Route route) {
    return route == Route.GATEHOUSE ? ORIGIN_HOST : EDGE_INNER;
  }

  /** wireguard-go and haproxy with their Debian versions. */
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
    site.start();
    edge.start();
    RouterTopology.join(edge, originNet, EDGE_ORIGIN_SIDE, EDGE_ORIGIN_SIDE_V6);

    WireGuardSite edgeWg = WireGuardSite.create(edge);
    WireGuardSite siteToEdge = WireGuardSite.create(site);
    // the edge answers; the site initiates, as a site does toward its edge
    edgeWg.up(WG_LISTEN_PORT, MTU_BYTES, List.of(EDGE_INNER + "/" + INNER_PREFIX_LENGTH),
        List.of(new Peer(siteToEdge.publicKey(), Optional.empty(), Optional.empty(),
            List.of(SITE_INNER_TO_EDGE + "/32"), 0)));
    siteToEdge.up(SITE_PORT_TO_EDGE, MTU_BYTES, List.of(SITE_INNER_TO_EDGE + "/" + INNER_PREFIX_LENGTH),
        List.of(new Peer(edgeWg.publicKey(), Optional.empty(), Optional.of(EDGE_SITE_SIDE + ":" + WG_LISTEN_PORT),
            List.of(EDGE_INNER + "/32"), 0)));

    // haproxy binds the tunnel's inside address, which exists only now
    edge.copyFileToContainer(Transferable.of(BenchTopology.haproxyConfig(EDGE_INNER, ORIGIN_HOST)),
        BenchTopology.HAPROXY_CONFIG_PATH);
    RouterTopology.run(edge, "haproxy", "-D", "-f", BenchTopology.HAPROXY_CONFIG_PATH);

    baselineName = baselineName(debianVersion(edge, "wireguard-go"), BenchTopology.haproxyVersion(edge));
    BenchTopology.requireRelayed(site, origin, EDGE_INNER, EDGE_ORIGIN_SIDE).ifPresent(reason -> {
      throw new IllegalStateException("the baseline edge does not carry HTTP through its tunnel: " + reason
          + "\nthe site's wireguard-go: " + log(siteToEdge) + "\nthe edge's: " + log(edgeWg));
    });
    LOG.info("baseline up edge=\"{}\" listen={} origin={}", baselineName, EDGE_INNER, ORIGIN_HOST);
  }

  /** Makes the appliance's keys, starts it and the site's tunnel to it; why Gatehouse cannot be measured, if not. */
  private Optional<String> startAppliance() throws Exception {
    // The appliance's key is made as an operator makes it, with wg genkey; it stays in its config.
    String privateKey = RouterTopology.run(site, "wg", "genkey").getStdout().trim();
    String publicKey = RouterTopology.run(site, "sh", "-c", "echo " + privateKey + " | wg pubkey").getStdout().trim();
    WireGuardSite siteToAppliance = WireGuardSite.create(site);
    appliance = RouterTopology.applianceHost(siteNet, APPLIANCE_SITE_SIDE, APPLIANCE_SITE_SIDE_V6,
            applianceConfig(privateKey, siteToAppliance.publicKey()))
        .withLogConsumer(frame -> applianceOutput.append(frame.getUtf8String()));
    try {
      appliance.start();
    } catch (RuntimeException e) {
      return Optional.of("the appliance did not become healthy with the benchmark's wireguard tunnel "
          + "configuration (" + BenchTopology.rootMessage(e) + "); its last output:\n"
          + BenchTopology.tail(applianceOutput.toString()));
    }
    try {
      RouterTopology.join(appliance, originNet, APPLIANCE_ORIGIN_SIDE, APPLIANCE_ORIGIN_SIDE_V6);
      siteToAppliance.up(SITE_PORT_TO_APPLIANCE, MTU_BYTES,
          List.of(SITE_INNER_TO_APPLIANCE + "/" + INNER_PREFIX_LENGTH),
          List.of(new Peer(publicKey, Optional.empty(), Optional.of(APPLIANCE_SITE_SIDE + ":" + WG_LISTEN_PORT),
              List.of(ORIGIN_SUBNET), 0)));
    } catch (AssertionError | RuntimeException e) {
      return Optional.of("the site's tunnel to the appliance could not be set up: " + e.getMessage());
    }
    Optional<String> http = BenchTopology.requireRelayed(site, origin, ORIGIN_HOST, APPLIANCE_ORIGIN_SIDE);
    if (http.isPresent()) {
      return Optional.of("the appliance started, but the site's requests do not reach the origin through its "
          + "WireGuard tunnel: " + http.get() + "\nthe site's wireguard-go: " + log(siteToAppliance)
          + "\nthe appliance's last output:\n" + BenchTopology.tail(applianceOutput.toString()));
    }
    LOG.info("gatehouse up tunnel=wireguard listen={}:{} origin={}", APPLIANCE_SITE_SIDE, WG_LISTEN_PORT,
        ORIGIN_HOST);
    return Optional.empty();
  }

  /**
   * The appliance as the benchmark runs it: one WireGuard tunnel with the site as its only
   * peer, on the same port as the edge's; no explicit proxy, no activity log.
   */
  static String applianceConfig(String privateKey, String sitePublicKey) {
    return """
        admin: { listen: 0.0.0.0:9090 }
        explicit-proxy: { enabled: false }
        log: { activity: { sink: "off" } }
        tunnels:
          - name: site
            type: wireguard
            private-key: %s
            listen-port: %d
            mtu: %d
            address: %s/%d
            peers:
              - name: site
                public-key: %s
                allowed-ips: [%s/32]
        """.formatted(privateKey, WG_LISTEN_PORT, MTU_BYTES, APPLIANCE_INNER, INNER_PREFIX_LENGTH,
        sitePublicKey, SITE_INNER_TO_APPLIANCE);
  }

  /** What the report calls the baseline edge, from the two packages' versions. */
  static String baselineName(String wireguardGoVersion, String haproxyVersion) {
    return "wireguard-go " + wireguardGoVersion + " + haproxy " + haproxyVersion + ", TCP mode";
  }

  /** {@code debianPackage}'s version as dpkg has it installed on {@code host}. */
  static String debianVersion(GenericContainer<?> host, String debianPackage)
      throws IOException, InterruptedException {
    ExecResult query = host.execInContainer("dpkg-query", "--show", "--showformat=${Version}", debianPackage);
    String version = query.getStdout().strip();
    return query.getExitCode() == 0 && !version.isEmpty() ? version : "(version unknown)";
  }

  private static String log(WireGuardSite wg) {
    try {
      return BenchTopology.tail(wg.log());
    } catch (Exception e) {
      return "(its log could not be read: " + e.getMessage() + ")";
    }
  }

  /** A host of the edge image that can run wireguard-go (TUN, CAP_NET_ADMIN); not started. */
  private static GenericContainer<?> edgeHost(Network siteNet) {
    return new GenericContainer<>(TestImages.EDGE)
        .withNetwork(siteNet)
        .withCreateContainerCmdModifier(cmd -> {
          cmd.withIpv4Address(EDGE_SITE_SIDE).withIpv6Address(EDGE_SITE_SIDE_V6);
          cmd.getHostConfig()
              .withCapAdd(Capability.NET_ADMIN)
              .withDevices(Device.parse("/dev/net/tun"));
        });
  }

  @Override
  public void close() {
    for (GenericContainer<?> container : new GenericContainer<?>[] {site, appliance, edge, origin}) {
      if (container != null) {
        container.stop();
      }
    }
    siteNet.close();
    originNet.close();
  }
}
