package dev.gatehouse.ingress.wireguard.config;

import dev.gatehouse.core.tunnel.Tunnel;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.tunnel.TunnelPlan;
import io.netty.channel.EventLoopGroup;
import java.util.Objects;

/**
 * A validated {@code type: wireguard} tunnel, not yet opened.
 *
 * @param context the tunnel's identity; its MTU is the largest inner packet
 * @param settings its WireGuard settings
 */
public record WireGuardTunnelPlan(TunnelContext context, WireGuardSettings settings) implements TunnelPlan {

  public WireGuardTunnelPlan {
    Objects.requireNonNull(context, "context");
    Objects.requireNonNull(settings, "settings");
  }

  /**
   * Not yet: the protocol engine that would run this plan is being written (issue #5), and
   * until it is, the provider is not registered, so no configuration reaches here.
   */
  @Override
  public Tunnel create(EventLoopGroup loops) {
    // TODO(#5): create the WireGuard tunnel from the engine once it exists, and register
    // WireGuardTunnelProvider in META-INF/services.
    throw new UnsupportedOperationException("tunnel " + context.name()
        + ": type wireguard is read and validated, but this build cannot run it yet (issue #5)");
  }
}
