package dev.gatehouse.core.log;

/** The moment in a flow's life that an activity record describes. */
public enum ActivityEvent {
  /** Both handshakes completed and traffic may flow; the counters are still zero. */
  SESSION_START,
  /** The flow is over; the record carries its totals and close reason. */
  SESSION_END
}
