package dev.gatehouse.testbed;

import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Device;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;

/**
 * A GRE endpoint on a site host: Open vSwitch's user-space datapath (Debian's
 * {@code openvswitch-switch}; the kernel here has no GRE), as a site's admin would set one up
 * with {@code ovs-vsctl} and {@code ovs-ofctl}. One per host: the daemons run with private
 * run, database and log directories, from a fresh database on every start.
 *
 * <p>The user-space datapath sends and receives tunnel packets itself, on an OVS bridge that
 * owns the outer address, so {@link #up} builds two bridges, both {@code datapath_type=netdev}:
 * <pre>
 *   kernel: outer address, default routes     kernel: inner addresses, MTU, routes
 *            |                                          |
 *   [gre-uplink local port] --- eth0          [gre-site local port, NOARP] &lt;-flows-&gt; gre-site-tun
 *   bridge gre-uplink: NORMAL                 bridge gre-site; gre-site-tun: type=gre, legacy_l3
 * </pre>
 * The uplink's addresses and default routes move from its interface to the uplink bridge's
 * local port, and an nftables ingress hook keeps the kernel off the uplink (OVS still reads
 * it: packet sockets see frames before that hook); otherwise the kernel answers ARP for the
 * outer address too and protocol-unreachable for the GRE it sees. With {@code legacy_l3} the
 * GRE port carries plain IPv4 and IPv6 (GRE protocol 0x0800 and 0x86DD, no Ethernet inside):
 * OVS pops the Ethernet header before it encapsulates and pushes one, source zero and
 * destination as the flow sets it, after it decapsulates. The tunnel bridge's flows send the
 * local port's IP to the GRE port and everything from the GRE port to the local port with
 * that port's MAC as destination; the local port is NOARP, so the kernel never asks for a
 * neighbour across the tunnel. OVS finds the remote's MAC from ARP it snoops on the uplink
 * bridge and drops the packet that finds it unknown, so {@link #up} has the kernel ping the
 * remote's outer address once and returns only when OVS has learnt it.
 *
 * <p>{@link #stop()} stops both daemons (the bridges' devices go with them) and gives the
 * uplink its addresses back: the host stays reachable, and GRE sent to it goes unanswered by
 * OVS, as when a site router's tunnel is down.
 */
public final class GreSite {
  /** The bridge that owns the outer address, and its local port's device. */
  static final String UPLINK_BRIDGE = "gre-uplink";
  /** The bridge whose local port is the tunnel's inner interface. */
  static final String TUNNEL_BRIDGE = "gre-site";
  static final String GRE_PORT = "gre-site-tun";
  /** Fixed OpenFlow port number for the GRE port, so flows never name a stale one. */
  private static final int GRE_OFPORT = 1;
  /** The inner interface's MAC, pinned so the inbound flow's destination never goes stale; never on a wire. */
  private static final String TUNNEL_MAC = "02:67:72:65:00:01";
  private static final String RUN_DIR = "/run/gatehouse-ovs";
  private static final String DB_DIR = "/var/lib/gatehouse-ovs";
  private static final String LOG_DIR = "/var/log/gatehouse-ovs";
  private static final String OVS_ENV = "export OVS_RUNDIR=" + RUN_DIR + " OVS_DBDIR=" + DB_DIR
      + " OVS_LOGDIR=" + LOG_DIR + "; ";
  private static final String VSCTL = "ovs-vsctl --timeout=10 ";
  private static final String NFT_TABLE = "gatehouse_ovs_uplink";
  /** The cookies of the flows into and out of the tunnel, as dump-flows prints them. */
  private static final String TX_COOKIE = "0x1";
  private static final String RX_COOKIE = "0x2";
  private static final int TUNNEL_FLOWS = 3;

  /**
   * The tunnel as a site router's admin configures it.
   *
   * @param remoteOuter the other endpoint's outer IPv4 address (OVS 3.1's {@code ip6gre} cannot
   *     carry {@code legacy_l3}, so the outer is IPv4 only)
   * @param key the GRE key (RFC 2890) both ways, if any
   * @param addresses the inner interface's addresses with their prefix lengths, such as
   *     {@code 198.18.81.1/31}
   * @param routes prefixes routed into the tunnel besides the addresses' own
   * @param mtuBytes the inner interface's MTU, 1476 for 1500 on the outside
   */
  public record Tunnel(String remoteOuter, OptionalLong key, List<String> addresses, List<String> routes,
      int mtuBytes) {

    public Tunnel {
      if (remoteOuter.contains(":")) {
        throw new IllegalArgumentException("OVS carries plain IP in GRE over IPv4 only, not to " + remoteOuter);
      }
      addresses = List.copyOf(addresses);
      routes = List.copyOf(routes);
    }
  }

  /**
   * Inner packets into and out of the tunnel as the tunnel bridge's flows counted them: bytes
   * as the datapath saw them, with the kernel's Ethernet header on the way into GRE and plain
   * IP out of it. (The GRE port's own interface statistics count only the packets that went
   * through OVS's slow path, a handful per flow, not the traffic.)
   */
  public record TunnelCounters(long txPackets, long txBytes, long rxPackets, long rxBytes) {}

  private final GenericContainer<?> host;
  private Tunnel tunnel;
  private Uplink uplink;
  private boolean running;

  /** The interface toward the remote, and what the kernel had on it before OVS took it. */
  private record Uplink(String device, List<String> addresses, List<String> defaultRoutes) {}

  private GreSite(GenericContainer<?> host) {
    this.host = host;
  }

  /**
   * A site host from the site image that can run OVS's user-space datapath (TUN devices for
   * the bridges' local ports, CAP_NET_ADMIN) at fixed addresses on {@code network}; not started.
   */
  public static GenericContainer<?> peerHost(Network network, String address, String addressV6) {
    return peerHost(TestImages.SITE, network, address, addressV6);
  }

  /**
   * A host like {@link #peerHost(Network, String, String)} of another image with Open vSwitch
   * in it, such as the GRE benchmark's edge; not started.
   */
  public static GenericContainer<?> peerHost(String image, Network network, String address, String addressV6) {
    return new GenericContainer<>(image)
        .withNetwork(network)
        .withCreateContainerCmdModifier(cmd -> {
          cmd.withIpv4Address(address).withIpv6Address(addressV6);
          cmd.getHostConfig()
              .withCapAdd(Capability.NET_ADMIN)
              .withDevices(Device.parse("/dev/net/tun"))
              // Docker turns IPv6 off on interfaces made later, such as the bridges' local ports
              .withSysctls(Map.of(
                  "net.ipv6.conf.all.disable_ipv6", "0",
                  "net.ipv6.conf.default.disable_ipv6", "0"));
        });
  }

  /** A GRE endpoint on the started {@code host}; nothing runs until {@link #up}. */
  public static GreSite create(GenericContainer<?> host) {
    return new GreSite(host);
  }

  /** The inner interface, where the tunnel's addresses and routes live. */
  public String device() {
    return TUNNEL_BRIDGE;
  }

  /** Starts OVS and builds the tunnel; a running one is stopped first and replaced. */
  public void up(Tunnel tunnel) throws Exception {
    if (running) {
      stop();
    }
    this.tunnel = tunnel;
    start();
  }

  /** Stops OVS, as an admin would, and starts it again from a fresh database with the same tunnel. */
  public void restart() throws Exception {
    stop();
    start();
  }

  /**
   * Stops ovs-vswitchd and ovsdb-server; the bridges' devices go with them (ovs-vswitchd makes
   * them persistent TAPs, so it is told to clean up) and the uplink gets its addresses back.
   */
  public void stop() throws Exception {
    if (!running) {
      throw new IllegalStateException("OVS is not running on " + host.getContainerName());
    }
    sh("stop OVS", OVS_ENV + "ovs-appctl -t ovs-vswitchd exit --cleanup && ovs-appctl -t ovsdb-server exit"
        + " && for i in $(seq 100); do ip link show " + UPLINK_BRIDGE + " >/dev/null 2>&1 || break; sleep 0.05;"
        + " done; ! ip link show " + UPLINK_BRIDGE + " >/dev/null 2>&1");
    running = false;
    sh("give " + uplink.device() + " back to the kernel", "nft delete table netdev " + NFT_TABLE
        + moveAddresses(uplink, uplink.device()));
  }

  /**
   * The tunnel's counters now. OVS moves the datapath's counts to the flows when its
   * revalidators dump them, so this first waits out two rounds: the second starts after the
   * call, so it holds every packet sent before it.
   */
  public TunnelCounters counters() throws Exception {
    return parseFlowStatistics(sh("read the tunnel's counters", OVS_ENV + "ovs-appctl revalidator/wait"
        + " && ovs-appctl revalidator/wait && ovs-ofctl dump-flows " + TUNNEL_BRIDGE).getStdout());
  }

  /** ovs-vswitchd's log, where OVS says why it dropped a tunnel packet. */
  public String log() throws Exception {
    return Hosts.sh(host, "cat " + LOG_DIR + "/ovs-vswitchd.log").getStdout();
  }

  /** Sums {@code n_packets} and {@code n_bytes} of {@code ovs-ofctl dump-flows} by the flows' cookies. */
  static TunnelCounters parseFlowStatistics(String dump) {
    long[] tx = new long[2];
    long[] rx = new long[2];
    int flows = 0;
    for (String line : dump.lines().toList()) {
      Map<String, String> fields = new HashMap<>();
      for (String field : line.trim().split(",\\s*|\\s+")) {
        String[] kv = field.split("=", 2);
        if (kv.length == 2) {
          fields.putIfAbsent(kv[0], kv[1]);
        }
      }
      long[] sums = switch (fields.getOrDefault("cookie", "")) {
        case TX_COOKIE -> tx;
        case RX_COOKIE -> rx;
        default -> null;
      };
      if (sums != null) {
        sums[0] += Long.parseLong(fields.get("n_packets"));
        sums[1] += Long.parseLong(fields.get("n_bytes"));
        flows++;
      }
    }
    if (flows != TUNNEL_FLOWS) {
      throw new AssertionError("expected the " + TUNNEL_FLOWS + " tunnel flows, found " + flows + " in:\n" + dump);
    }
    return new TunnelCounters(tx[0], tx[1], rx[0], rx[1]);
  }

  private void start() throws Exception {
    if (uplink == null) {
      uplink = readUplink();
    }

    // the daemons, from a fresh database; --detach returns once each is ready
    sh("start OVS", OVS_ENV + "mkdir -p " + RUN_DIR + " " + DB_DIR + " " + LOG_DIR + " && rm -f " + DB_DIR
        + "/conf.db && ovsdb-tool create " + DB_DIR + "/conf.db /usr/share/openvswitch/vswitch.ovsschema"
        + " && ovsdb-server " + DB_DIR + "/conf.db --remote=punix:" + RUN_DIR + "/db.sock --pidfile --detach"
        + " --log-file && " + VSCTL + "--no-wait init && ovs-vswitchd --pidfile --detach --log-file");
    running = true;

    // the uplink: OVS reads and writes it itself, the kernel keeps the outer address on the bridge.
    // Its checksum offload can stay on: only OVS sends on it, through a packet socket, and what
    // the kernel hands the tunnel bridge's TAP has its checksums filled in.
    String mac = sh("read " + uplink.device() + "'s MAC", "cat /sys/class/net/" + uplink.device() + "/address")
        .getStdout().trim();
    sh("bridge the uplink", OVS_ENV + VSCTL
        + "add-br " + UPLINK_BRIDGE + " -- set bridge " + UPLINK_BRIDGE + " datapath_type=netdev"
        + " other-config:hwaddr=" + mac + " -- add-port " + UPLINK_BRIDGE + " " + uplink.device());
    sh("keep the kernel off " + uplink.device(), "nft add table netdev " + NFT_TABLE + " && nft add chain netdev "
        + NFT_TABLE + " ingress '{ type filter hook ingress device " + uplink.device()
        + " priority 0; policy drop; }' && ip neigh flush dev " + uplink.device() + moveAddresses(uplink,
        UPLINK_BRIDGE));

    // the tunnel: a GRE port carrying plain IP, the bridge's local port as the inner interface
    StringBuilder gre = new StringBuilder(VSCTL + "add-br " + TUNNEL_BRIDGE + " -- set bridge " + TUNNEL_BRIDGE
        + " datapath_type=netdev other-config:hwaddr=" + TUNNEL_MAC + " -- set interface " + TUNNEL_BRIDGE
        + " mtu_request=" + tunnel.mtuBytes() + " -- add-port " + TUNNEL_BRIDGE + " " + GRE_PORT
        + " -- set interface " + GRE_PORT + " type=gre ofport_request=" + GRE_OFPORT + " options:remote_ip="
        + tunnel.remoteOuter() + " options:packet_type=legacy_l3");
    tunnel.key().ifPresent(key -> gre.append(" options:key=").append(Long.toUnsignedString(key)));
    sh("add the GRE port", OVS_ENV + gre);
    sh("set the tunnel's flows", OVS_ENV + "ovs-ofctl del-flows " + TUNNEL_BRIDGE + " && ovs-ofctl add-flows "
        + TUNNEL_BRIDGE + " - <<'EOF'\n" + String.join("\n", tunnelFlows()) + "\nEOF");

    // OVS resolves the remote's MAC for GRE itself, from ARP it snoops on the uplink bridge, and
    // drops the packet that finds it unknown: the kernel's ARP for one ping teaches it first
    sh("learn " + tunnel.remoteOuter() + "'s MAC", OVS_ENV + "ping -n -c 1 -W 1 " + tunnel.remoteOuter()
        + " >/dev/null; for i in $(seq 100); do ovs-appctl tnl/arp/show | grep -q '^" + tunnel.remoteOuter()
        + " ' && exit 0; sleep 0.05; done; ovs-appctl tnl/arp/show; exit 1");

    // the kernel's side: MTU (OVS sets it, from mtu_request), addresses, routes
    List<String> ip = new ArrayList<>(List.of("ip link set " + TUNNEL_BRIDGE + " arp off up"));
    for (String address : tunnel.addresses()) {
      ip.add("ip address add " + address + " dev " + TUNNEL_BRIDGE);
    }
    for (String prefix : tunnel.routes()) {
      ip.add("ip route replace " + prefix + " dev " + TUNNEL_BRIDGE);
    }
    sh("address the inner interface", String.join(" && ", ip));
  }

  /** Inner IP from the kernel into GRE; whatever GRE delivers to the kernel, addressed to its MAC. */
  private static List<String> tunnelFlows() {
    return List.of(
        "cookie=" + TX_COOKIE + ",priority=10,in_port=LOCAL,ip,actions=output:" + GRE_OFPORT,
        "cookie=" + TX_COOKIE + ",priority=10,in_port=LOCAL,ipv6,actions=output:" + GRE_OFPORT,
        "cookie=" + RX_COOKIE + ",priority=10,in_port=" + GRE_OFPORT + ",actions=mod_dl_dst:" + TUNNEL_MAC
            + ",output:LOCAL",
        // ARP and the rest have nowhere to go: legacy_l3 carries IP only
        "priority=0,actions=drop");
  }

  /** The interface the host reaches the remote through, with its global addresses and default routes. */
  private Uplink readUplink() throws Exception {
    String route = sh("find the uplink", "ip -o route get " + tunnel.remoteOuter()).getStdout();
    List<String> words = List.of(route.trim().split("\\s+"));
    int dev = words.indexOf("dev");
    if (dev < 0 || dev + 1 >= words.size()) {
      throw new AssertionError("no device in the route to " + tunnel.remoteOuter() + ": " + route);
    }
    String device = words.get(dev + 1);
    List<String> addresses = sh("read " + device + "'s addresses", "ip -o address show dev " + device
        + " scope global | awk '{ print $4 }'").getStdout().lines().toList();
    List<String> defaults = sh("read the default routes", "{ ip -4 route show default dev " + device
        + "; ip -6 route show default dev " + device + "; } | awk '{ print $3 }'").getStdout().lines().toList();
    return new Uplink(device, addresses, defaults);
  }

  /** Shell steps that move the uplink's addresses and default routes onto {@code device}. */
  private static String moveAddresses(Uplink uplink, String device) {
    String other = device.equals(uplink.device()) ? UPLINK_BRIDGE : uplink.device();
    StringBuilder steps = new StringBuilder(" && ip link set " + device + " up");
    for (String address : uplink.addresses()) {
      steps.append(" && { ip address del ").append(address).append(" dev ").append(other)
          .append(" 2>/dev/null; ip address add ").append(address).append(" dev ").append(device).append("; }");
    }
    for (String gateway : uplink.defaultRoutes()) {
      steps.append(" && ip route replace default via ").append(gateway).append(" dev ").append(device);
    }
    return steps.toString();
  }

  private ExecResult sh(String step, String command) throws Exception {
    ExecResult result = Hosts.sh(host, command);
    if (result.getExitCode() != 0) {
      throw new AssertionError("could not " + step + " on " + host.getContainerName() + " (" + result.getExitCode()
          + "): " + result.getStdout() + result.getStderr() + (running ? "\novs-vswitchd.log:\n" + log() : ""));
    }
    return result;
  }
}
