package dev.gatehouse.core.tunnel;

import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.util.Optional;

/**
 * A tunnel whose configuration was read and validated, not yet opened. Plans are part of an
 * immutable configuration snapshot: validating a new file builds new plans and touches no
 * running tunnel.
 */
public interface TunnelPlan {

  /** The identity the tunnel will have. */
  TunnelContext context();

  /** Creates the tunnel, closed; its I/O runs on {@code loops}. */
  Tunnel create(EventLoopGroup loops) throws IOException;

  /**
   * The configuration one of this tunnel's peers runs on its own side to connect, for tunnel
   * types whose peers are configured from the appliance's settings (WireGuard's client file);
   * {@code gatehouse peer-config} prints it. A type that has none keeps this default.
   *
   * @param peer the peer, by the name the configuration gives it, or by what else the type
   *     identifies peers with (WireGuard also takes the peer's public key)
   * @param request what the operator adds: the peer's private key, the endpoint, the routes
   * @return the configuration, or empty when this tunnel type has none to give
   * @throws IllegalArgumentException when the tunnel has no such peer, or the request lacks
   *     or contradicts something the configuration needs; the message says what, without
   *     quoting a secret
   */
  default Optional<PeerConfiguration> peerConfiguration(String peer, PeerConfigurationRequest request) {
    return Optional.empty();
  }
}
