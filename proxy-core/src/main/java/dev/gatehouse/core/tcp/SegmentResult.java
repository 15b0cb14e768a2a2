package dev.gatehouse.core.tcp;

/**
 * What {@link TcpConnection#onSegment} did with a client segment, for counters. Everything
 * but {@link #ACCEPTED} means the segment's data, if any, was not taken.
 */
public enum SegmentResult {
  /** The segment was processed: its ACK, data or FIN (or some of them) were taken. */
  ACCEPTED,
  /** A retransmission of the held SYN, absorbed without an answer while the origin is dialed. */
  ABSORBED_HELD_SYN,
  /** A retransmitted SYN in SYN-RECEIVED: the SYN-ACK was sent again. */
  SYN_ACK_RESENT,
  /** Not acceptable (RFC 9293 §3.10.7.4, first): an ACK was sent, the segment dropped. */
  DROPPED_OUT_OF_WINDOW,
  /** PAWS (RFC 7323 §5.3): an old timestamp; an ACK was sent, the segment dropped. */
  DROPPED_OLD_TIMESTAMP,
  /** An RST outside the receive window, dropped silently (RFC 5961 §3.2). */
  DROPPED_RST_OUT_OF_WINDOW,
  /** An in-window RST or a SYN that did not match exactly: a challenge ACK was sent (RFC 5961). */
  CHALLENGE_ACK_SENT,
  /** An acceptable RST: the connection is closed. */
  RESET,
  /** A segment without ACK in a state that needs one (RFC 9293 §3.10.7.4, fifth). */
  DROPPED_NO_ACK,
  /** An ACK of something not sent: in SYN-RECEIVED answered with RST, else with an ACK. */
  DROPPED_BAD_ACK,
  /** Out-of-order data that the bounded reassembly could not keep. */
  DROPPED_REASSEMBLY_FULL,
  /** Anything but a retransmitted SYN or an exact RST while the SYN is held. */
  DROPPED_WHILE_HELD,
  /** The connection is already closed. */
  DROPPED_CLOSED
}
