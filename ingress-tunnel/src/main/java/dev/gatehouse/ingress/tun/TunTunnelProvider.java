package dev.gatehouse.ingress.tun;

import dev.gatehouse.core.config.ConfigErrors;
import dev.gatehouse.core.config.ConfigMap;
import dev.gatehouse.core.config.ConfigNode;
import dev.gatehouse.core.config.IpPrefix;
import dev.gatehouse.core.config.SecretSource;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.tunnel.TunnelPlan;
import dev.gatehouse.core.tunnel.TunnelProvider;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The {@code type: tun} ingress: a local TUN device the host routes traffic into. Settings
 * beyond the common ones: {@code device}, {@code address}, {@code address-v6},
 * {@code routes} and {@code txqueuelen} (docs/CONFIG.md describes them).
 */
public final class TunTunnelProvider implements TunnelProvider {

  /** Interface names hold at most IFNAMSIZ (16) bytes with the terminating NUL. */
  public static final int MAX_DEVICE_NAME_CHARS = 15;
  public static final String DEFAULT_DEVICE_PREFIX = "gh-";
  /** An Ethernet-sized default, so that a site's ordinary 1500-byte packets pass whole. */
  public static final int DEFAULT_MTU_BYTES = 1500;
  /** Twice the kernel's TUN default of 500: a burst toward a busy reader waits, not drops. */
  public static final int DEFAULT_TX_QUEUE_LENGTH = 1000;
  public static final int MAX_TX_QUEUE_LENGTH = 1_000_000;

  /**
   * Names the kernel takes and a shell script can quote without thought: it refuses '/',
   * ':', white space, "." and ".." (dev_valid_name); we also leave out '%', which would let
   * the kernel pick the number and so make the name unknown to the routes we add.
   */
  private static final int QUOTE_LIMIT_CHARS = 40;
  private static final Pattern DEVICE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,14}");

  @Override
  public String type() {
    return "tun";
  }

  @Override
  public int defaultMtuBytes() {
    return DEFAULT_MTU_BYTES;
  }

  @Override
  public Optional<TunnelPlan> plan(TunnelContext context, ConfigMap settings, SecretSource secrets,
      ConfigErrors errors) {
    Optional<String> device = readDevice(settings, context.name(), errors);
    Optional<Optional<IpPrefix>> address = readAddress(settings, "address", true, errors);
    Optional<Optional<IpPrefix>> addressV6 = readAddress(settings, "address-v6", false, errors);
    Optional<List<IpPrefix>> routes = readRoutes(settings, errors);
    Optional<Integer> txQueueLength = readTxQueueLength(settings, errors);

    if (device.isEmpty() || address.isEmpty() || addressV6.isEmpty() || routes.isEmpty()
        || txQueueLength.isEmpty()) {
      return Optional.empty();
    }
    TunSettings tun = new TunSettings(device.get(), address.get(), addressV6.get(), routes.get(),
        txQueueLength.get());
    return Optional.of(new TunTunnelPlan(context, tun));
  }

  /** The device name a tunnel gets when {@code device} is not set: {@code gh-NAME}, cut to fit. */
  public static String defaultDeviceName(String tunnelName) {
    String name = DEFAULT_DEVICE_PREFIX + tunnelName;
    return name.substring(0, Math.min(name.length(), MAX_DEVICE_NAME_CHARS));
  }

  private static Optional<String> readDevice(
      ConfigMap settings, String tunnelName, ConfigErrors errors) {
    Optional<ConfigNode> node = settings.optional("device");
    if (node.isEmpty()) {
      return Optional.of(defaultDeviceName(tunnelName));
    }
    Optional<String> name = node.get().asString(errors);
    if (name.isPresent() && !DEVICE_NAME.matcher(name.get()).matches()) {
      errors.add(node.get(), "expected an interface name of 1 to 15 letters, digits, '_', '.' and"
          + " '-', starting with a letter or digit, got \"" + printable(name.get()) + "\"");
      return Optional.empty();
    }
    return name;
  }

  /**
   * Reads an interface address of one family.
   *
   * @return empty on error; an empty inner value when the key is absent
   */
  private static Optional<Optional<IpPrefix>> readAddress(
      ConfigMap settings, String key, boolean ipv4, ConfigErrors errors) {
    Optional<ConfigNode> node = settings.optional(key);
    if (node.isEmpty()) {
      return Optional.of(Optional.empty());
    }
    Optional<IpPrefix> prefix = node.get().asPrefix(errors);
    if (prefix.isEmpty()) {
      return Optional.empty();
    }
    boolean isIpv4 = prefix.get().address() instanceof Inet4Address;
    if (isIpv4 != ipv4) {
      errors.add(node.get(), ipv4
          ? "expected an IPv4 address and prefix like 198.18.40.1/24 (IPv6 goes in address-v6),"
              + " got " + prefix.get()
          : "expected an IPv6 address and prefix like 2001:2:0:40::1/64 (IPv4 goes in address),"
              + " got " + prefix.get());
      return Optional.empty();
    }
    return Optional.of(prefix);
  }

  private static Optional<List<IpPrefix>> readRoutes(ConfigMap settings, ConfigErrors errors) {
    Optional<ConfigNode> node = settings.optional("routes");
    if (node.isEmpty()) {
      return Optional.of(List.of());
    }
    Optional<List<ConfigNode>> items = node.get().asList(errors);
    if (items.isEmpty()) {
      return Optional.empty();
    }
    List<IpPrefix> routes = new ArrayList<>();
    Map<IpPrefix, ConfigNode> seen = new HashMap<>();
    boolean ok = true;
    for (ConfigNode item : items.get()) {
      Optional<IpPrefix> route =
          item.asPrefix(errors).filter(prefix -> isNetwork(prefix, item, errors));
      if (route.isEmpty()) {
        ok = false;
        continue;
      }
      ConfigNode first = seen.putIfAbsent(route.get(), item);
      if (first != null) {
        errors.add(item, "route " + route.get() + " is already listed on line " + first.line());
        ok = false;
        continue;
      }
      routes.add(route.get());
    }
    return ok ? Optional.of(routes) : Optional.empty();
  }

  /** A route names a network: {@code ip route} refuses host bits past the prefix length. */
  private static boolean isNetwork(IpPrefix prefix, ConfigNode node, ConfigErrors errors) {
    byte[] address = prefix.address().getAddress();
    for (int bit = prefix.length(); bit < address.length * 8; bit++) {
      if ((address[bit / 8] & (0x80 >>> (bit % 8))) != 0) {
        String example = prefix.address() instanceof Inet6Address
            ? "2001:2:0:78::/64"
            : "198.18.78.0/24";
        errors.add(node, "expected a network prefix with no bits set past the prefix length,"
            + " like " + example + ", got " + prefix);
        return false;
      }
    }
    return true;
  }

  private static Optional<Integer> readTxQueueLength(ConfigMap settings, ConfigErrors errors) {
    Optional<ConfigNode> node = settings.optional("txqueuelen");
    return node.isEmpty()
        ? Optional.of(DEFAULT_TX_QUEUE_LENGTH)
        : node.get().asInt(1, MAX_TX_QUEUE_LENGTH, errors);
  }

  /** A user's value fit for a message: control characters shown as '?', cut at 40 chars. */
  private static String printable(String text) {
    String shown = text.length() > QUOTE_LIMIT_CHARS
        ? text.substring(0, QUOTE_LIMIT_CHARS) + "..."
        : text;
    return shown.replaceAll("[^\\x20-\\x7e]", "?");
  }
}
