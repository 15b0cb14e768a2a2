package dev.gatehouse.core.tunnel;

import java.util.Objects;

/**
 * What the core knows about the tunnel a packet came through: enough to key its flows, to
 * apply policies and to log it.
 *
 * @param name the configured tunnel name, unique in a configuration
 * @param type the ingress kind: {@code gre}, {@code ipsec}, {@code wireguard}, {@code tun}
 * @param site the site the tunnel serves (defaults to the tunnel's name)
 * @param virtualNetwork the virtual network the tunnel's addresses live in (0 by default)
 * @param mtuBytes the largest inner IP packet the tunnel carries
 */
public record TunnelContext(String name, String type, String site, int virtualNetwork, int mtuBytes) {

  public TunnelContext {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(site, "site");
  }
}
