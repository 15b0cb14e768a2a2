package dev.gatehouse.ingress.wireguard.config;

import dev.gatehouse.core.tunnel.Tunnel;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.tunnel.TunnelPlan;
import dev.gatehouse.ingress.wireguard.WireGuardTunnel;
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

  /** Creates the tunnel, closed; its socket and device will live on one of {@code loops}. */
  @Override
  public Tunnel create(EventLoopGroup loops) {
    return new WireGuardTunnel(context, settings, loops);
  }
}
