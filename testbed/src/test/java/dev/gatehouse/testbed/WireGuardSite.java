package dev.gatehouse.testbed;

import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Device;
import dev.gatehouse.core.config.IpPrefix;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.images.builder.Transferable;

/**
 * A WireGuard peer on a site host: Debian's {@code wireguard-go} (the kernel here has no
 * WireGuard) configured with {@code wg(8)}, as a site's admin would set one up by hand.
 * The helper keeps what it applied, so that {@link #restart()} can kill wireguard-go and
 * bring the same interface back, and reads {@code wg show DEVICE dump} into
 * {@link PeerStatus} records.
 *
 * <p>Every instance gets an interface name no other instance in any test JVM is likely to
 * have: wireguard-go's control socket is {@code /var/run/wireguard/DEVICE.sock}, shared by
 * every network namespace that shares the file system (TESTBED.md).
 *
 * <p>The interface's private key and the preshared keys stay in files inside the host; the
 * dump's key columns are never kept or printed.
 */
public final class WireGuardSite {
  /** Five random base-36 characters per JVM, then a counter: unique, and within IFNAMSIZ. */
  private static final String RUN = Integer.toString(
      ThreadLocalRandom.current().nextInt(36 * 36 * 36 * 36, 36 * 36 * 36 * 36 * 36), 36);
  private static final AtomicInteger NEXT = new AtomicInteger();
  private static final String KEY_DIR = "/etc/wireguard";
  /** How long wireguard-go may take to open its control socket, or to go away. */
  private static final int SOCKET_WAIT_STEPS = 100;
  private static final String STEP_SECONDS = "0.05";

  /**
   * A peer as {@code wg set ... peer} takes it.
   *
   * @param publicKey the peer's public key, base64
   * @param presharedKey the preshared key, base64, if any (written to a file, as wg wants)
   * @param endpoint {@code address:port} or {@code [v6]:port}, if this side should initiate
   * @param allowedIps the peer's prefixes; each is also routed into the interface
   * @param persistentKeepaliveSeconds 0 for off
   */
  public record Peer(String publicKey, Optional<String> presharedKey, Optional<String> endpoint,
      List<String> allowedIps, int persistentKeepaliveSeconds) {

    public Peer {
      allowedIps = List.copyOf(allowedIps);
    }
  }

  /**
   * One peer line of {@code wg show DEVICE dump}, without its preshared key.
   *
   * @param endpoint where the peer was last heard from (or configured), if anywhere
   * @param latestHandshakeEpochSeconds the host clock's time of the last completed handshake,
   *     0 when there was none since wireguard-go started
   * @param rxBytes bytes received from the peer, WireGuard messages whole
   * @param txBytes bytes sent to the peer
   * @param persistentKeepaliveSeconds 0 when off
   */
  public record PeerStatus(String publicKey, Optional<String> endpoint, List<String> allowedIps,
      long latestHandshakeEpochSeconds, long rxBytes, long txBytes, int persistentKeepaliveSeconds) {

    public boolean hasHandshake() {
      return latestHandshakeEpochSeconds > 0;
    }
  }

  private final GenericContainer<?> host;
  private final String device;
  private final String publicKey;
  private int listenPort;
  private int mtuBytes;
  private List<String> addresses = List.of();
  private List<Peer> peers = List.of();

  private WireGuardSite(GenericContainer<?> host, String device, String publicKey) {
    this.host = host;
    this.device = device;
    this.publicKey = publicKey;
  }

  /**
   * A site host from the site image that can run wireguard-go (TUN and CAP_NET_ADMIN) at
   * fixed addresses on {@code network}; not started.
   */
  public static GenericContainer<?> peerHost(Network network, String address, String addressV6) {
    return new GenericContainer<>(TestImages.SITE)
        .withNetwork(network)
        .withCreateContainerCmdModifier(cmd -> {
          cmd.withIpv4Address(address).withIpv6Address(addressV6);
          cmd.getHostConfig()
              .withCapAdd(Capability.NET_ADMIN)
              .withDevices(Device.parse("/dev/net/tun"))
              // Docker turns IPv6 off on interfaces made later, such as wireguard-go's TUN
              .withSysctls(Map.of(
                  "net.ipv6.conf.all.disable_ipv6", "0",
                  "net.ipv6.conf.default.disable_ipv6", "0"));
        });
  }

  /** Makes a key pair on the started {@code host} (wg genkey, kept in a file there); no interface yet. */
  public static WireGuardSite create(GenericContainer<?> host) throws Exception {
    String device = "wgs" + RUN + NEXT.getAndIncrement();
    String keyFile = KEY_DIR + "/" + device + ".key";
    ExecResult keys = Hosts.sh(host, "umask 077 && mkdir -p " + KEY_DIR + " && wg genkey > " + keyFile
        + " && wg pubkey < " + keyFile);
    if (keys.getExitCode() != 0) {
      throw new AssertionError("wg genkey failed on " + host.getContainerName() + ": " + keys.getStderr());
    }
    return new WireGuardSite(host, device, keys.getStdout().trim());
  }

  /** A fresh preshared key, base64, made with {@code wg genpsk} on {@code host}; a test's secret. */
  public static String generatePresharedKey(GenericContainer<?> host) throws Exception {
    return RouterTopology.run(host, "wg", "genpsk").getStdout().trim();
  }

  public String device() {
    return device;
  }

  public String publicKey() {
    return publicKey;
  }

  /**
   * Starts wireguard-go and configures it: key, port and peers through {@code wg set}, then
   * the interface's addresses, MTU, link state and a route into it for every allowed IP.
   */
  public void up(int listenPort, int mtuBytes, List<String> addresses, List<Peer> peers) throws Exception {
    for (Peer peer : peers) {
      refuseRoutingTheEndpointIntoTheTunnel(peer);
    }
    this.listenPort = listenPort;
    this.mtuBytes = mtuBytes;
    this.addresses = List.copyOf(addresses);
    this.peers = List.copyOf(peers);
    start();
  }

  /**
   * Kills wireguard-go, as a crash or an admin would, waits for its interface to go, and
   * brings it back with the same key and settings: a new process with no session.
   */
  public void restart() throws Exception {
    stop();
    start();
  }

  /** Stops wireguard-go; the interface and its routes go with it. */
  public void stop() throws Exception {
    ExecResult stopped = Hosts.sh(host, "kill $(cat " + pidFile() + ") && for i in $(seq " + SOCKET_WAIT_STEPS
        + "); do ip link show " + device + " >/dev/null 2>&1 || exit 0; sleep " + STEP_SECONDS + "; done; exit 1");
    if (stopped.getExitCode() != 0) {
      throw new AssertionError("wireguard-go for " + device + " did not stop: " + stopped.getStderr() + log());
    }
  }

  /** The process id of the running wireguard-go, to tell a restarted one from the one before. */
  public int processId() throws Exception {
    return Integer.parseInt(RouterTopology.run(host, "cat", pidFile()).getStdout().trim());
  }

  /** The host's clock in seconds, the clock {@link PeerStatus#latestHandshakeEpochSeconds} uses. */
  public long nowEpochSeconds() throws Exception {
    return Long.parseLong(RouterTopology.run(host, "date", "+%s").getStdout().trim());
  }

  /** Every peer as {@code wg show DEVICE dump} reports it now. */
  public List<PeerStatus> peers() throws Exception {
    ExecResult dump = host.execInContainer("wg", "show", device, "dump");
    if (dump.getExitCode() != 0) {
      // stdout would hold the private key: only stderr is shown
      throw new AssertionError("wg show " + device + " dump failed: " + dump.getStderr());
    }
    List<PeerStatus> statuses = new ArrayList<>();
    String[] lines = dump.getStdout().split("\n");
    // the first line is the interface's own: private key, public key, port, fwmark
    for (int i = 1; i < lines.length; i++) {
      statuses.add(parsePeerLine(lines[i]));
    }
    return statuses;
  }

  /** The status of the peer with {@code peerPublicKey}. */
  public PeerStatus peer(String peerPublicKey) throws Exception {
    return peers().stream().filter(p -> p.publicKey().equals(peerPublicKey)).findFirst()
        .orElseThrow(() -> new AssertionError(device + " has no peer " + peerPublicKey));
  }

  /** What wireguard-go wrote to its standard output and error. */
  public String log() throws Exception {
    return Hosts.sh(host, "cat " + logFile()).getStdout();
  }

  /** Fields are tab-separated: public key, preshared key, endpoint, allowed IPs, handshake, rx, tx, keepalive. */
  static PeerStatus parsePeerLine(String line) {
    String[] f = line.split("\t");
    if (f.length != 8) {
      throw new AssertionError("a wg dump peer line has 8 fields, this one " + f.length);
    }
    Optional<String> endpoint = f[2].equals("(none)") ? Optional.empty() : Optional.of(f[2]);
    List<String> allowedIps = f[3].equals("(none)") ? List.of() : List.of(f[3].split(","));
    int keepalive = f[7].equals("off") ? 0 : Integer.parseInt(f[7]);
    return new PeerStatus(f[0], endpoint, allowedIps, Long.parseLong(f[4]), Long.parseLong(f[5]),
        Long.parseLong(f[6]), keepalive);
  }

  private void start() throws Exception {
    // wireguard-go creates the TUN device and its control socket, then waits for wg
    ExecResult started = Hosts.sh(host, "WG_PROCESS_FOREGROUND=1 wireguard-go -f " + device + " > " + logFile()
        + " 2>&1 & echo $! > " + pidFile() + "; for i in $(seq " + SOCKET_WAIT_STEPS + "); do [ -S /var/run/wireguard/"
        + device + ".sock ] && exit 0; sleep " + STEP_SECONDS + "; done; exit 1");
    if (started.getExitCode() != 0) {
      throw new AssertionError("wireguard-go " + device + " opened no control socket: " + log());
    }

    List<String> wgSet = new ArrayList<>(List.of("wg", "set", device,
        "private-key", KEY_DIR + "/" + device + ".key", "listen-port", Integer.toString(listenPort)));
    for (int i = 0; i < peers.size(); i++) {
      wgSet.addAll(peerArguments(peers.get(i), i));
    }
    RouterTopology.run(host, wgSet.toArray(String[]::new));

    for (String address : addresses) {
      RouterTopology.run(host, "ip", "address", "add", address, "dev", device);
    }
    RouterTopology.run(host, "ip", "link", "set", device, "mtu", Integer.toString(mtuBytes), "up");
    for (Peer peer : peers) {
      for (String prefix : peer.allowedIps()) {
        RouterTopology.run(host, "ip", "route", "replace", prefix, "dev", device);
      }
    }
  }

  private List<String> peerArguments(Peer peer, int index) {
    List<String> arguments = new ArrayList<>(List.of("peer", peer.publicKey()));
    peer.presharedKey().ifPresent(psk -> {
      String file = KEY_DIR + "/" + device + "-peer" + index + ".psk";
      host.copyFileToContainer(Transferable.of(psk + "\n", 0600), file);
      arguments.addAll(List.of("preshared-key", file));
    });
    peer.endpoint().ifPresent(endpoint -> arguments.addAll(List.of("endpoint", endpoint)));
    arguments.addAll(List.of("allowed-ips", String.join(",", peer.allowedIps())));
    if (peer.persistentKeepaliveSeconds() > 0) {
      arguments.addAll(List.of("persistent-keepalive", Integer.toString(peer.persistentKeepaliveSeconds())));
    }
    return arguments;
  }

  /** A route for an allowed IP that holds the peer's own endpoint would send the tunnel into itself. */
  private static void refuseRoutingTheEndpointIntoTheTunnel(Peer peer) {
    if (peer.endpoint().isEmpty()) {
      return;
    }
    String endpoint = peer.endpoint().get();
    String host = endpoint.substring(0, endpoint.lastIndexOf(':')).replace("[", "").replace("]", "");
    InetAddress address = IpPrefix.parse(host + (host.contains(":") ? "/128" : "/32"))
        .orElseThrow(() -> new IllegalArgumentException("endpoint " + endpoint + " is not a literal address"))
        .address();
    for (String text : peer.allowedIps()) {
      IpPrefix prefix = IpPrefix.parse(text)
          .orElseThrow(() -> new IllegalArgumentException("not a prefix: " + text));
      if (prefix.contains(address)) {
        throw new IllegalArgumentException("allowed IP " + text + " holds the peer's endpoint " + endpoint);
      }
    }
  }

  private String pidFile() {
    return "/run/" + device + ".pid";
  }

  private String logFile() {
    return "/tmp/" + device + ".log";
  }
}
