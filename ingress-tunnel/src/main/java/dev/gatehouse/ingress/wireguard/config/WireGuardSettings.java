package dev.gatehouse.ingress.wireguard.config;

import dev.gatehouse.core.config.IpPrefix;
import dev.gatehouse.core.config.Secret;
import java.net.InetAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@code type: wireguard} settings of one tunnel, validated.
 *
 * @param privateKey the interface's static private key, 32 bytes as decoded from base64;
 *     prints as {@code <redacted>}
 * @param listenPort the UDP port peers send to
 * @param listenAddress the address the UDP socket binds to; empty for every address
 * @param addresses the appliance's own addresses inside the tunnel, with their prefixes
 * @param peers the peers, in the order the file lists them
 */
public record WireGuardSettings(
    Secret privateKey,
    int listenPort,
    Optional<InetAddress> listenAddress,
    List<IpPrefix> addresses,
    List<WireGuardPeerSettings> peers) {

  public WireGuardSettings {
    Objects.requireNonNull(privateKey, "privateKey");
    Objects.requireNonNull(listenAddress, "listenAddress");
    addresses = List.copyOf(addresses);
    peers = List.copyOf(peers);
  }
}
