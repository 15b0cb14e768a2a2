package dev.gatehouse.ingress.wireguard.config;

import dev.gatehouse.core.tunnel.PeerConfiguration;
import dev.gatehouse.core.tunnel.PeerConfigurationRequest;
import dev.gatehouse.core.tunnel.Tunnel;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.tunnel.TunnelPlan;
import dev.gatehouse.ingress.wireguard.WireGuardTunnel;
import io.netty.channel.EventLoopGroup;
import java.util.Objects;
import java.util.Optional;

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

  /**
   * The {@code wg-quick} file for the peer named {@code peer} (or whose public key is that
   * base64): its side of this tunnel, with the appliance as its one peer. The rules for each
   * line are {@link WireGuardClientConfig}'s. A private key in the request must be the peer's,
   * the one whose public key the configuration lists.
   */
  @Override
  public Optional<PeerConfiguration> peerConfiguration(String peer, PeerConfigurationRequest request) {
    return Optional.of(WireGuardClientConfig.write(context, settings, peer, request));
  }
}
