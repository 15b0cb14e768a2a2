/**
 * WireGuard's protocol engine, pure: {@link dev.gatehouse.ingress.wireguard.WireGuardDevice}
 * takes datagrams, inner packets and {@code nowNanos} and gives back datagrams, inner
 * packets and events through {@link dev.gatehouse.ingress.wireguard.WireGuardOutput}; the
 * socket, the thread and the clock belong to the caller. {@link
 * dev.gatehouse.ingress.wireguard.WireGuardKeys} reads, prints and generates keys as {@code
 * wg genkey} and {@code wg pubkey} do. Wire views live in {@code wire}, primitives in {@code
 * crypto}. The specification is the WireGuard whitepaper (Donenfeld), cited as §.
 */
package dev.gatehouse.ingress.wireguard;
