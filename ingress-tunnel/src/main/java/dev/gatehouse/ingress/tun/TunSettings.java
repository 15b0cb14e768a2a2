package dev.gatehouse.ingress.tun;

import dev.gatehouse.core.config.IpPrefix;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@code type: tun} settings of one tunnel, validated.
 *
 * @param device the interface name, 1 to 15 characters (IFNAMSIZ less the NUL)
 * @param address the IPv4 address and prefix the device gets, if any
 * @param addressV6 the IPv6 address and prefix the device gets, if any
 * @param routes prefixes routed into the device while the tunnel runs, network addresses
 * @param txQueueLength packets the kernel may queue toward the device before dropping
 */
public record TunSettings(
    String device,
    Optional<IpPrefix> address,
    Optional<IpPrefix> addressV6,
    List<IpPrefix> routes,
    int txQueueLength) {

  public TunSettings {
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(addressV6, "addressV6");
    routes = List.copyOf(routes);
  }
}
