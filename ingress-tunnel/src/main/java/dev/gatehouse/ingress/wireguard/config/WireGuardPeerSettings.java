package dev.gatehouse.ingress.wireguard.config;

import dev.gatehouse.core.config.IpPrefix;
import dev.gatehouse.core.config.Secret;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One configured peer of a {@code type: wireguard} tunnel, validated.
 *
 * @param name the operator's label for logs, if any
 * @param publicKey the peer's static public key, unique within the tunnel
 * @param presharedKey the 32-byte symmetric key mixed into the handshake (whitepaper §5.2,
 *     Noise_IKpsk2), if any; prints as {@code <redacted>}
 * @param allowedIps the inner prefixes the peer owns, networks with no host bits, none of
 *     them overlapping another peer's; never empty
 * @param endpoint where to send to before the peer has sent anything, as a literal address
 * @param persistentKeepalive how often to send a keepalive when nothing else was sent, in
 *     whole seconds; empty when off
 */
public record WireGuardPeerSettings(
    Optional<String> name,
    WireGuardPublicKey publicKey,
    Optional<Secret> presharedKey,
    List<IpPrefix> allowedIps,
    Optional<InetSocketAddress> endpoint,
    Optional<Duration> persistentKeepalive) {

  public WireGuardPeerSettings {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(publicKey, "publicKey");
    Objects.requireNonNull(presharedKey, "presharedKey");
    allowedIps = List.copyOf(allowedIps);
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(persistentKeepalive, "persistentKeepalive");
  }

  /** What logs call the peer: its name, or the start of its public key as {@code wg} shows it. */
  public String label() {
    return name.orElseGet(() -> publicKey.toBase64().substring(0, 8) + "...");
  }
}
