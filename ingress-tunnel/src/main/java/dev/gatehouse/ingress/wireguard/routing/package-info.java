/**
 * WireGuard's cryptokey routing (whitepaper §2): the table of allowed IPs that maps an inner
 * address to the one peer it belongs to. {@link dev.gatehouse.ingress.wireguard.routing.AllowedIps}
 * picks the peer an outbound inner packet is encrypted to, by its destination, and checks
 * that a decrypted inbound packet's source belongs to the peer that sent it.
 */
package dev.gatehouse.ingress.wireguard.routing;
