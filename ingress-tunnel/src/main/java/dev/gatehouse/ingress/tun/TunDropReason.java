package dev.gatehouse.ingress.tun;

/** Why a TUN tunnel dropped a packet, in either direction. */
public enum TunDropReason {
  /** Read from the device: neither IPv4 nor IPv6 by its version nibble (RFC 791, RFC 8200). */
  IN_NOT_IP,
  /** Read from the device: longer than the tunnel's MTU, so cut short by the read. */
  IN_LARGER_THAN_MTU,
  /** From the core: neither IPv4 nor IPv6; the kernel would refuse it with EINVAL. */
  OUT_NOT_IP,
  /** From the core: longer than the tunnel's MTU. */
  OUT_LARGER_THAN_MTU,
  /** From the core: the device's queue was full (EAGAIN); the caller is never made to wait. */
  OUT_QUEUE_FULL,
  /** From the core: the tunnel was not started yet, or is closed. */
  OUT_NOT_RUNNING,
  /** From the core: the kernel refused the write (the device is down, say). */
  OUT_WRITE_FAILED
}
