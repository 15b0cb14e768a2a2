package dev.gatehouse.ingress.wireguard;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.random.RandomGenerator;
import javax.crypto.KeyAgreement;

/**
 * Curve25519 keys as WireGuard uses them (whitepaper §5.4: DH is X25519 of RFC 7748), in
 * the raw 32-byte little-endian encoding of RFC 7748 §5 and the 44-character base64 of
 * {@code wg genkey} / {@code wg pubkey}. Computation goes through the JDK's X25519.
 *
 * <p>Messages of exceptions thrown here name lengths, never key bytes. Stateless and
 * thread-safe.
 */
public final class WireGuardKeys {

  /** RFC 7748 §5: X25519 scalars and u-coordinates are 32 bytes. */
  public static final int KEY_BYTES = 32;
  /** Base64 (RFC 4648 §4, padded) of 32 bytes: 44 characters. */
  public static final int BASE64_CHARS = 44;

  /** RFC 7748 §4.1: the base point's u-coordinate is 9. */
  private static final byte[] BASE_POINT = basePoint();

  private WireGuardKeys() {}

  /** A new private key: 32 random bytes, clamped (RFC 7748 §5) as {@code wg genkey} prints. */
  public static byte[] generatePrivateKey(RandomGenerator random) {
    byte[] key = new byte[KEY_BYTES];
    random.nextBytes(key);
    return clamp(key);
  }

  /**
   * Clamps a scalar in place and returns it: RFC 7748 §5 "decodeScalar25519" clears the three
   * low bits of byte 0 and the top bit of byte 31 and sets bit 254.
   */
  public static byte[] clamp(byte[] scalar) {
    checkLength(scalar, "private key");
    scalar[0] &= (byte) 248;
    scalar[31] &= 127;
    scalar[31] |= 64;
    return scalar;
  }

  /** The public key of {@code privateKey}: X25519(privateKey, 9). */
  public static byte[] publicKey(byte[] privateKey) {
    byte[] pub = dh(privateKey, BASE_POINT);
    if (pub == null) {
      throw new IllegalStateException("X25519 with the base point gave the zero point");
    }
    return pub;
  }

  /**
   * X25519(privateKey, publicKey), RFC 7748 §5; null when the result is all zeros (a public
   * key of small order, §6.1 "check ... not the all-zero value"), which the caller treats as
   * a failed handshake.
   */
  public static byte[] dh(byte[] privateKey, byte[] publicKey) {
    checkLength(privateKey, "private key");
    checkLength(publicKey, "public key");
    try {
      KeyFactory factory = KeyFactory.getInstance("XDH");
      PrivateKey priv = factory.generatePrivate(
          new XECPrivateKeySpec(NamedParameterSpec.X25519, privateKey.clone()));
      PublicKey pub = factory.generatePublic(
          new XECPublicKeySpec(NamedParameterSpec.X25519, uCoordinate(publicKey)));
      KeyAgreement agreement = KeyAgreement.getInstance("XDH");
      agreement.init(priv);
      agreement.doPhase(pub, true);
      byte[] shared = agreement.generateSecret();
      return isZero(shared) ? null : shared;
    } catch (GeneralSecurityException | IllegalStateException e) {
      // the JDK refuses a small-order point itself (an all-zero secret): same outcome
      return null;
    }
  }

  /** {@code wg genkey} / {@code wg pubkey} text of a 32-byte key. */
  public static String toBase64(byte[] key) {
    checkLength(key, "key");
    return Base64.getEncoder().encodeToString(key);
  }

  /**
   * The 32 bytes that {@code base64} (44 characters, as {@code wg} prints) encodes.
   *
   * @throws IllegalArgumentException naming what was wrong, never the text itself
   */
  public static byte[] fromBase64(String base64) {
    String text = base64.strip();
    if (text.length() != BASE64_CHARS) {
      throw new IllegalArgumentException("a WireGuard key is 44 base64 characters, got "
          + text.length());
    }
    byte[] key;
    try {
      key = Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("a WireGuard key must be base64 (RFC 4648 §4)", null);
    }
    if (key.length != KEY_BYTES) {
      throw new IllegalArgumentException("a WireGuard key decodes to 32 bytes, got " + key.length);
    }
    return key;
  }

  /** True if {@code a} and {@code b} are equal, in time independent of where they differ. */
  public static boolean constantTimeEquals(byte[] a, byte[] b) {
    return java.security.MessageDigest.isEqual(a, b);
  }

  private static BigInteger uCoordinate(byte[] littleEndian) {
    // RFC 7748 §5: u is little-endian, and the top bit of the last byte is masked off
    byte[] bigEndian = new byte[KEY_BYTES];
    for (int i = 0; i < KEY_BYTES; i++) {
      bigEndian[i] = littleEndian[KEY_BYTES - 1 - i];
    }
    bigEndian[0] &= 127;
    return new BigInteger(1, bigEndian);
  }

  private static boolean isZero(byte[] bytes) {
    int acc = 0;
    for (byte b : bytes) {
      acc |= b;
    }
    return acc == 0;
  }

  private static void checkLength(byte[] key, String what) {
    if (key.length != KEY_BYTES) {
      throw new IllegalArgumentException("a WireGuard " + what + " is 32 bytes, got " + key.length);
    }
  }

  private static byte[] basePoint() {
    byte[] u = new byte[KEY_BYTES];
    u[0] = 9;
    return u;
  }

  static void zero(byte[] secret) {
    if (secret != null) {
      Arrays.fill(secret, (byte) 0);
    }
  }
}
