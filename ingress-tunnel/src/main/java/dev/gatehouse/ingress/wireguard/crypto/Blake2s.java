package dev.gatehouse.ingress.wireguard.crypto;

import java.util.Arrays;
import org.bouncycastle.crypto.digests.Blake2sDigest;

/**
 * WireGuard's hash functions, all BLAKE2s (RFC 7693), as the whitepaper §5.4 names them:
 *
 * <ul>
 *   <li>{@code HASH(input)}: BLAKE2s-256, unkeyed;
 *   <li>{@code MAC(key, input)}: keyed BLAKE2s with a 16-byte digest (RFC 7693 §2.5: the key
 *       is a parameter of the hash, not HMAC);
 *   <li>{@code HMAC(key, input)}: RFC 2104 HMAC over BLAKE2s-256 (block 64 bytes);
 *   <li>{@code KDF1/2/3(key, input)}: HKDF (RFC 5869) with that HMAC, the extract step giving
 *       τ0 and each expand step τi = HMAC(τ0, τ(i−1) ‖ i).
 * </ul>
 *
 * <p>Used by the handshake, never per transport packet: results are fresh arrays. Stateless
 * and thread-safe.
 */
public final class Blake2s {

  /** BLAKE2s-256's digest: the length of every HASH, HMAC and KDF output. */
  public static final int HASH_BYTES = 32;
  /** Whitepaper §5.4: MAC is keyed BLAKE2s truncated by its parameter block to 16 bytes. */
  public static final int MAC_BYTES = 16;
  /** RFC 7693 §2.1: BLAKE2s works on 64-byte blocks, which HMAC pads its key to. */
  static final int BLOCK_BYTES = 64;

  private static final byte IPAD = 0x36;
  private static final byte OPAD = 0x5c;

  private Blake2s() {}

  /** {@code HASH(a ‖ b ‖ ...)}. */
  public static byte[] hash(byte[]... parts) {
    Blake2sDigest digest = new Blake2sDigest(HASH_BYTES * 8);
    for (byte[] part : parts) {
      digest.update(part, 0, part.length);
    }
    byte[] out = new byte[HASH_BYTES];
    digest.doFinal(out, 0);
    return out;
  }

  /** {@code MAC(key, input[offset, offset + length))}: 16 bytes. */
  public static byte[] mac(byte[] key, byte[] input, int offset, int length) {
    Blake2sDigest digest = new Blake2sDigest(key, MAC_BYTES, null, null);
    digest.update(input, offset, length);
    byte[] out = new byte[MAC_BYTES];
    digest.doFinal(out, 0);
    return out;
  }

  /** {@code HMAC(key, a ‖ b ‖ ...)} per RFC 2104 over BLAKE2s-256; keys are at most 64 bytes. */
  public static byte[] hmac(byte[] key, byte[]... parts) {
    if (key.length > BLOCK_BYTES) {
      throw new IllegalArgumentException("HMAC keys here are at most 64 bytes, got " + key.length);
    }
    byte[] pad = Arrays.copyOf(key, BLOCK_BYTES);
    for (int i = 0; i < pad.length; i++) {
      pad[i] ^= IPAD;
    }
    Blake2sDigest inner = new Blake2sDigest(HASH_BYTES * 8);
    inner.update(pad, 0, pad.length);
    for (byte[] part : parts) {
      inner.update(part, 0, part.length);
    }
    byte[] innerHash = new byte[HASH_BYTES];
    inner.doFinal(innerHash, 0);

    for (int i = 0; i < pad.length; i++) {
      pad[i] ^= IPAD ^ OPAD;
    }
    Blake2sDigest outer = new Blake2sDigest(HASH_BYTES * 8);
    outer.update(pad, 0, pad.length);
    outer.update(innerHash, 0, innerHash.length);
    byte[] out = new byte[HASH_BYTES];
    outer.doFinal(out, 0);
    Arrays.fill(pad, (byte) 0);
    Arrays.fill(innerHash, (byte) 0);
    return out;
  }

  /** {@code KDF1(key, input)}: τ1. */
  public static byte[] kdf1(byte[] key, byte[] input) {
    return kdf(key, input, 1)[0];
  }

  /** {@code KDF2(key, input)}: τ1, τ2. */
  public static byte[][] kdf2(byte[] key, byte[] input) {
    return kdf(key, input, 2);
  }

  /** {@code KDF3(key, input)}: τ1, τ2, τ3. */
  public static byte[][] kdf3(byte[] key, byte[] input) {
    return kdf(key, input, 3);
  }

  private static byte[][] kdf(byte[] key, byte[] input, int outputs) {
    // whitepaper §5.4: τ0 = HMAC(key, input); τi = HMAC(τ0, τ(i-1) ‖ i), τ(0) empty for i = 1
    byte[] prk = hmac(key, input);
    byte[][] out = new byte[outputs][];
    byte[] previous = new byte[0];
    for (int i = 0; i < outputs; i++) {
      out[i] = hmac(prk, previous, new byte[] {(byte) (i + 1)});
      previous = out[i];
    }
    Arrays.fill(prk, (byte) 0);
    return out;
  }
}
