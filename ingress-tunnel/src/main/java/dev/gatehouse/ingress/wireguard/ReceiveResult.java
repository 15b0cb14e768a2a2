package dev.gatehouse.ingress.wireguard;

/** What {@link WireGuardDevice#receive} made of a datagram. */
public enum ReceiveResult {
  /** A transport message: its inner packet went to {@link WireGuardOutput#deliver}. */
  DATA,
  /** A transport message with an empty payload (whitepaper §6.5): nothing to deliver. */
  KEEPALIVE,
  /** An initiation from a peer, answered with a response. */
  HANDSHAKE_ANSWERED,
  /** A response to our initiation: a new keypair is current. */
  HANDSHAKE_COMPLETED,
  /** Under load, a handshake message without a valid mac2, answered with a cookie reply. */
  COOKIE_SENT,
  /** A cookie reply to our handshake message: the next one carries mac2. */
  COOKIE_STORED,
  /** Dropped and counted; nothing was answered. */
  DROPPED
}
