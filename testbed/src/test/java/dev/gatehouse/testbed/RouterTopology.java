package dev.gatehouse.testbed;

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
 */
final class RouterTopology implements AutoCloseable {
  static final String SITE_HOST = "198.18.10.10";
  static final String APPLIANCE_SITE_SIDE = "198.18.10.2";
  static final String APPLIANCE_ORIGIN_SIDE = "198.18.20.2";
  static final String ORIGIN_HOST = "198.18.20.10";
  private static final String ROUTING_TABLE = "100";

  final Network siteNet;
  final Network originNet;
  final GenericContainer<?> appliance;
  final GenericContainer<?> site;
  final GenericContainer<?> origin;

  /** Starts the three hosts; {@code tunnelYaml} is the appliance's {@code tunnels:} list. */
  RouterTopology(String applianceConfig) throws IOException, InterruptedException {
    TestImages.ensureBuilt();
    siteNet = subnet("198.18.10.0/24");
    originNet = subnet("198.18.20.0/24");

    origin = new GenericContainer<>(TestImages.ORIGIN)
        .withNetwork(originNet)
        .withCreateContainerCmdModifier(cmd -> cmd.withIpv4Address(ORIGIN_HOST))
        .waitingFor(Wait.forSuccessfulCommand("curl -sf -o /dev/null http://127.0.0.1/"));
    appliance = new GenericContainer<>(TestImages.APPLIANCE)
        .withNetwork(siteNet)
        .withCopyToContainer(Transferable.of(applianceConfig), "/etc/gatehouse/gatehouse.yaml")
        .withCreateContainerCmdModifier(cmd -> {
          cmd.withIpv4Address(APPLIANCE_SITE_SIDE);
          cmd.getHostConfig()
              .withCapAdd(com.github.dockerjava.api.model.Capability.NET_ADMIN,
                  com.github.dockerjava.api.model.Capability.NET_RAW)
              .withDevices(Device.parse("/dev/net/tun"))
              .withSysctls(Map.of(
                  "net.ipv4.ip_forward", "1",
                  "net.ipv4.conf.all.rp_filter", "0",
                  "net.ipv4.conf.default.rp_filter", "0",
                  "net.ipv4.ping_group_range", "0 2147483647"));
        })
        .waitingFor(Wait.forHealthcheck());
    site = new GenericContainer<>(TestImages.SITE)
        .withNetwork(siteNet)
        .withCreateContainerCmdModifier(cmd -> {
          cmd.withIpv4Address(SITE_HOST);
          cmd.getHostConfig().withCapAdd(com.github.dockerjava.api.model.Capability.NET_ADMIN);
        });

    origin.start();
    appliance.start();
    DockerClientFactory.instance().client().connectToNetworkCmd()
        .withNetworkId(originNet.getId())
        .withContainerId(appliance.getContainerId())
        .withContainerNetwork(new ContainerNetwork().withIpamConfig(
            new ContainerNetwork.Ipam().withIpv4Address(APPLIANCE_ORIGIN_SIDE)))
        .exec();
    site.start();

    // The site reaches the origins through the appliance.
    run(site, "ip", "route", "add", "198.18.20.0/24", "via", APPLIANCE_SITE_SIDE);
    // The appliance hands what the site sends to Gatehouse's TUN, and only that: its own
    // sockets toward the origins use the main table.
    String siteInterface = interfaceWith(appliance, APPLIANCE_SITE_SIDE);
    run(appliance, "ip", "route", "add", "default", "dev", "gh-site", "table", ROUTING_TABLE);
    run(appliance, "ip", "rule", "add", "iif", siteInterface, "lookup", ROUTING_TABLE);
  }

  private static Network subnet(String cidr) {
    return Network.builder()
        .createNetworkCmdModifier(cmd -> cmd.withIpam(new Ipam().withConfig(new Ipam.Config().withSubnet(cidr))))
        .build();
  }

  /** Runs a command in a container and fails with its output when it fails. */
  static ExecResult run(GenericContainer<?> container, String... command)
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
