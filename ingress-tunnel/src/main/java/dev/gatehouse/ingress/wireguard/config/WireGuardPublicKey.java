package dev.gatehouse.ingress.wireguard.config;

import dev.gatehouse.core.crypto.X25519Keys;
import java.util.Arrays;
import java.util.Optional;

/**
 * A peer's static public key: 32 bytes (a Curve25519 point, whitepaper §5.4), written in
 * configuration files as 44 characters of padded base64, as {@code wg pubkey} prints it.
 * Not a secret, so it prints as that base64 text.
 */
public final class WireGuardPublicKey {
  /** Curve25519 public and private keys and the preshared key are all 32 bytes (§5.4). */
  public static final int KEY_BYTES = X25519Keys.KEY_BYTES;
  /** Padded base64 of 32 bytes: 43 characters of data and one '='. */
  public static final int BASE64_CHARS = X25519Keys.BASE64_CHARS;

  private final byte[] bytes;

  private WireGuardPublicKey(byte[] bytes) {
    this.bytes = bytes;
  }

  /** A key from its 32 bytes; the array is copied. */
  public static WireGuardPublicKey of(byte[] bytes) {
    if (bytes.length != KEY_BYTES) {
      throw new IllegalArgumentException("a public key is " + KEY_BYTES + " bytes, got " + bytes.length);
    }
    return new WireGuardPublicKey(bytes.clone());
  }

  /**
   * Decodes a key as {@code wg} writes one: exactly 44 characters of padded standard base64
   * that decode to 32 bytes, in the one canonical spelling (so that two spellings of a key
   * can never pass as two peers).
   *
   * @return the 32 bytes, or empty for anything else
   */
  public static Optional<byte[]> decodeBase64(String text) {
    if (text.length() != BASE64_CHARS) {
      return Optional.empty(); // exactly 44: X25519Keys would also take surrounding whitespace
    }
    try {
      return Optional.of(X25519Keys.fromBase64(text));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** A copy of the key's 32 bytes. */
  public byte[] bytes() {
    return bytes.clone();
  }

  public String toBase64() {
    return X25519Keys.toBase64(bytes);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof WireGuardPublicKey key && Arrays.equals(bytes, key.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return toBase64();
  }
}
