package dev.gatehouse.ingress.tun;

import dev.gatehouse.core.tunnel.Tunnel;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.tunnel.TunnelPlan;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoopGroup;

/**
 * A validated {@code type: tun} tunnel, not yet opened.
 *
 * @param context the tunnel's identity
 * @param settings its TUN settings
 */
public record TunTunnelPlan(TunnelContext context, TunSettings settings) implements TunnelPlan {

  /**
   * Creates the tunnel, closed. It reads on a thread of its own rather than on
   * {@code loops}: a TUN descriptor is not a channel Netty's transports can poll.
   */
  @Override
  public Tunnel create(EventLoopGroup loops) {
    return new TunTunnel(context, settings, PooledByteBufAllocator.DEFAULT);
  }
}
