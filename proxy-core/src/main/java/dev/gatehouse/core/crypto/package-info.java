/**
 * Cryptographic key handling that more than one ingress needs: X25519 (RFC 7748) for
 * WireGuard's static and ephemeral keys and for IKEv2's Diffie-Hellman group 31 (RFC 8031).
 * The arithmetic is the JDK's; what lives here is the encoding, clamping and the refusals.
 */
package dev.gatehouse.core.crypto;
