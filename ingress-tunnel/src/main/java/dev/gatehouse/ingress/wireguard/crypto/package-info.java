/**
 * WireGuard's primitives (whitepaper §5.4): BLAKE2s HASH, MAC, HMAC and KDF over
 * BouncyCastle's digest; ChaCha20-Poly1305 through the JDK; XChaCha20-Poly1305 from the
 * JDK's cipher and our HChaCha20.
 */
package dev.gatehouse.ingress.wireguard.crypto;
