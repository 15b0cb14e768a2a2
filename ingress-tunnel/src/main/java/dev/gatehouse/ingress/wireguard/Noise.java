package dev.gatehouse.ingress.wireguard;

import static dev.gatehouse.ingress.wireguard.crypto.Blake2s.hash;
import static dev.gatehouse.ingress.wireguard.crypto.Blake2s.kdf1;
import static dev.gatehouse.ingress.wireguard.crypto.Blake2s.kdf2;
import static dev.gatehouse.ingress.wireguard.crypto.Blake2s.kdf3;

import dev.gatehouse.ingress.wireguard.crypto.ChaChaPoly;
import dev.gatehouse.ingress.wireguard.wire.HandshakeInitiation;
import dev.gatehouse.ingress.wireguard.wire.HandshakeResponse;
import java.util.Arrays;

/**
 * The Noise_IKpsk2 steps of WireGuard's handshake (whitepaper §5.4.2, §5.4.3, §5.4.5), on
 * a chaining key and hash that each step copies before changing, so that a message that
 * fails half-way leaves the caller's state as it was. Message bytes are plain arrays: a
 * handshake is rare next to transport packets and copies 148 bytes at most.
 *
 * <p>Names follow the whitepaper: {@code c} the chaining key, {@code h} the hash, {@code
 * k} an AEAD key, {@code τ} (tau) the PSK's mixed output; subscripts i and r the initiator
 * and the responder.
 */
final class Noise {

  /** §5.4.2: Ci = HASH(CONSTRUCTION). */
  static final byte[] INITIAL_CHAINING_KEY = hash(WireGuardProtocol.CONSTRUCTION);
  /** §5.4.2: Hi = HASH(Ci ‖ IDENTIFIER), before the responder's static key is mixed in. */
  static final byte[] INITIAL_HASH = hash(INITIAL_CHAINING_KEY, WireGuardProtocol.IDENTIFIER);

  static final int TIMESTAMP_BYTES = 12;
  private static final byte[] EMPTY = new byte[0];

  /** The running chaining key and hash of one side of one handshake. */
  static final class State {
    byte[] chainingKey;
    byte[] hash;

    State(byte[] chainingKey, byte[] hash) {
      this.chainingKey = chainingKey;
      this.hash = hash;
    }

    State copy() {
      return new State(chainingKey.clone(), hash.clone());
    }

    void mixHash(byte[] data) {
      hash = hash(hash, data);
    }

    void mixKey(byte[] input) {
      chainingKey = kdf1(chainingKey, input);
    }

    /** (c, k) = KDF2(c, input): returns k. */
    byte[] mixKeyAndTakeKey(byte[] input) {
      byte[][] out = kdf2(chainingKey, input);
      chainingKey = out[0];
      return out[1];
    }

    void wipe() {
      WireGuardKeys.zero(chainingKey);
      WireGuardKeys.zero(hash);
    }
  }

  /** The state both sides start from for a responder whose static public key is given. */
  static State start(byte[] responderStaticPublic) {
    return new State(INITIAL_CHAINING_KEY.clone(), hash(INITIAL_HASH, responderStaticPublic));
  }

  /**
   * Initiator, §5.4.2: writes ephemeral, encrypted static and encrypted timestamp into
   * {@code msg} (an initiation, macs not yet written) and advances {@code s}. False if a DH
   * result was zero.
   */
  static boolean writeInitiation(State s, byte[] msg, byte[] ephemeralPrivate,
      byte[] ephemeralPublic, byte[] staticPrivate, byte[] staticPublic, byte[] responderPublic,
      byte[] staticStatic, byte[] timestamp) {
    // Ci = KDF1(Ci, Ei_pub); Hi = HASH(Hi ‖ msg.ephemeral)
    s.mixKey(ephemeralPublic);
    System.arraycopy(ephemeralPublic, 0, msg, HandshakeInitiation.EPHEMERAL_OFFSET, 32);
    s.mixHash(ephemeralPublic);

    // (Ci, κ) = KDF2(Ci, DH(Ei_priv, Sr_pub)); msg.static = AEAD(κ, 0, Si_pub, Hi)
    byte[] es = WireGuardKeys.dh(ephemeralPrivate, responderPublic);
    if (es == null || staticStatic == null) {
      return false;
    }
    byte[] k = s.mixKeyAndTakeKey(es);
    byte[] encryptedStatic = ChaChaPoly.seal(k, 0, staticPublic, s.hash);
    System.arraycopy(encryptedStatic, 0, msg, HandshakeInitiation.STATIC_OFFSET,
        HandshakeInitiation.ENCRYPTED_STATIC_BYTES);
    s.mixHash(encryptedStatic);

    // (Ci, κ) = KDF2(Ci, DH(Si_priv, Sr_pub)); msg.timestamp = AEAD(κ, 0, TAI64N(), Hi)
    k = s.mixKeyAndTakeKey(staticStatic);
    byte[] encryptedTimestamp = ChaChaPoly.seal(k, 0, timestamp, s.hash);
    System.arraycopy(encryptedTimestamp, 0, msg, HandshakeInitiation.TIMESTAMP_OFFSET,
        HandshakeInitiation.ENCRYPTED_TIMESTAMP_BYTES);
    s.mixHash(encryptedTimestamp);
    WireGuardKeys.zero(es);
    WireGuardKeys.zero(k);
    return true;
  }

  /** Responder, §5.4.2, first half: the initiator's static key, or null if it fails. */
  static byte[] readInitiationStatic(State s, byte[] msg, byte[] staticPrivate) {
    byte[] ephemeral = Arrays.copyOfRange(msg, HandshakeInitiation.EPHEMERAL_OFFSET,
        HandshakeInitiation.EPHEMERAL_OFFSET + 32);
    s.mixKey(ephemeral);
    s.mixHash(ephemeral);
    byte[] es = WireGuardKeys.dh(staticPrivate, ephemeral);
    if (es == null) {
      return null;
    }
    byte[] k = s.mixKeyAndTakeKey(es);
    byte[] encryptedStatic = Arrays.copyOfRange(msg, HandshakeInitiation.STATIC_OFFSET,
        HandshakeInitiation.TIMESTAMP_OFFSET);
    byte[] initiatorStatic = ChaChaPoly.open(k, 0, encryptedStatic, s.hash);
    s.mixHash(encryptedStatic);
    WireGuardKeys.zero(es);
    WireGuardKeys.zero(k);
    return initiatorStatic;
  }

  /** Responder, §5.4.2, second half: the decrypted TAI64N timestamp, or null. */
  static byte[] readInitiationTimestamp(State s, byte[] msg, byte[] staticStatic) {
    byte[] k = s.mixKeyAndTakeKey(staticStatic);
    byte[] encryptedTimestamp = Arrays.copyOfRange(msg, HandshakeInitiation.TIMESTAMP_OFFSET,
        HandshakeInitiation.MAC1_OFFSET);
    byte[] timestamp = ChaChaPoly.open(k, 0, encryptedTimestamp, s.hash);
    s.mixHash(encryptedTimestamp);
    WireGuardKeys.zero(k);
    return timestamp != null && timestamp.length == TIMESTAMP_BYTES ? timestamp : null;
  }

  /**
   * Responder, §5.4.3: writes ephemeral and encrypted nothing into {@code msg}, advancing
   * {@code s}. False if a DH result was zero.
   */
  static boolean writeResponse(State s, byte[] msg, byte[] ephemeralPrivate,
      byte[] ephemeralPublic, byte[] initiatorEphemeral, byte[] initiatorStatic,
      byte[] presharedKey) {
    // Cr = KDF1(Cr, Er_pub); Hr = HASH(Hr ‖ msg.ephemeral)
    s.mixKey(ephemeralPublic);
    System.arraycopy(ephemeralPublic, 0, msg, HandshakeResponse.EPHEMERAL_OFFSET, 32);
    s.mixHash(ephemeralPublic);

    // Cr = KDF1(Cr, DH(Er_priv, Ei_pub)); Cr = KDF1(Cr, DH(Er_priv, Si_pub))
    byte[] ee = WireGuardKeys.dh(ephemeralPrivate, initiatorEphemeral);
    byte[] se = WireGuardKeys.dh(ephemeralPrivate, initiatorStatic);
    if (ee == null || se == null) {
      return false;
    }
    s.mixKey(ee);
    s.mixKey(se);

    byte[] empty = mixPresharedKeyAndSeal(s, presharedKey);
    System.arraycopy(empty, 0, msg, HandshakeResponse.EMPTY_OFFSET,
        HandshakeResponse.ENCRYPTED_EMPTY_BYTES);
    WireGuardKeys.zero(ee);
    WireGuardKeys.zero(se);
    return true;
  }

  /** Initiator, §5.4.3: false if the response does not authenticate. */
  static boolean readResponse(State s, byte[] msg, byte[] ephemeralPrivate,
      byte[] staticPrivate, byte[] presharedKey) {
    byte[] responderEphemeral = Arrays.copyOfRange(msg, HandshakeResponse.EPHEMERAL_OFFSET,
        HandshakeResponse.EMPTY_OFFSET);
    s.mixKey(responderEphemeral);
    s.mixHash(responderEphemeral);
    byte[] ee = WireGuardKeys.dh(ephemeralPrivate, responderEphemeral);
    byte[] se = WireGuardKeys.dh(staticPrivate, responderEphemeral);
    if (ee == null || se == null) {
      return false;
    }
    s.mixKey(ee);
    s.mixKey(se);

    // (Cr, τ, κ) = KDF3(Cr, Q); Hr = HASH(Hr ‖ τ); msg.empty = AEAD(κ, 0, ε, Hr)
    byte[][] out = kdf3(s.chainingKey, presharedKey);
    s.chainingKey = out[0];
    s.mixHash(out[1]);
    byte[] encryptedEmpty = Arrays.copyOfRange(msg, HandshakeResponse.EMPTY_OFFSET,
        HandshakeResponse.MAC1_OFFSET);
    byte[] empty = ChaChaPoly.open(out[2], 0, encryptedEmpty, s.hash);
    s.mixHash(encryptedEmpty);
    WireGuardKeys.zero(out[1]);
    WireGuardKeys.zero(out[2]);
    WireGuardKeys.zero(ee);
    WireGuardKeys.zero(se);
    return empty != null && empty.length == 0;
  }

  private static byte[] mixPresharedKeyAndSeal(State s, byte[] presharedKey) {
    byte[][] out = kdf3(s.chainingKey, presharedKey);
    s.chainingKey = out[0];
    s.mixHash(out[1]);
    byte[] encryptedEmpty = ChaChaPoly.seal(out[2], 0, EMPTY, s.hash);
    s.mixHash(encryptedEmpty);
    WireGuardKeys.zero(out[1]);
    WireGuardKeys.zero(out[2]);
    return encryptedEmpty;
  }

  /**
   * §5.4.5: (T_i^send = T_r^recv, T_i^recv = T_r^send) = KDF2(Ci = Cr, ε); returns
   * {send, receive} for the side named.
   */
  static byte[][] transportKeys(State s, boolean initiator) {
    byte[][] out = kdf2(s.chainingKey, EMPTY);
    return initiator ? out : new byte[][] {out[1], out[0]};
  }

  /** §5.1: TAI64N of wall-clock nanoseconds since 1970: 2^62 + seconds, then nanoseconds. */
  static byte[] tai64n(long epochNanos) {
    long seconds = Math.floorDiv(epochNanos, 1_000_000_000L);
    int nanos = (int) Math.floorMod(epochNanos, 1_000_000_000L);
    byte[] out = new byte[TIMESTAMP_BYTES];
    long label = (1L << 62) + seconds;
    for (int i = 0; i < 8; i++) {
      out[i] = (byte) (label >>> (56 - 8 * i));
    }
    for (int i = 0; i < 4; i++) {
      out[8 + i] = (byte) (nanos >>> (24 - 8 * i));
    }
    return out;
  }

  private Noise() {}
}
