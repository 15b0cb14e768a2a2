package dev.gatehouse.ingress.wireguard;

/** What {@link WireGuardDevice#send} did with an inner packet. */
public enum SendResult {
  /** Encrypted and handed to {@link WireGuardOutput#send}. */
  SENT,
  /** No usable keypair yet: queued until a handshake completes (whitepaper §6.2). */
  QUEUED,
  /** Dropped and counted (no endpoint known). */
  DROPPED
}
