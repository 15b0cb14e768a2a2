package dev.gatehouse.ingress.gre;

import dev.gatehouse.core.tunnel.Tunnel;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.tunnel.TunnelPlan;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoopGroup;

/**
 * A validated {@code type: gre} tunnel, not yet opened.
 *
 * @param context the tunnel's identity
 * @param settings its GRE settings
 */
public record GreTunnelPlan(TunnelContext context, GreSettings settings) implements TunnelPlan {

  /** Creates the tunnel, closed; it sends (and with the UDP transport receives) on one of {@code loops}. */
  @Override
  public Tunnel create(EventLoopGroup loops) {
    return new GreTunnel(context, settings, loops, PooledByteBufAllocator.DEFAULT);
  }
}
