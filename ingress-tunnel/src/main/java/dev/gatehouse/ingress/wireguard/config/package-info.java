/**
 * The {@code type: wireguard} tunnel's configuration: the interface's private key, port and
 * addresses, and its peers with their public keys, allowed IPs and endpoints, read and
 * validated into an immutable {@link dev.gatehouse.ingress.wireguard.config.WireGuardTunnelPlan}
 * by {@link dev.gatehouse.ingress.wireguard.config.WireGuardTunnelProvider}. Keys arrive
 * here decoded and checked for length only; what they mean is the protocol engine's.
 */
package dev.gatehouse.ingress.wireguard.config;
