package dev.gatehouse.core.tcp;

/**
 * Connection states of RFC 9293 §3.3.2, printed as the RFC spells them, plus {@link #SYN_HELD}.
 *
 * <p>LISTEN and SYN-SENT do not occur: Gatehouse only opens passively, one connection per
 * client SYN, and a connection object exists from that SYN on.
 */
public enum TcpState {
  /**
   * Gatehouse's own state: the client's SYN arrived and is held, unanswered, while the origin
   * is dialed. In RFC 9293 terms this is LISTEN with one pending SYN that the user has not
   * decided on yet; the client sees a SYN that is still in flight.
   */
  SYN_HELD("SYN-HELD"),
  SYN_RECEIVED("SYN-RECEIVED"),
  ESTABLISHED("ESTABLISHED"),
  FIN_WAIT_1("FIN-WAIT-1"),
  FIN_WAIT_2("FIN-WAIT-2"),
  CLOSE_WAIT("CLOSE-WAIT"),
  CLOSING("CLOSING"),
  LAST_ACK("LAST-ACK"),
  TIME_WAIT("TIME-WAIT"),
  CLOSED("CLOSED");

  private final String rfcName;

  TcpState(String rfcName) {
    this.rfcName = rfcName;
  }

  /** Whether sequence numbers are synchronized (RFC 9293 §3.5: every state after SYN-RECEIVED). */
  public boolean isSynchronized() {
    return this != SYN_HELD && this != SYN_RECEIVED && this != CLOSED;
  }

  /** Whether the client may still send data that we deliver (RFC 9293 §3.10.7.4, seventh). */
  boolean receivesText() {
    return this == ESTABLISHED || this == FIN_WAIT_1 || this == FIN_WAIT_2;
  }

  /** The name as RFC 9293 spells it, such as {@code SYN-RECEIVED}. */
  @Override
  public String toString() {
    return rfcName;
  }
}
