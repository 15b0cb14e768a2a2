package dev.gatehouse.ingress.wireguard;

/**
 * Why the engine dropped a datagram it received ("in") or a packet it was asked to send
 * ("out"). Nothing dropped is ever answered, but for {@link #COOKIE_REQUIRED} and {@link
 * #BAD_MAC2}, which a cookie reply answers (whitepaper §5.4.7).
 */
public enum WireGuardDropReason {
  /** In: the first byte is no WireGuard message type (§5.4). */
  BAD_TYPE,
  /** In: the length is not the message type's length. */
  BAD_LENGTH,
  /** In: a reserved byte after the type is not zero. */
  BAD_RESERVED,
  /** In: mac1 does not authenticate a handshake message to our public key (§5.4.4). */
  BAD_MAC1,
  /** In: under load, a handshake message came without mac2; a cookie reply went back. */
  COOKIE_REQUIRED,
  /** In: under load, a handshake message's mac2 is not our current cookie's; a reply went back. */
  BAD_MAC2,
  /** In: an initiation's static key decrypted to no peer we know. */
  UNKNOWN_PEER,
  /** In: an initiation's timestamp is not after the greatest seen from its peer (§5.1). */
  STALE_TIMESTAMP,
  /** In: an ephemeral key of small order made the Diffie-Hellman result zero. */
  BAD_PUBLIC_KEY,
  /** In: an AEAD tag did not verify. */
  DECRYPT_FAILED,
  /** In: a response, cookie reply or transport message names an index no session holds. */
  UNKNOWN_INDEX,
  /** In: a response for a handshake that is not waiting for one. */
  UNEXPECTED_RESPONSE,
  /** In: a cookie reply when no sent handshake message is waiting for one. */
  UNEXPECTED_COOKIE,
  /** In: a transport counter already received, or older than the replay window (§5.4.6). */
  REPLAYED,
  /** In: a transport message under a keypair older than REJECT-AFTER-TIME (§6.1). */
  EXPIRED_KEY,
  /**
   * In, counted on the peer by the tunnel: authenticated, but the inner source address is
   * not one of the peer's allowed IPs (whitepaper §2, cryptokey routing).
   */
  IN_SOURCE_NOT_ALLOWED,
  /** Out: the peer has no endpoint to send to yet. */
  OUT_NO_ENDPOINT,
  /** Out: the queue of packets waiting for a handshake was full; the oldest was dropped. */
  OUT_QUEUE_FULL,
  /** Out: queued packets dropped because the handshake gave up after REKEY-ATTEMPT-TIME. */
  OUT_HANDSHAKE_GAVE_UP,
  /** Out: queued packets dropped because their peer was removed. */
  OUT_PEER_REMOVED
}
