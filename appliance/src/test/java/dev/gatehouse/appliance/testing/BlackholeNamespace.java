package dev.gatehouse.appliance.testing;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace that answers ARP but silently drops every TCP SYN to one port: a
 * connect to {@link #address()} on {@link #DROPPED_PORT} hangs until the dialer gives up,
 * which is the only honest way to see a connect timeout. Loopback cannot do it (a closed
 * port answers RST at once, and an unrouted address fails with ENETUNREACH at once).
 *
 * <p>Built from a veth pair: the host end gets {@code 198.19.X.Y+1/30}, the namespace end
 * {@code +2}, both from the RFC 2544 benchmarking range, and an nftables rule in the
 * namespace drops the SYNs. Needs root (CAP_NET_ADMIN), {@code ip} and {@code nft};
 * deleting the namespace removes both veth ends.
 */
public final class BlackholeNamespace implements AutoCloseable {

  /** The TCP port whose SYNs the namespace drops (discard, RFC 863, unused here). */
  public static final int DROPPED_PORT = 9;

  private final String namespace;
  private final String hostLink;
  private final InetAddress address;

  private BlackholeNamespace(String namespace, String hostLink, InetAddress address) {
    this.namespace = namespace;
    this.hostLink = hostLink;
    this.address = address;
  }

  /** Whether this process may create namespaces: root with the tools installed. */
  public static boolean canCreate() {
    return "root".equals(System.getProperty("user.name")) && tool("ip") != null && tool("nft") != null;
  }

  /** Creates the namespace, its link and the drop rule. */
  public static BlackholeNamespace create() throws IOException, InterruptedException {
    String suffix = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(2);
    ThreadLocalRandom random = ThreadLocalRandom.current();
    // A random /30 in 198.19.128.0/17, so that parallel runs do not collide.
    String prefix = "198.19." + random.nextInt(128, 256) + ".";
    int base = random.nextInt(64) * 4;
    String hostAddress = prefix + (base + 1);
    String namespaceAddress = prefix + (base + 2);

    BlackholeNamespace created = new BlackholeNamespace(
        "gh-blackhole-" + suffix, "ghb" + suffix, InetAddress.getByName(namespaceAddress));
    String peerLink = "ghn" + suffix;
    String ip = tool("ip");
    try {
      run(null, ip, "netns", "add", created.namespace);
      run(null, ip, "link", "add", created.hostLink, "type", "veth", "peer", "name", peerLink,
          "netns", created.namespace);
      run(null, ip, "addr", "add", hostAddress + "/30", "dev", created.hostLink);
      run(null, ip, "link", "set", created.hostLink, "up");
      run(null, ip, "-n", created.namespace, "addr", "add", namespaceAddress + "/30", "dev", peerLink);
      run(null, ip, "-n", created.namespace, "link", "set", peerLink, "up");
      String rules = "table inet blackhole {\n"
          + "  chain input {\n"
          + "    type filter hook input priority 0; policy accept;\n"
          + "    tcp dport " + DROPPED_PORT + " drop\n"
          + "  }\n"
          + "}\n";
      run(rules, ip, "netns", "exec", created.namespace, tool("nft"), "-f", "-");
      return created;
    } catch (IOException | RuntimeException e) {
      created.close();
      throw e;
    }
  }

  /** The namespace's address; SYNs to {@link #DROPPED_PORT} there go unanswered. */
  public InetAddress address() {
    return address;
  }

  @Override
  public void close() {
    runIgnoringFailure(tool("ip"), "netns", "del", namespace);
    runIgnoringFailure(tool("ip"), "link", "del", hostLink);
  }

  private static void run(String stdin, String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    if (stdin != null) {
      process.getOutputStream().write(stdin.getBytes(StandardCharsets.US_ASCII));
    }
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new IOException("'" + String.join(" ", command) + "' failed: " + output.strip());
    }
  }

  private static void runIgnoringFailure(String... command) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      process.getInputStream().readAllBytes();
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException alreadyGone) {
      // Best effort: deleting the namespace already took the host end of the veth pair.
    }
  }

  /** The absolute path of a system tool, or null; /usr/sbin may be missing from PATH. */
  private static String tool(String name) {
    String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin";
    for (String dir : path.split(":")) {
      File candidate = new File(dir, name);
      if (!dir.isEmpty() && candidate.canExecute()) {
        return candidate.getAbsolutePath();
      }
    }
    return null;
  }
}
