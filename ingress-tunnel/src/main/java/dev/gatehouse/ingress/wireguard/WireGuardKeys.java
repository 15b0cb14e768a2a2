package dev.gatehouse.ingress.wireguard;

import dev.gatehouse.core.crypto.X25519Keys;
import java.util.random.RandomGenerator;

/**
 * Curve25519 keys as WireGuard uses them: the whitepaper's DH (§5.4) is X25519 of RFC 7748,
 * and keys are written in the 44-character base64 of {@code wg genkey} / {@code wg pubkey}.
 * The curve itself is {@link X25519Keys}'s, shared with IKEv2's group 31; this class is the
 * protocol engine's name for it, plus what only the handshake needs.
 *
 * <p>Messages of exceptions thrown here name lengths, never key bytes. Stateless and
 * thread-safe.
 */
public final class WireGuardKeys {

  /** Whitepaper §5.4: public, private and preshared keys are all 32 bytes. */
  public static final int KEY_BYTES = X25519Keys.KEY_BYTES;
  /** Base64 (RFC 4648 §4, padded) of 32 bytes: 44 characters. */
  public static final int BASE64_CHARS = X25519Keys.BASE64_CHARS;

  private WireGuardKeys() {}

  /** A new private key, clamped, as {@code wg genkey} makes one; see {@link X25519Keys#generatePrivateKey}. */
  public static byte[] generatePrivateKey(RandomGenerator random) {
    return X25519Keys.generatePrivateKey(random);
  }

  /** The public key of {@code privateKey}: X25519(privateKey, 9). */
  public static byte[] publicKey(byte[] privateKey) {
    return X25519Keys.publicKey(privateKey);
  }

  /**
   * The whitepaper's DH(private, public); null when the result is all zeros (a public key of
   * small order), which the handshake treats as a failed one.
   */
  public static byte[] dh(byte[] privateKey, byte[] publicKey) {
    return X25519Keys.dh(privateKey, publicKey);
  }

  /** {@code wg genkey} / {@code wg pubkey} text of a 32-byte key. */
  public static String toBase64(byte[] key) {
    return X25519Keys.toBase64(key);
  }

  /**
   * The 32 bytes that {@code base64} (44 characters, as {@code wg} prints) encodes.
   *
   * @throws IllegalArgumentException naming what was wrong, never the text itself
   */
  public static byte[] fromBase64(String base64) {
    return X25519Keys.fromBase64(base64);
  }

  /** True if {@code a} and {@code b} are equal, in time independent of where they differ. */
  public static boolean constantTimeEquals(byte[] a, byte[] b) {
    return java.security.MessageDigest.isEqual(a, b);
  }

  static void zero(byte[] secret) {
    X25519Keys.zero(secret);
  }
}
