package dev.gatehouse.core.tcp;

/**
 * A sender's congestion window (RFC 5681), behind an interface so that an algorithm such as
 * CUBIC (RFC 9438) can replace {@link NewReno}. The connection detects duplicate ACKs and
 * retransmits; the algorithm decides the window and when to retransmit.
 */
interface CongestionControl {

  /** What to do after an acknowledgment. */
  enum AckAction {
    /** Nothing beyond sending what the window allows. */
    NONE,
    /** Retransmit the first unacknowledged segment now (fast retransmit, partial ACK). */
    RETRANSMIT_FIRST_UNACKED,
    /** The same, but leave the retransmission timer running (a later partial ACK). */
    RETRANSMIT_FIRST_UNACKED_KEEP_TIMER
  }

  /** cwnd in bytes. */
  int windowBytes();

  /** Whether a loss is being recovered from without a timeout (RFC 6582 fast recovery). */
  boolean inRecovery();

  /**
   * New data was acknowledged.
   *
   * @param ackedBytes sequence space newly acknowledged
   * @param ack the acknowledgment number
   * @param flightBytes data outstanding before this ACK
   */
  AckAction onNewAck(int ackedBytes, int ack, int flightBytes);

  /**
   * A duplicate ACK as RFC 5681 §2 defines it.
   *
   * @param sndUna the acknowledgment number repeated
   * @param sndMax the highest sequence number sent
   * @param flightBytes data outstanding
   */
  AckAction onDuplicateAck(int sndUna, int sndMax, int flightBytes);

  /** The retransmission timer expired (RFC 5681 §3.1 eq. 4, RFC 6582 §3.2 step 6 of RTO). */
  void onRetransmissionTimeout(int sndMax, int flightBytes);
}
