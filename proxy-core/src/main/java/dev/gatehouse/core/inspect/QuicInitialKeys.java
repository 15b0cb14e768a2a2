package dev.gatehouse.core.inspect;

import dev.gatehouse.core.wire.QuicPackets;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The keys protecting a client's Initial packets, which anyone can derive from the
 * Destination Connection ID (RFC 9001 §5.2: Initial protection keeps off-path attackers,
 * not observers), and the two operations an observer needs: removing header protection and
 * opening the payload.
 *
 * <pre>
 *  RFC 9001 §5.2 and §5.1, RFC 9369 §3.3 for version 2's salt and labels:
 *  initial_secret        = HKDF-Extract(initial_salt, client_dst_connection_id)
 *  client_initial_secret = HKDF-Expand-Label(initial_secret, "client in", "", 32)
 *  key = HKDF-Expand-Label(client_initial_secret, "quic key", "", 16)   AEAD_AES_128_GCM
 *  iv  = HKDF-Expand-Label(client_initial_secret, "quic iv",  "", 12)
 *  hp  = HKDF-Expand-Label(client_initial_secret, "quic hp",  "", 16)   AES-128 (§5.4.3)
 * </pre>
 *
 * <p>Not thread-safe: it owns a Cipher, and belongs to one flow's inspector.
 */
final class QuicInitialKeys {
  /** RFC 9001 §5.2. */
  private static final byte[] INITIAL_SALT_V1 =
      HexFormat.of().parseHex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a");
  /** RFC 9369 §3.3.1. */
  private static final byte[] INITIAL_SALT_V2 =
      HexFormat.of().parseHex("0dede3def700a6db819381be6e269dcbf9bd2ed9");
  /** RFC 8446 §7.1: every HKDF label starts with this. */
  private static final String TLS13_LABEL_PREFIX = "tls13 ";
  private static final String CLIENT_IN = "client in";
  private static final String[] LABELS_V1 = {"quic key", "quic iv", "quic hp"};
  /** RFC 9369 §3.3.2. */
  private static final String[] LABELS_V2 = {"quicv2 key", "quicv2 iv", "quicv2 hp"};

  /** SHA-256's output, the Hash.length of TLS_AES_128_GCM_SHA256 (RFC 9001 §5.2). */
  static final int SECRET_BYTES = 32;
  static final int KEY_BYTES = 16;
  /** RFC 9001 §5.3: the AEAD nonce is as long as the IV, 12 bytes for AES-GCM. */
  static final int IV_BYTES = 12;
  static final int HP_KEY_BYTES = 16;
  /** RFC 9001 §5.3: AEAD_AES_128_GCM expands the payload by a 16-byte tag. */
  static final int TAG_BYTES = 16;
  /** RFC 9001 §5.4.2: the header protection sample is 16 bytes for AES. */
  static final int SAMPLE_BYTES = 16;
  private static final int TAG_BITS = TAG_BYTES * 8;

  /** What RFC 9001 Appendix A and RFC 9369 Appendix A list, for the tests to compare. */
  record Secrets(byte[] clientInitialSecret, byte[] key, byte[] iv, byte[] hp) {}

  private final byte[] dcid;
  private final SecretKeySpec key;
  private final byte[] iv;
  private final Cipher headerProtection;

  private QuicInitialKeys(byte[] dcid, Secrets secrets) throws GeneralSecurityException {
    this.dcid = dcid;
    this.key = new SecretKeySpec(secrets.key(), "AES");
    this.iv = secrets.iv();
    this.headerProtection = Cipher.getInstance("AES/ECB/NoPadding");
    headerProtection.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(secrets.hp(), "AES"));
  }

  /**
   * The client's Initial keys for {@code version} (1 or 2) and the Destination Connection
   * ID in {@code bytes[from, from + length)}.
   */
  static QuicInitialKeys derive(Mac hmac, int version, byte[] bytes, int from, int length) {
    byte[] dcid = Arrays.copyOfRange(bytes, from, from + length);
    try {
      return new QuicInitialKeys(dcid, secrets(hmac, version, dcid));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK refused AES-128 with a 16-byte key", e);
    }
  }

  /** RFC 9001 §5.2: the client's Initial secrets for {@code version} and {@code dcid}. */
  static Secrets secrets(Mac hmac, int version, byte[] dcid) {
    boolean v2 = version == QuicPackets.QUIC_V2;
    String[] labels = v2 ? LABELS_V2 : LABELS_V1;
    byte[] initialSecret = hmac(hmac, v2 ? INITIAL_SALT_V2 : INITIAL_SALT_V1, dcid);
    byte[] clientSecret = expandLabel(hmac, initialSecret, CLIENT_IN, SECRET_BYTES);
    return new Secrets(clientSecret,
        expandLabel(hmac, clientSecret, labels[0], KEY_BYTES),
        expandLabel(hmac, clientSecret, labels[1], IV_BYTES),
        expandLabel(hmac, clientSecret, labels[2], HP_KEY_BYTES));
  }

  /** An HMAC-SHA256 for {@link #secrets}; one per flow, since a Mac holds state. */
  static Mac newHmac() {
    try {
      return Mac.getInstance("HmacSHA256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no HmacSHA256", e);
    }
  }

  /** An AES-GCM cipher for {@link #open}; one per flow. */
  static Cipher newAead() {
    try {
      return Cipher.getInstance("AES/GCM/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no AES/GCM/NoPadding", e);
    }
  }

  /**
   * RFC 8446 §7.1, HKDF-Expand-Label with an empty context, over RFC 5869 §2.3's
   * HKDF-Expand; {@code length} is at most one SHA-256 block here, so T(1) is the output.
   *
   * <pre>
   *  HkdfLabel: uint16 length | opaque label&lt;7..255&gt; = "tls13 " + Label
   *             | opaque context&lt;0..255&gt; (empty here)
   *  T(1) = HMAC-Hash(PRK, HkdfLabel | 0x01)
   * </pre>
   */
  static byte[] expandLabel(Mac hmac, byte[] secret, String label, int length) {
    byte[] fullLabel = (TLS13_LABEL_PREFIX + label).getBytes(StandardCharsets.US_ASCII);
    byte[] info = new byte[2 + 1 + fullLabel.length + 1 + 1];
    info[0] = (byte) (length >> 8);
    info[1] = (byte) length;
    info[2] = (byte) fullLabel.length;
    System.arraycopy(fullLabel, 0, info, 3, fullLabel.length);
    info[3 + fullLabel.length] = 0;
    info[info.length - 1] = 1;
    return Arrays.copyOf(hmac(hmac, secret, info), length);
  }

  /** HMAC-SHA256; RFC 5869 §2.2's HKDF-Extract is HMAC(salt, IKM). */
  private static byte[] hmac(Mac hmac, byte[] keyBytes, byte[] message) {
    try {
      hmac.init(new SecretKeySpec(keyBytes, "HmacSHA256"));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 refused a " + keyBytes.length + "-byte key", e);
    }
    return hmac.doFinal(message);
  }

  /** Whether these keys come from the connection ID in {@code bytes[from, from + length)}. */
  boolean isFor(byte[] bytes, int from, int length) {
    return Arrays.equals(dcid, 0, dcid.length, bytes, from, from + length);
  }

  /**
   * RFC 9001 §5.4.3: the header protection mask for the 16-byte sample at
   * {@code bytes[sampleAt]}, written to {@code mask} (16 bytes).
   */
  void headerMask(byte[] bytes, int sampleAt, byte[] mask) {
    try {
      headerProtection.doFinal(bytes, sampleAt, SAMPLE_BYTES, mask, 0);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-ECB refused one 16-byte block", e);
    }
  }

  /**
   * Opens the payload {@code bytes[payloadAt, end)} of packet {@code packetNumber} whose
   * unprotected header is {@code bytes[headerAt, payloadAt)} (RFC 9001 §5.3: the nonce is
   * the IV XORed with the packet number, the associated data the header), into
   * {@code plaintext}.
   *
   * @return the plaintext's length, or -1 when the packet does not authenticate
   */
  int open(Cipher aead, long packetNumber, byte[] bytes, int headerAt, int payloadAt, int end,
      byte[] plaintext) {
    byte[] nonce = iv.clone();
    for (int i = 0; i < Long.BYTES; i++) {
      nonce[IV_BYTES - 1 - i] ^= (byte) (packetNumber >>> (8 * i));
    }
    try {
      aead.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      aead.updateAAD(bytes, headerAt, payloadAt - headerAt);
      return aead.doFinal(bytes, payloadAt, end - payloadAt, plaintext, 0);
    } catch (AEADBadTagException e) {
      return -1;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM refused a 16-byte key or 12-byte nonce", e);
    }
  }
}
