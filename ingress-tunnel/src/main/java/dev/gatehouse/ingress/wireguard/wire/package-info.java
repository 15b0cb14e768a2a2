/**
 * Allocation-free views of WireGuard's four messages over {@code ByteBuf} (whitepaper
 * §5.4.2–§5.4.7). A wrong type, length or reserved byte is a {@link
 * dev.gatehouse.ingress.wireguard.wire.WireCheck}, never an exception.
 */
package dev.gatehouse.ingress.wireguard.wire;
