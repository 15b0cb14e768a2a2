package dev.gatehouse.core.tunnel;

import dev.gatehouse.core.config.IpPrefix;
import dev.gatehouse.core.config.Secret;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the operator adds to a tunnel's plan when asking for a peer's client configuration
 * ({@link TunnelPlan#peerConfiguration}): what the appliance cannot know, or may guess wrong.
 *
 * @param peerPrivateKey the peer's own private key, as text in the form the tunnel type
 *     writes keys (for WireGuard the base64 of {@code wg genkey}); empty leaves a placeholder
 *     for the operator to fill, since the appliance holds only the peer's public key
 * @param endpoint where the peer reaches the appliance, replacing what the plan would derive
 *     from its listening address; may be unresolved, so that a host name is written as given
 * @param allowedIps the destinations the peer should send into the tunnel, replacing the
 *     type's default; empty for that default, never an empty list
 */
public record PeerConfigurationRequest(
    Optional<Secret> peerPrivateKey,
    Optional<InetSocketAddress> endpoint,
    Optional<List<IpPrefix>> allowedIps) {

  public PeerConfigurationRequest {
    Objects.requireNonNull(peerPrivateKey, "peerPrivateKey");
    Objects.requireNonNull(endpoint, "endpoint");
    allowedIps = allowedIps.map(List::copyOf);
    if (allowedIps.isPresent() && allowedIps.get().isEmpty()) {
      throw new IllegalArgumentException("allowedIps: give at least one prefix, or none for the default");
    }
  }

  /** A request that adds nothing: every value the plan's own, the private key a placeholder. */
  public static PeerConfigurationRequest defaults() {
    return new PeerConfigurationRequest(Optional.empty(), Optional.empty(), Optional.empty());
  }
}
