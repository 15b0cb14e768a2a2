package dev.gatehouse.ingress.wireguard;

import java.nio.charset.StandardCharsets;

/**
 * Constants the WireGuard whitepaper fixes (Jason A. Donenfeld, "WireGuard: Next
 * Generation Kernel Network Tunnel", §5.4 for the protocol's names, §6.1 for the timer
 * table). Constants this implementation chose live with the classes that use them.
 */
public final class WireGuardProtocol {

  /** §5.4: the Noise protocol name, hashed into the initial chaining key. */
  public static final byte[] CONSTRUCTION =
      "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s".getBytes(StandardCharsets.US_ASCII);
  /** §5.4: the prologue mixed into the initial hash. */
  public static final byte[] IDENTIFIER =
      "WireGuard v1 zx2c4 Jason@zx2c4.com".getBytes(StandardCharsets.US_ASCII);
  /** §5.4.4: mac1's key is HASH(LABEL-MAC1 ‖ receiver's static public key). */
  public static final byte[] LABEL_MAC1 = "mac1----".getBytes(StandardCharsets.US_ASCII);
  /** §5.4.7: a cookie reply's key is HASH(LABEL-COOKIE ‖ sender's static public key). */
  public static final byte[] LABEL_COOKIE = "cookie--".getBytes(StandardCharsets.US_ASCII);

  /** §6.1: a keypair's initiator starts a new handshake after sending this many messages. */
  public static final long REKEY_AFTER_MESSAGES = 1L << 60;
  /** §6.1: 2^64 − 2^13 − 1, an unsigned value: no message is sent or accepted at or above it. */
  public static final long REJECT_AFTER_MESSAGES = -(1L << 13) - 1;

  private static final long SECOND_NANOS = 1_000_000_000L;
  /** §6.1: the initiator of a keypair replaces it after this age when it sends. */
  public static final long REKEY_AFTER_TIME_NANOS = 120 * SECOND_NANOS;
  /** §6.1: no packet is sent or accepted under a keypair of this age. */
  public static final long REJECT_AFTER_TIME_NANOS = 180 * SECOND_NANOS;
  /** §6.1: a handshake attempt is given up after retrying this long. */
  public static final long REKEY_ATTEMPT_TIME_NANOS = 90 * SECOND_NANOS;
  /** §6.1: an unanswered initiation is retried after this long, and not sent more often. */
  public static final long REKEY_TIMEOUT_NANOS = 5 * SECOND_NANOS;
  /** §6.4: a retry waits REKEY-TIMEOUT plus a random jitter of up to this. */
  public static final long REKEY_TIMEOUT_JITTER_MAX_NANOS = 333_000_000L;
  /** §6.1: a passive keepalive follows received data after this long without sending. */
  public static final long KEEPALIVE_TIMEOUT_NANOS = 10 * SECOND_NANOS;
  /** §5.4.7: cookies are made with a secret that changes every two minutes. */
  public static final long COOKIE_SECRET_LIFETIME_NANOS = 120 * SECOND_NANOS;
  /** §5.4.7: a received cookie is used for mac2 for two minutes (less a little margin). */
  public static final long COOKIE_LIFETIME_NANOS = 120 * SECOND_NANOS;

  private WireGuardProtocol() {}
}
