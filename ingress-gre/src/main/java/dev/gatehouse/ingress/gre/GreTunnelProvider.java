package dev.gatehouse.ingress.gre;

import dev.gatehouse.core.config.ConfigErrors;
import dev.gatehouse.core.config.ConfigMap;
import dev.gatehouse.core.config.ConfigNode;
import dev.gatehouse.core.config.IpPrefix;
import dev.gatehouse.core.config.SecretSource;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.tunnel.TunnelPlan;
import dev.gatehouse.core.tunnel.TunnelProvider;
import dev.gatehouse.ingress.gre.health.HealthCheckSettings;
import dev.gatehouse.ingress.gre.health.HealthCheckSettings.Direction;
import dev.gatehouse.ingress.gre.health.HealthCheckSettings.Rate;
import dev.gatehouse.ingress.gre.health.HealthCheckSettings.Type;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * The {@code type: gre} ingress: GRE tunnels from site routers. Settings beyond the common
 * ones: {@code local}, {@code remote}, {@code key}, {@code interface-address},
 * {@code transport}, {@code udp-port}, {@code checksum}, {@code sequence-numbers} and
 * {@code health-check} (docs/CONFIG.md describes them).
 */
public final class GreTunnelProvider implements TunnelProvider {

  /**
   * 1500 less the outer IPv4 header (20) and the bare GRE header (4): what site routers
   * configure for GRE over Ethernet. A key, a checksum, sequence numbers, UDP or an IPv6
   * outer header each take more, and the operator lowers {@code mtu} to match.
   */
  public static final int DEFAULT_MTU_BYTES = 1476;
  /** RFC 8200 §5: every link that carries IPv6 must take 1280-byte packets. */
  public static final int MIN_IPV6_MTU_BYTES = 1280;
  private static final long MAX_KEY = 0xFFFF_FFFFL;

  @Override
  public String type() {
    return "gre";
  }

  @Override
  public int defaultMtuBytes() {
    return DEFAULT_MTU_BYTES;
  }

  @Override
  public Optional<TunnelPlan> plan(TunnelContext context, ConfigMap settings, SecretSource secrets,
      ConfigErrors errors) {
    Optional<InetAddress> local = settings.required("local").flatMap(n -> n.asAddress(errors));
    Optional<ConfigNode> remoteNode = settings.required("remote");
    Optional<InetAddress> remote = remoteNode.flatMap(n -> n.asAddress(errors));
    Optional<OptionalLong> key = readKey(settings, errors);
    Optional<InterfaceAddresses> interfaces = readInterfaceAddresses(settings, context, errors);
    Optional<GreTransport> transport = readTransport(settings, errors);
    Optional<Integer> udpPort = readUdpPort(settings, transport, errors);
    Optional<Boolean> checksum = readBoolean(settings, "checksum", errors);
    Optional<Boolean> sequenceNumbers = readBoolean(settings, "sequence-numbers", errors);
    Optional<HealthCheckSettings> healthCheck = readHealthCheck(settings, local, interfaces, errors);

    if (local.isPresent() && remote.isPresent() && !sameFamilyDistinct(local.get(), remote.get(), remoteNode.get(),
        errors)) {
      return Optional.empty();
    }
    if (local.isEmpty() || remote.isEmpty() || key.isEmpty() || interfaces.isEmpty() || transport.isEmpty()
        || udpPort.isEmpty() || checksum.isEmpty() || sequenceNumbers.isEmpty() || healthCheck.isEmpty()) {
      return Optional.empty();
    }
    GreSettings gre = new GreSettings(local.get(), remote.get(), key.get(), interfaces.get().v4(),
        interfaces.get().v6(), transport.get(), udpPort.get(), checksum.get(), sequenceNumbers.get(),
        healthCheck.get());
    return Optional.of(new GreTunnelPlan(context, gre));
  }

  private static boolean sameFamilyDistinct(InetAddress local, InetAddress remote, ConfigNode remoteNode,
      ConfigErrors errors) {
    if ((local instanceof Inet4Address) != (remote instanceof Inet4Address)) {
      errors.add(remoteNode, "expected an address of the same IP version as local (" + local.getHostAddress()
          + "), got " + remote.getHostAddress());
      return false;
    }
    if (local.equals(remote)) {
      errors.add(remoteNode, "expected the site router's address, not local's own (" + local.getHostAddress() + ")");
      return false;
    }
    return true;
  }

  /** RFC 2890 §2.1: four octets, written as a decimal number as router configurations do. */
  private static Optional<OptionalLong> readKey(ConfigMap settings, ConfigErrors errors) {
    Optional<ConfigNode> node = settings.optional("key");
    if (node.isEmpty()) {
      return Optional.of(OptionalLong.empty());
    }
    Optional<String> text = node.get().asString(errors);
    if (text.isEmpty()) {
      return Optional.empty();
    }
    String value = text.get().trim();
    if (value.matches("\\d{1,10}") && Long.parseLong(value) <= MAX_KEY) {
      return Optional.of(OptionalLong.of(Long.parseLong(value)));
    }
    errors.add(node.get(), "expected a GRE key from 0 to " + MAX_KEY + ", got \"" + printable(value) + "\"");
    return Optional.empty();
  }

  private record InterfaceAddresses(Optional<IpPrefix> v4, Optional<IpPrefix> v6) {}

  /**
   * One prefix or a list of at most one per family: an IPv4 /31 (RFC 3021) or /30 that is
   * not the network's first or last address, an IPv6 /127 (RFC 6164) or /126.
   */
  private static Optional<InterfaceAddresses> readInterfaceAddresses(ConfigMap settings, TunnelContext context,
      ConfigErrors errors) {
    Optional<ConfigNode> node = settings.optional("interface-address");
    if (node.isEmpty()) {
      return Optional.of(new InterfaceAddresses(Optional.empty(), Optional.empty()));
    }
    List<ConfigNode> items = node.get().isSequence()
        ? node.get().asList(errors).orElse(List.of())
        : List.of(node.get());
    Optional<IpPrefix> v4 = Optional.empty();
    Optional<IpPrefix> v6 = Optional.empty();
    boolean ok = true;
    for (ConfigNode item : items) {
      Optional<IpPrefix> prefix = item.asPrefix(errors);
      if (prefix.isEmpty() || !isPointToPoint(prefix.get(), item, errors)) {
        ok = false;
        continue;
      }
      boolean isV4 = prefix.get().address() instanceof Inet4Address;
      if ((isV4 ? v4 : v6).isPresent()) {
        errors.add(item, "expected at most one IPv" + (isV4 ? 4 : 6) + " interface address, got a second: "
            + prefix.get());
        ok = false;
      } else if (isV4) {
        v4 = prefix;
      } else {
        v6 = prefix;
      }
    }
    if (ok && v6.isPresent() && context.mtuBytes() < MIN_IPV6_MTU_BYTES) {
      errors.add(node.get(), "an IPv6 interface address needs an mtu of at least " + MIN_IPV6_MTU_BYTES
          + " (RFC 8200 §5), the tunnel has " + context.mtuBytes());
      ok = false;
    }
    return ok ? Optional.of(new InterfaceAddresses(v4, v6)) : Optional.empty();
  }

  private static boolean isPointToPoint(IpPrefix prefix, ConfigNode node, ConfigErrors errors) {
    byte[] address = prefix.address().getAddress();
    int bits = address.length * 8;
    boolean v4 = address.length == 4;
    if (prefix.length() != bits - 1 && prefix.length() != bits - 2) {
      errors.add(node, v4
          ? "expected a point-to-point IPv4 address, /31 or /30 like 198.18.60.0/31, got " + prefix
          : "expected a point-to-point IPv6 address, /127 or /126 like 2001:2:0:60::/127, got " + prefix);
      return false;
    }
    int host = address[address.length - 1] & (prefix.length() == bits - 1 ? 0x1 : 0x3);
    if (v4 && prefix.length() == 30 && (host == 0 || host == 3)) {
      errors.add(node, "expected a host address of the /30, not its network or broadcast address, got " + prefix);
      return false;
    }
    return true;
  }

  private static Optional<GreTransport> readTransport(ConfigMap settings, ConfigErrors errors) {
    Optional<ConfigNode> node = settings.optional("transport");
    if (node.isEmpty()) {
      return Optional.of(GreTransport.IP);
    }
    List<String> names = Arrays.stream(GreTransport.values()).map(GreTransport::configName).toList();
    return node.get().asChoice(names, errors).map(name -> GreTransport.values()[names.indexOf(name)]);
  }

  private static Optional<Integer> readUdpPort(ConfigMap settings, Optional<GreTransport> transport,
      ConfigErrors errors) {
    Optional<ConfigNode> node = settings.optional("udp-port");
    if (node.isEmpty()) {
      return Optional.of(GreSettings.GRE_IN_UDP_PORT);
    }
    if (transport.isPresent() && transport.get() != GreTransport.UDP) {
      errors.add(node.get(), "udp-port applies only with transport: udp");
      return Optional.empty();
    }
    return node.get().asInt(1, 65_535, errors);
  }

  /**
   * The {@code health-check} map: {@code enabled}, {@code type}, {@code direction} and
   * {@code rate}. Probes are ICMP over IPv4, between the interface addresses
   * (bidirectional) or the outer ones (unidirectional). A tunnel without the IPv4 address
   * its direction needs has no health check when the map is left out, and the map is an
   * error unless it says {@code enabled: false}.
   */
  private static Optional<HealthCheckSettings> readHealthCheck(ConfigMap settings, Optional<InetAddress> local,
      Optional<InterfaceAddresses> interfaces, ConfigErrors errors) {
    Optional<ConfigNode> node = settings.optional("health-check");
    Optional<ConfigMap> map = node.isEmpty()
        ? Optional.of(ConfigMap.absent(settings.pathOf("health-check"), errors))
        : node.get().asMap(errors);
    if (map.isEmpty()) {
      return Optional.empty();
    }
    Optional<ConfigNode> enabledNode = map.get().optional("enabled");
    Optional<Boolean> enabled = enabledNode.isEmpty() ? Optional.of(true) : enabledNode.get().asBoolean(errors);
    Optional<Type> type = readChoice(map.get(), "type", Type.values(), Type::configName, Type.REPLY, errors);
    Optional<Direction> direction = readChoice(map.get(), "direction", Direction.values(), Direction::configName,
        Direction.BIDIRECTIONAL, errors);
    Optional<Rate> rate = readChoice(map.get(), "rate", Rate.values(), Rate::configName, Rate.MID, errors);
    map.get().finish();
    if (enabled.isEmpty() || type.isEmpty() || direction.isEmpty() || rate.isEmpty()) {
      return Optional.empty();
    }
    if (!enabled.get()) {
      return Optional.of(new HealthCheckSettings(false, type.get(), direction.get(), rate.get()));
    }
    if (local.isEmpty() || interfaces.isEmpty()) {
      return Optional.of(HealthCheckSettings.DISABLED); // the plan fails on those errors anyway
    }
    boolean bidirectional = direction.get() == Direction.BIDIRECTIONAL;
    boolean addressed = bidirectional ? interfaces.get().v4().isPresent() : local.get() instanceof Inet4Address;
    if (!addressed) {
      if (node.isEmpty()) {
        return Optional.of(HealthCheckSettings.DISABLED);
      }
      // TODO(#6): ICMPv6 echo probes (RFC 4443 §4.1) for IPv6-only tunnels.
      errors.add(node.get(), bidirectional
          ? "a bidirectional health check probes between IPv4 interface addresses: set an IPv4 interface-address"
              + " or enabled: false"
          : "a unidirectional health check probes between the outer addresses, which must be IPv4: set"
              + " enabled: false");
      return Optional.empty();
    }
    return Optional.of(new HealthCheckSettings(true, type.get(), direction.get(), rate.get()));
  }

  private static <E> Optional<E> readChoice(ConfigMap map, String key, E[] values,
      Function<E, String> name, E fallback, ConfigErrors errors) {
    Optional<ConfigNode> node = map.optional(key);
    if (node.isEmpty()) {
      return Optional.of(fallback);
    }
    List<String> names = Arrays.stream(values).map(name).toList();
    return node.get().asChoice(names, errors).map(chosen -> values[names.indexOf(chosen)]);
  }

  private static Optional<Boolean> readBoolean(ConfigMap settings, String key, ConfigErrors errors) {
    Optional<ConfigNode> node = settings.optional(key);
    return node.isEmpty() ? Optional.of(false) : node.get().asBoolean(errors);
  }

  private static String printable(String text) {
    String shown = text.length() > 40 ? text.substring(0, 40) + "..." : text;
    return shown.replaceAll("[^\\x20-\\x7e]", "?");
  }
}
