package dev.gatehouse.ingress.wireguard.crypto;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * WireGuard's AEAD and XAEAD (whitepaper §5.4): ChaCha20-Poly1305 of RFC 8439 §2.8 through
 * the JDK, with the 96-bit nonce made of 32 zero bits and the 64-bit counter little-endian;
 * and XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03 §2.3), which the JDK lacks, as
 * ChaCha20-Poly1305 under the HChaCha20 subkey of the first 16 nonce bytes, with the nonce
 * 4 zero bytes followed by the last 8.
 *
 * <p>The static methods take and return arrays and make a fresh {@link Cipher} each call:
 * that is for the handshake and cookies, where a JDK cipher would refuse a second
 * encryption under the same key and nonce. An instance serves one transport direction of a
 * keypair without per-packet garbage beyond what the JDK does inside {@code init}.
 *
 * <p>An instance is not thread-safe: it is confined to the thread that owns its keypair.
 */
public final class ChaChaPoly {

  /** RFC 8439 §2.8: the Poly1305 tag is 16 bytes. */
  public static final int TAG_BYTES = 16;
  /** RFC 8439 §2.8: the key is 32 bytes. */
  public static final int KEY_BYTES = 32;
  /** RFC 8439 §2.8: the nonce is 96 bits. */
  public static final int NONCE_BYTES = 12;
  /** draft-irtf-cfrg-xchacha-03 §2.3: XChaCha20's nonce is 192 bits. */
  public static final int XNONCE_BYTES = 24;

  private static final String ALGORITHM = "ChaCha20-Poly1305";
  /** Whitepaper §5.4.6 pads to 16 bytes, so at most 15 zeros follow a plaintext. */
  private static final byte[] ZEROS = new byte[15];
  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0).asReadOnlyBuffer();

  private final Cipher cipher;
  private final SecretKeySpec key;
  private final byte[] nonce = new byte[NONCE_BYTES];

  /**
   * A transport cipher under {@code key32}, which is copied by the JDK's key spec; the
   * caller may zero its array afterwards.
   */
  public ChaChaPoly(byte[] key32) {
    this.key = new SecretKeySpec(checkKey(key32), "ChaCha20");
    this.cipher = newCipher();
  }

  /**
   * Encrypts {@code plaintext} (then {@code zeroPaddingBytes} zeros, whitepaper §5.4.6)
   * under {@code counter} into {@code out}: ciphertext and tag, {@code plaintext.remaining()
   * + zeroPaddingBytes + 16} bytes. Empty associated data, as transport messages have.
   */
  public void sealTransport(long counter, ByteBuffer plaintext, int zeroPaddingBytes,
      ByteBuffer out) {
    try {
      cipher.init(Cipher.ENCRYPT_MODE, key, nonceSpec(counter));
      cipher.update(plaintext, out);
      if (zeroPaddingBytes > 0) {
        cipher.update(ByteBuffer.wrap(ZEROS, 0, zeroPaddingBytes), out);
      }
      cipher.doFinal(EMPTY, out);
    } catch (GeneralSecurityException e) {
      // the key, nonce and buffer sizes are ours: a failure is a bug, not bad input
      throw new IllegalStateException("ChaCha20-Poly1305 encryption failed", e);
    }
  }

  /**
   * Decrypts {@code ciphertextAndTag} under {@code counter} into {@code out}; false when the
   * tag does not authenticate (nothing meaningful is then in {@code out}).
   */
  public boolean openTransport(long counter, ByteBuffer ciphertextAndTag, ByteBuffer out) {
    try {
      cipher.init(Cipher.DECRYPT_MODE, key, nonceSpec(counter));
      cipher.doFinal(ciphertextAndTag, out);
      return true;
    } catch (AEADBadTagException e) {
      return false;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("ChaCha20-Poly1305 decryption failed", e);
    }
  }

  /** {@code AEAD(key, counter, plaintext, ad)}: ciphertext ‖ tag. */
  public static byte[] seal(byte[] key, long counter, byte[] plaintext, byte[] ad) {
    return sealWithNonce(key, nonce(counter), plaintext, ad);
  }

  /** The plaintext of {@code AEAD(key, counter, ·, ad)}, or null if it does not authenticate. */
  public static byte[] open(byte[] key, long counter, byte[] ciphertextAndTag, byte[] ad) {
    return openWithNonce(key, nonce(counter), ciphertextAndTag, ad);
  }

  /** {@code XAEAD(key, nonce24, plaintext, ad)}: ciphertext ‖ tag. */
  public static byte[] xseal(byte[] key, byte[] nonce24, byte[] plaintext, byte[] ad) {
    byte[] subkey = HChaCha20.subkey(checkKey(key), checkXNonce(nonce24), 0);
    try {
      return sealWithNonce(subkey, xchachaNonce(nonce24), plaintext, ad);
    } finally {
      Arrays.fill(subkey, (byte) 0);
    }
  }

  /** The plaintext of {@code XAEAD(key, nonce24, ·, ad)}, or null if it does not authenticate. */
  public static byte[] xopen(byte[] key, byte[] nonce24, byte[] ciphertextAndTag, byte[] ad) {
    byte[] subkey = HChaCha20.subkey(checkKey(key), checkXNonce(nonce24), 0);
    try {
      return openWithNonce(subkey, xchachaNonce(nonce24), ciphertextAndTag, ad);
    } finally {
      Arrays.fill(subkey, (byte) 0);
    }
  }

  static byte[] sealWithNonce(byte[] key, byte[] nonce12, byte[] plaintext, byte[] ad) {
    try {
      Cipher c = newCipher();
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(checkKey(key), "ChaCha20"),
          new IvParameterSpec(nonce12));
      c.updateAAD(ad);
      return c.doFinal(plaintext);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("ChaCha20-Poly1305 encryption failed", e);
    }
  }

  static byte[] openWithNonce(byte[] key, byte[] nonce12, byte[] sealed, byte[] ad) {
    if (sealed.length < TAG_BYTES) {
      return null;
    }
    try {
      Cipher c = newCipher();
      c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(checkKey(key), "ChaCha20"),
          new IvParameterSpec(nonce12));
      c.updateAAD(ad);
      return c.doFinal(sealed);
    } catch (AEADBadTagException e) {
      return null;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("ChaCha20-Poly1305 decryption failed", e);
    }
  }

  // TODO(#5): the JDK takes the nonce only as an IvParameterSpec, which copies it: two
  // small objects per packet; measure before working around it
  private IvParameterSpec nonceSpec(long counter) {
    // whitepaper §5.4: 32 bits of zeros followed by the 64-bit little-endian counter
    for (int i = 0; i < 8; i++) {
      nonce[4 + i] = (byte) (counter >>> (8 * i));
    }
    return new IvParameterSpec(nonce);
  }

  private static byte[] nonce(long counter) {
    byte[] n = new byte[NONCE_BYTES];
    for (int i = 0; i < 8; i++) {
      n[4 + i] = (byte) (counter >>> (8 * i));
    }
    return n;
  }

  private static byte[] xchachaNonce(byte[] nonce24) {
    // draft-irtf-cfrg-xchacha-03 §2.3: 4 zero bytes, then the last 8 bytes of the 24
    byte[] n = new byte[NONCE_BYTES];
    System.arraycopy(nonce24, HChaCha20.NONCE_BYTES, n, 4, 8);
    return n;
  }

  private static Cipher newCipher() {
    try {
      return Cipher.getInstance(ALGORITHM);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no " + ALGORITHM + " cipher", e);
    }
  }

  private static byte[] checkKey(byte[] key) {
    if (key.length != KEY_BYTES) {
      throw new IllegalArgumentException("ChaCha20 key must be 32 bytes, got " + key.length);
    }
    return key;
  }

  private static byte[] checkXNonce(byte[] nonce24) {
    if (nonce24.length != XNONCE_BYTES) {
      throw new IllegalArgumentException("XChaCha20 nonce must be 24 bytes, got " + nonce24.length);
    }
    return nonce24;
  }
}
