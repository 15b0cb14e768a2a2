package dev.gatehouse.appliance.config;

import dev.gatehouse.core.icmp.IcmpSettings;
import dev.gatehouse.core.log.ActivityLogSettings;
import dev.gatehouse.core.policy.PolicySet;
import dev.gatehouse.core.tunnel.TunnelPlan;
import dev.gatehouse.core.tcp.TcpProxySettings;
import dev.gatehouse.core.udp.UdpSettings;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * One validated, immutable configuration snapshot. A reload builds a new snapshot and swaps
 * it in whole; a file with any error never becomes a snapshot. {@code docs/CONFIG.md} is the
 * reference for every setting.
 *
 * @param explicitProxy the explicit HTTP proxy for clients with no tunnel
 * @param admin the admin HTTP endpoint (health, later metrics)
 * @param tcp TCP proxying timeouts, shared by every ingress
 * @param udp the UDP engine, shared by every tunnel
 * @param icmp the ICMP echo engine, shared by every tunnel
 * @param log diagnostic and activity logging
 * @param tunnels the configured tunnels, validated by their ingress providers
 * @param policies the network policies, the one section a reload applies without a restart
 */
public record GatehouseConfig(
    ExplicitProxy explicitProxy, Admin admin, Tcp tcp, Udp udp, Icmp icmp, Log log,
    List<TunnelPlan> tunnels, PolicySettings policies) {

  public GatehouseConfig {
    tunnels = List.copyOf(tunnels);
  }

  /** {@code explicit-proxy}: where browsers and tools send proxied HTTP. */
  public record ExplicitProxy(boolean enabled, InetSocketAddress listen) {}

  /** {@code admin}: the health endpoint. */
  public record Admin(boolean enabled, InetSocketAddress listen) {}

  /**
   * {@code proxy.tcp}: whether TCP from tunnels is terminated, how long a dial may take, how
   * long a quiet flow lives, and where origin sockets leave from. The timeouts also apply to
   * the explicit proxy.
   */
  public record Tcp(boolean enabled, TcpProxySettings settings) {

    public Duration connectTimeout() {
      return settings.connectTimeout();
    }

    public Duration idleTimeout() {
      return settings.idleTimeout();
    }
  }

  /** {@code proxy.udp}: whether UDP from tunnels is proxied, and how. */
  public record Udp(boolean enabled, UdpSettings settings) {}

  /** {@code proxy.icmp}: whether ICMP echo from tunnels is proxied, and how. */
  public record Icmp(boolean enabled, IcmpSettings settings) {}

  /**
   * {@code log}: the diagnostic log's level and the activity log.
   *
   * @param level the diagnostic log level
   * @param activityEnabled false when {@code log.activity.sink} is {@code off}
   * @param activity where activity records go when enabled
   */
  public record Log(String level, boolean activityEnabled, ActivityLogSettings activity) {}

  /**
   * {@code policies}: the ordered network policies with their default action, and how long a
   * flow whose verdict needs the client's first bytes waits for them.
   *
   * @param set the compiled policies, ready for {@link dev.gatehouse.core.policy.Policies}
   * @param inspectionTimeout the wait for the client's first bytes
   */
  public record PolicySettings(PolicySet set, Duration inspectionTimeout) {}
}
