package dev.gatehouse.ingress.wireguard.crypto;

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
 * keypair in place on an array, with one {@link Cipher} and one reused nonce spec: it
 * allocates nothing itself per packet.
 *
 * <p><b>What the JDK allocates per packet.</b> A JDK {@code Cipher} takes a new nonce only
 * through {@code init}, and ChaCha20-Poly1305 needs a new nonce for every packet. In JDK 25,
 * {@code init} copies the key ({@code Key.getEncoded}), builds a new AEAD engine and a new
 * Poly1305 instance from a freshly generated 1 KiB key-stream block, and {@code doFinal}
 * makes the tag in a new array: about 2.1 KB per packet measured on JDK 25.0.3 (the
 * allocation test of the transport path, {@code TransportAllocationTest}, measures it on
 * every run and holds our own code to nothing beyond it). The array methods here avoid what
 * the JDK adds for direct {@code ByteBuffer}s (a copy of the whole packet into a new array,
 * both ways). TODO(#5): the JDK's own per-{@code init} garbage can only go with a cipher
 * that takes a nonce without re-initialising, which the JDK's API does not offer.
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

  private final Cipher cipher;
  private final SecretKeySpec key;
  private final TransportNonce nonce = new TransportNonce();

  /**
   * A transport cipher under {@code key32}, which is copied by the JDK's key spec; the
   * caller may zero its array afterwards.
   */
  public ChaChaPoly(byte[] key32) {
    this.key = new SecretKeySpec(checkKey(key32), "ChaCha20");
    this.cipher = newCipher();
  }

  /**
   * Encrypts {@code buf[offset, offset + length)} in place under {@code counter} and writes
   * the 16-byte tag after it, at {@code offset + length}: the array needs that room. Empty
   * associated data, as transport messages have; padding (whitepaper §5.4.6) is the
   * caller's zeros inside {@code length}.
   */
  public void sealInPlace(long counter, byte[] buf, int offset, int length) {
    try {
      cipher.init(Cipher.ENCRYPT_MODE, key, nonce.of(counter));
      // same array, same offset: the JDK transforms in place without a temporary copy
      cipher.doFinal(buf, offset, length, buf, offset);
    } catch (GeneralSecurityException e) {
      // the key, nonce and buffer sizes are ours: a failure is a bug, not bad input
      throw new IllegalStateException("ChaCha20-Poly1305 encryption failed", e);
    }
  }

  /**
   * Decrypts {@code buf[offset, offset + length)}, ciphertext then tag, in place under
   * {@code counter}: the plaintext, {@code length - 16} bytes, is left at {@code offset}.
   * False when the tag does not authenticate; the JDK checks the tag before it decrypts, so
   * the array is then unchanged.
   */
  public boolean openInPlace(long counter, byte[] buf, int offset, int length) {
    if (length < TAG_BYTES) {
      return false;
    }
    try {
      cipher.init(Cipher.DECRYPT_MODE, key, nonce.of(counter));
      cipher.doFinal(buf, offset, length, buf, offset);
      return true;
    } catch (AEADBadTagException e) {
      return false;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("ChaCha20-Poly1305 decryption failed", e);
    }
  }

  /**
   * The nonce of whitepaper §5.4 (32 zero bits, then the 64-bit counter little-endian) as
   * one reusable spec, so that re-initialising the cipher per packet costs no spec object.
   *
   * <p>{@link IvParameterSpec#getIV} promises a new array per call; this one instead hands
   * out two arrays in turn, written just before. That is safe with the one caller it has,
   * this instance's own {@link Cipher}: the JDK's ChaCha20-Poly1305 reads the nonce in
   * {@code init} and keeps the array only to refuse the next {@code init} with the same key
   * and nonce. That guard still works, because the array it kept is not the one written
   * next (a test repeats a counter and sees the refusal).
   */
  private static final class TransportNonce extends IvParameterSpec {
    private final byte[][] arrays = {new byte[NONCE_BYTES], new byte[NONCE_BYTES]};
    private int turn;
    private long counter;

    TransportNonce() {
      super(new byte[NONCE_BYTES]);
    }

    TransportNonce of(long nextCounter) {
      counter = nextCounter;
      return this;
    }

    @Override
    public byte[] getIV() {
      turn ^= 1;
      byte[] nonce = arrays[turn];
      for (int i = 0; i < 8; i++) {
        nonce[4 + i] = (byte) (counter >>> (8 * i));
      }
      return nonce;
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
