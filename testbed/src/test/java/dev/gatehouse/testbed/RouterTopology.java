package dev.gatehouse.testbed;

import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.Device;
import com.github.dockerjava.api.model.Network.Ipam;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.Transferable;

/**
 * Router mode, as a site deploys it: a site host whose route to the origins points at the
 * appliance; the appliance's kernel forwards what arrives from the site into a TUN device
 * (policy routing on the incoming interface), Gatehouse terminates it there and
 * re-originates it from its own sockets on the origin network.
 *
 * <pre>
 *   site 198.18.10.10 --(site net 198.18.10.0/24)-- .2 appliance .2 --(origins 198.18.20.0/24)-- origin .10
 *                                                    | iif site -> table 100 -> dev gh-site (TUN)
 * </pre>
 *
 * <p>The hosts and wiring steps are public so that the benchmarks can build the same
 * topology with a baseline relay beside the appliance.
 */
public final class RouterTopology implements AutoCloseable {
  public static final String SITE_SUBNET = "198.18.10.0/24";
  public static final String ORIGIN_SUBNET = "198.18.20.0/24";
  public static final String SITE_HOST = "198.18.10.10";
  public static final String APPLIANCE_SITE_SIDE = "198.18.10.2";
  public static final String APPLIANCE_ORIGIN_SIDE = "198.18.20.2";
  public static final String ORIGIN_HOST = "198.18.20.10";
  /** The same hosts over IPv6 (RFC 5180's 2001:2::/48), for dual-stack flows. */
  public static final String SITE_SUBNET_V6 = "2001:2:0:10::/64";
  public static final String ORIGIN_SUBNET_V6 = "2001:2:0:20::/64";
  public static final String SITE_HOST_V6 = "2001:2:0:10::10";
  public static final String APPLIANCE_SITE_SIDE_V6 = "2001:2:0:10::2";
  public static final String APPLIANCE_ORIGIN_SIDE_V6 = "2001:2:0:20::2";
  public static final String ORIGIN_HOST_V6 = "2001:2:0:20::10";
  /** The TUN device the appliance's tunnel config must name: the site's traffic goes there. */
  public static final String TUN_DEVICE = "gh-site";
  private static final String ROUTING_TABLE = "100";

  final Network siteNet;
  final Network originNet;
  final GenericContainer<?> appliance;
  final GenericContainer<?> site;
  final GenericContainer<?> origin;

  /** Starts the three hosts; {@code applianceConfig} is the appliance's whole YAML file. */
  RouterTopology(String applianceConfig) throws IOException, InterruptedException {
    TestImages.ensureBuilt();
    siteNet = subnet(SITE_SUBNET, SITE_SUBNET_V6);
    originNet = subnet(ORIGIN_SUBNET, ORIGIN_SUBNET_V6);
    origin = originHost(originNet);
    appliance = applianceHost(siteNet, applianceConfig);
    site = siteHost(siteNet);

    origin.start();
    appliance.start();
    join(appliance, originNet, APPLIANCE_ORIGIN_SIDE, APPLIANCE_ORIGIN_SIDE_V6);
    site.start();
    routeSiteThroughAppliance(site, appliance);
  }

  /** A dual-stack Docker network with fixed subnets, so that hosts get fixed addresses. */
  public static Network subnet(String cidr, String cidrV6) {
    return Network.builder()
        .enableIpv6(true)
        .createNetworkCmdModifier(cmd -> cmd.withIpam(new Ipam().withConfig(
            new Ipam.Config().withSubnet(cidr), new Ipam.Config().withSubnet(cidrV6))))
        .build();
  }

  /** The origin host (nginx, iperf3, UDP echo) at {@link #ORIGIN_HOST}; not started. */
  public static GenericContainer<?> originHost(Network originNet) {
    return originHost(originNet, ORIGIN_HOST, ORIGIN_HOST_V6);
  }

  /** An origin host like {@link #originHost(Network)} at other addresses; not started. */
  public static GenericContainer<?> originHost(Network originNet, String address, String addressV6) {
    return new GenericContainer<>(TestImages.ORIGIN)
        .withNetwork(originNet)
        .withCreateContainerCmdModifier(cmd -> {
          cmd.withIpv4Address(address).withIpv6Address(addressV6);
          // NET_ADMIN: tests make the origin silent on a port with nftables.
          cmd.getHostConfig().withCapAdd(Capability.NET_ADMIN);
        })
        .waitingFor(Wait.forSuccessfulCommand("curl -sf -o /dev/null http://127.0.0.1/"));
  }

  /** The site host (the clients) at {@link #SITE_HOST}; not started, routes not set. */
  public static GenericContainer<?> siteHost(Network siteNet) {
    return new GenericContainer<>(TestImages.SITE)
        .withNetwork(siteNet)
        .withCreateContainerCmdModifier(cmd -> {
          cmd.withIpv4Address(SITE_HOST).withIpv6Address(SITE_HOST_V6);
          cmd.getHostConfig().withCapAdd(Capability.NET_ADMIN);
        });
  }

  /**
   * The appliance at {@link #APPLIANCE_SITE_SIDE}, with TUN and the sysctls router mode
   * needs; not started. It joins the origin network once started ({@link #join}).
   */
  public static GenericContainer<?> applianceHost(Network siteNet, String applianceConfig) {
    return applianceHost(siteNet, APPLIANCE_SITE_SIDE, APPLIANCE_SITE_SIDE_V6, applianceConfig);
  }

  /** An appliance like {@link #applianceHost(Network, String)} at other addresses; not started. */
  public static GenericContainer<?> applianceHost(Network siteNet, String address, String addressV6,
      String applianceConfig) {
    return new GenericContainer<>(TestImages.APPLIANCE)
        .withNetwork(siteNet)
        .withCopyToContainer(Transferable.of(applianceConfig), "/etc/gatehouse/gatehouse.yaml")
        .withCreateContainerCmdModifier(cmd -> {
          cmd.withIpv4Address(address).withIpv6Address(addressV6);
          cmd.getHostConfig()
              .withCapAdd(Capability.NET_ADMIN, Capability.NET_RAW)
              .withDevices(Device.parse("/dev/net/tun"))
              .withSysctls(Map.of(
                  "net.ipv4.ip_forward", "1",
                  "net.ipv6.conf.all.forwarding", "1",
                  "net.ipv6.conf.all.disable_ipv6", "0",
                  "net.ipv6.conf.default.disable_ipv6", "0",
                  "net.ipv4.conf.all.rp_filter", "0",
                  "net.ipv4.conf.default.rp_filter", "0",
                  "net.ipv4.ping_group_range", "0 2147483647"));
        })
        .waitingFor(new HealthyOrExitedWait());
  }

  /** Connects a started container to a second network at fixed addresses. */
  public static void join(GenericContainer<?> container, Network network, String address, String addressV6) {
    DockerClientFactory.instance().client().connectToNetworkCmd()
        .withNetworkId(network.getId())
        .withContainerId(container.getContainerId())
        .withContainerNetwork(new ContainerNetwork().withIpamConfig(
            new ContainerNetwork.Ipam().withIpv4Address(address).withIpv6Address(addressV6)))
        .exec();
  }

  /**
   * Points the site's route to the origins at the appliance, and the appliance's policy
   * routing at its TUN device ({@link #TUN_DEVICE}), which Gatehouse must have created.
   */
  public static void routeSiteThroughAppliance(GenericContainer<?> site, GenericContainer<?> appliance)
      throws IOException, InterruptedException {
    run(site, "ip", "route", "add", ORIGIN_SUBNET, "via", APPLIANCE_SITE_SIDE);
    // The appliance hands what the site sends to Gatehouse's TUN, and only that: its own
    // sockets toward the origins use the main table.
    String siteInterface = interfaceWith(appliance, APPLIANCE_SITE_SIDE);
    run(appliance, "ip", "route", "add", "default", "dev", TUN_DEVICE, "table", ROUTING_TABLE);
    run(appliance, "ip", "rule", "add", "iif", siteInterface, "lookup", ROUTING_TABLE);
    run(site, "ip", "-6", "route", "add", ORIGIN_SUBNET_V6, "via", APPLIANCE_SITE_SIDE_V6);
    run(appliance, "ip", "-6", "route", "add", "default", "dev", TUN_DEVICE, "table", ROUTING_TABLE);
    run(appliance, "ip", "-6", "rule", "add", "iif", siteInterface, "lookup", ROUTING_TABLE);
  }

  /** Runs a command in a container and fails with its output when it fails. */
  public static ExecResult run(GenericContainer<?> container, String... command)
      throws IOException, InterruptedException {
    ExecResult result = container.execInContainer(command);
    if (result.getExitCode() != 0) {
      throw new AssertionError(String.join(" ", command) + " failed (" + result.getExitCode() + "): "
          + result.getStdout() + result.getStderr());
    }
    return result;
  }

  private static String interfaceWith(GenericContainer<?> container, String address)
      throws IOException, InterruptedException {
    for (String line : run(container, "ip", "-o", "-4", "addr", "show").getStdout().split("\n")) {
      List<String> fields = List.of(line.trim().split("\\s+"));
      if (fields.size() > 3 && fields.get(3).startsWith(address + "/")) {
        return fields.get(1);
      }
    }
    throw new AssertionError("no interface with " + address + " in " + container.getContainerName());
  }

  @Override
  public void close() {
    for (GenericContainer<?> container : List.of(site, appliance, origin)) {
      container.stop();
    }
    siteNet.close();
    originNet.close();
  }
}
