package dev.gatehouse.ingress.wireguard;

/**
 * Why a WireGuard tunnel dropped an inner packet around the engine: cryptokey routing and
 * framing, the checks the whitepaper leaves to the interface (§2). The engine's own drops
 * (authentication, replay, timers) are {@link WireGuardDropReason}.
 */
public enum WireGuardTunnelDropReason {
  /** In: decrypted, but not an IPv4 or IPv6 packet whose length fits what was received. */
  IN_NOT_IP,
  /**
   * In: the inner source address is not in the sending peer's allowed IPs (§2: "the
   * source IP of the decrypted packet is checked against the allowed IPs of the peer").
   */
  IN_SOURCE_NOT_ALLOWED,
  /** In: the queue into the loop that owns the datagram's peer was full. */
  IN_LOOP_BUSY,
  /** Out: neither IPv4 nor IPv6. */
  OUT_NOT_IP,
  /** Out: no peer's allowed IPs hold the destination address (§2). */
  OUT_NO_PEER,
  /** Out: longer than the tunnel's MTU. */
  OUT_LARGER_THAN_MTU,
  /** Out: the tunnel was not started yet, or is closed, or the peer was just removed. */
  OUT_NOT_RUNNING,
  /** Out: the loop's queue of packets from the core was full (the loop cannot keep up). */
  OUT_LOOP_BUSY
}
