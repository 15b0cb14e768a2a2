package dev.gatehouse.ingress.wireguard.crypto;

/**
 * HChaCha20 (draft-irtf-cfrg-xchacha-03 §2.2): a 256-bit key and a 128-bit nonce in, a
 * 256-bit subkey out. It runs the ChaCha20 block function of RFC 8439 §2.3 without the
 * final addition of the input state and keeps words 0–3 and 12–15. XChaCha20 needs it
 * because the JDK offers ChaCha20 with 96-bit nonces only.
 *
 * <pre>
 *  state (RFC 8439 §2.3, the block counter and nonce words replaced by the 128-bit nonce):
 *  cccccccc  cccccccc  cccccccc  cccccccc     c: "expand 32-byte k"
 *  kkkkkkkk  kkkkkkkk  kkkkkkkk  kkkkkkkk     k: key, little-endian words
 *  kkkkkkkk  kkkkkkkk  kkkkkkkk  kkkkkkkk
 *  nnnnnnnn  nnnnnnnn  nnnnnnnn  nnnnnnnn     n: nonce, little-endian words
 * </pre>
 */
public final class HChaCha20 {

  /** The subkey is 32 bytes. */
  public static final int SUBKEY_BYTES = 32;
  /** The nonce HChaCha20 takes: the first 16 bytes of XChaCha20's 24-byte nonce. */
  public static final int NONCE_BYTES = 16;

  // RFC 8439 §2.3: the constants "expa", "nd 3", "2-by", "te k" as little-endian words.
  private static final int[] SIGMA = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
  private static final int DOUBLE_ROUNDS = 10;

  private HChaCha20() {}

  /** The subkey for {@code key} (32 bytes) and {@code nonce[nonceOffset, +16)}. */
  public static byte[] subkey(byte[] key, byte[] nonce, int nonceOffset) {
    if (key.length != 32) {
      throw new IllegalArgumentException("HChaCha20 key must be 32 bytes, got " + key.length);
    }
    int[] x = new int[16];
    System.arraycopy(SIGMA, 0, x, 0, 4);
    for (int i = 0; i < 8; i++) {
      x[4 + i] = littleEndianInt(key, 4 * i);
    }
    for (int i = 0; i < 4; i++) {
      x[12 + i] = littleEndianInt(nonce, nonceOffset + 4 * i);
    }

    for (int i = 0; i < DOUBLE_ROUNDS; i++) {
      // RFC 8439 §2.3: a column round, then a diagonal round
      quarterRound(x, 0, 4, 8, 12);
      quarterRound(x, 1, 5, 9, 13);
      quarterRound(x, 2, 6, 10, 14);
      quarterRound(x, 3, 7, 11, 15);
      quarterRound(x, 0, 5, 10, 15);
      quarterRound(x, 1, 6, 11, 12);
      quarterRound(x, 2, 7, 8, 13);
      quarterRound(x, 3, 4, 9, 14);
    }

    // draft-irtf-cfrg-xchacha-03 §2.2: no feed-forward; words 0..3 then 12..15
    byte[] out = new byte[SUBKEY_BYTES];
    for (int i = 0; i < 4; i++) {
      putLittleEndianInt(out, 4 * i, x[i]);
      putLittleEndianInt(out, 16 + 4 * i, x[12 + i]);
    }
    java.util.Arrays.fill(x, 0);
    return out;
  }

  // RFC 8439 §2.1
  private static void quarterRound(int[] x, int a, int b, int c, int d) {
    x[a] += x[b];
    x[d] = Integer.rotateLeft(x[d] ^ x[a], 16);
    x[c] += x[d];
    x[b] = Integer.rotateLeft(x[b] ^ x[c], 12);
    x[a] += x[b];
    x[d] = Integer.rotateLeft(x[d] ^ x[a], 8);
    x[c] += x[d];
    x[b] = Integer.rotateLeft(x[b] ^ x[c], 7);
  }

  private static int littleEndianInt(byte[] b, int i) {
    return (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8 | (b[i + 2] & 0xFF) << 16 | (b[i + 3] & 0xFF) << 24;
  }

  private static void putLittleEndianInt(byte[] b, int i, int v) {
    b[i] = (byte) v;
    b[i + 1] = (byte) (v >>> 8);
    b[i + 2] = (byte) (v >>> 16);
    b[i + 3] = (byte) (v >>> 24);
  }
}
