package dev.gatehouse.core.tcp;

/** Why a connection reached CLOSED; reported once through {@link TcpOutput#closed}. */
public enum CloseCause {
  /** Both FINs were sent and acknowledged (after LAST-ACK, or TIME-WAIT expired). */
  NORMAL,
  /** The client reset the connection with an acceptable RST (RFC 9293 §3.10.7.4, second). */
  RESET_BY_CLIENT,
  /** The origin refused or the dial timed out: the held SYN was answered with RST. */
  REFUSED,
  /** The user aborted the connection; an RST was sent where RFC 9293 §3.10.4 asks for one. */
  ABORTED,
  /** The SYN-ACK was retransmitted the configured number of times without an ACK. */
  HANDSHAKE_TIMEOUT,
  /** Data, FIN or window probes went unacknowledged after the configured retries; RST sent. */
  RETRANSMISSION_TIMEOUT
}
