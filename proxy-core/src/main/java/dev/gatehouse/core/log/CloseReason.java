package dev.gatehouse.core.log;

/**
 * Why a flow ended. The names are those of the {@code ConnectionCloseReason} field in
 * Cloudflare's Zero Trust network session logs where the meaning is the same, so that
 * dashboards built for those logs read ours; the last few are Gatehouse's own.
 */
public enum CloseReason {
  /** The client closed (FIN) or reset (RST) its side and the flow drained. */
  CLIENT_CLOSED,
  /** The flow saw no traffic for the idle timeout. */
  CLIENT_IDLE_TIMEOUT,
  /** The client misbehaved (a protocol error on its side). */
  CLIENT_ERROR,
  /** The origin closed (FIN) or reset (RST) its side and the flow drained. */
  ORIGIN_CLOSED,
  /** The origin failed after the flow was established. */
  ORIGIN_ERROR,
  /** The origin did not answer within the connect timeout. */
  ORIGIN_UNREACHABLE,
  /** The origin refused the connection (RST, or ICMP unreachable). */
  PROXY_CONN_REFUSED,
  /** A firewall policy blocked the flow. */
  POLICY_BLOCKED,
  /** The appliance shut down while the flow was open. */
  PROXY_SHUTDOWN,
  /** None of the above could be told apart. */
  UNKNOWN
}
