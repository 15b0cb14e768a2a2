package dev.gatehouse.core.crypto;

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
 * X25519 keys (RFC 7748) in their raw 32-byte little-endian encoding (§5), and in the
 * 44-character padded base64 (RFC 4648 §4) that {@code wg genkey} and {@code wg pubkey}
 * print. The scalar multiplication is the JDK's {@code XDH}.
 *
 * <p>Nothing thrown here carries key bytes or key text: messages name lengths and forms.
 * Stateless and thread-safe.
 */
public final class X25519Keys {

  /** RFC 7748 §5: X25519 scalars and u-coordinates are 32 bytes. */
  public static final int KEY_BYTES = 32;
  /** Padded base64 of 32 bytes: 43 characters of data and one '='. */
  public static final int BASE64_CHARS = 44;

  /** RFC 7748 §4.1: the base point's u-coordinate is 9. */
  private static final byte[] BASE_POINT = basePoint();

  private X25519Keys() {}

  /** A new private key: 32 bytes from {@code random}, clamped (RFC 7748 §5). */
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

  /**
   * The public key of {@code privateKey}: X25519(privateKey, 9). An unclamped key gives the
   * same public key as its clamped form, since X25519 clamps the scalar it is given.
   */
  public static byte[] publicKey(byte[] privateKey) {
    byte[] pub = dh(privateKey, BASE_POINT);
    if (pub == null) {
      throw new IllegalStateException("X25519 with the base point gave the zero point");
    }
    return pub;
  }

  /**
   * X25519(privateKey, publicKey), RFC 7748 §5; null when the result is all zeros, which a
   * public key of small order gives. RFC 7748 §6.1 and RFC 8031 §2.2 have the caller check
   * for it and abort, so null is the one answer the caller cannot overlook.
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

  /** The 44 characters of padded base64 for a 32-byte key, as {@code wg} prints keys. */
  public static String toBase64(byte[] key) {
    checkLength(key, "key");
    return Base64.getEncoder().encodeToString(key);
  }

  /**
   * The 32 bytes that {@code text} encodes: 44 characters of padded standard base64, with
   * whitespace around them ignored (a file written by {@code wg genkey > key} ends in a
   * newline). Only the one canonical spelling of a key is taken, the one {@link #toBase64}
   * gives, so that a key never has two spellings.
   *
   * @throws IllegalArgumentException saying what is wrong with the text's form (its length,
   *     that it is not base64, what it decodes to), never what the text is
   */
  public static byte[] fromBase64(String text) {
    String key = text.strip();
    if (key.length() != BASE64_CHARS) {
      throw new IllegalArgumentException("expected a key of " + BASE64_CHARS + " base64 characters, got "
          + (key.isEmpty() ? "nothing" : key.length() + " characters"));
    }
    byte[] decoded;
    try {
      decoded = Base64.getDecoder().decode(key);
    } catch (IllegalArgumentException e) {
      // the JDK's message quotes the offending character: not repeated here
      throw new IllegalArgumentException("expected a key in base64 (RFC 4648 §4), got text that is not base64",
          null);
    }
    if (decoded.length != KEY_BYTES) {
      zero(decoded);
      throw new IllegalArgumentException("expected a key of " + KEY_BYTES + " bytes, got base64 of "
          + decoded.length + " bytes");
    }
    if (!Base64.getEncoder().encodeToString(decoded).equals(key)) {
      zero(decoded);
      throw new IllegalArgumentException("expected a key in base64 as wg spells it (bits past the "
          + KEY_BYTES + " bytes clear), got another spelling");
    }
    return decoded;
  }

  /** Overwrites a secret with zeros; null is ignored, so that cleanup paths need no checks. */
  public static void zero(byte[] secret) {
    if (secret != null) {
      Arrays.fill(secret, (byte) 0);
    }
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
      throw new IllegalArgumentException("an X25519 " + what + " is 32 bytes, got " + key.length);
    }
  }

  private static byte[] basePoint() {
    byte[] u = new byte[KEY_BYTES];
    u[0] = 9;
    return u;
  }
}
