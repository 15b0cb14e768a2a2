package dev.gatehouse.core.tcp;

/**
 * NewReno: slow start and congestion avoidance of RFC 5681 §3.1, fast retransmit and fast
 * recovery of RFC 5681 §3.2 with the partial-ACK handling of RFC 6582 §3.2.
 */
final class NewReno implements CongestionControl {

  /** RFC 5681 §3.2: the third duplicate ACK signals a loss. */
  static final int DUPLICATE_ACK_THRESHOLD = 3;
  /** RFC 6928 §2: IW = min(10*MSS, max(2*MSS, 14600)). */
  private static final int INITIAL_WINDOW_SEGMENTS = 10;
  private static final int INITIAL_WINDOW_CAP_BYTES = 14600;

  private final int smss;
  private int cwnd;
  private int ssthresh = Integer.MAX_VALUE;
  private int duplicateAcks;
  private boolean inRecovery;
  /** RFC 6582 recover, held here as one past the highest sequence number sent then. */
  private int recover;
  private boolean firstPartialAck;

  NewReno(int smss, int iss) {
    this.smss = smss;
    this.cwnd = Math.min(INITIAL_WINDOW_SEGMENTS * smss,
        Math.max(2 * smss, INITIAL_WINDOW_CAP_BYTES));
    // RFC 6582 §3.2 step 1: recover starts at the initial send sequence number
    this.recover = iss;
  }

  @Override
  public int windowBytes() {
    return cwnd;
  }

  @Override
  public boolean inRecovery() {
    return inRecovery;
  }

  int ssthreshBytes() {
    return ssthresh;
  }

  @Override
  public AckAction onNewAck(int ackedBytes, int ack, int flightBytes) {
    duplicateAcks = 0;
    if (inRecovery) {
      return onAckInRecovery(ackedBytes, ack, flightBytes);
    }
    if (cwnd < ssthresh) {
      // RFC 5681 eq. 2, with L = 1*SMSS (RFC 3465 §2.3 for the limit)
      cwnd = saturatedAdd(cwnd, Math.min(ackedBytes, smss));
    } else {
      // RFC 5681 eq. 3
      cwnd = saturatedAdd(cwnd, Math.max(1, (int) ((long) smss * smss / cwnd)));
    }
    return AckAction.NONE;
  }

  private AckAction onAckInRecovery(int ackedBytes, int ack, int flightBytes) {
    if (SeqNum.ge(ack, recover)) {
      // RFC 6582 §3.2 step 3 (full acknowledgment: all data outstanding when recovery
      // began), option (1)
      cwnd = Math.min(ssthresh, Math.max(flightBytes - ackedBytes, smss) + smss);
      inRecovery = false;
      return AckAction.NONE;
    }
    // RFC 6582 §3.2 step 3 (partial acknowledgment): deflate by the amount acknowledged,
    // add back one SMSS if that was at least one SMSS, retransmit the first unacked segment
    cwnd = Math.max(cwnd - ackedBytes, smss);
    if (ackedBytes >= smss) {
      cwnd = saturatedAdd(cwnd, smss);
    }
    boolean first = firstPartialAck;
    firstPartialAck = false;
    return first
        ? AckAction.RETRANSMIT_FIRST_UNACKED
        : AckAction.RETRANSMIT_FIRST_UNACKED_KEEP_TIMER;
  }

  @Override
  public AckAction onDuplicateAck(int sndUna, int sndMax, int flightBytes) {
    if (inRecovery) {
      // RFC 6582 §3.2 step 4 / RFC 5681 §3.2 step 4: inflate for each segment that left
      cwnd = saturatedAdd(cwnd, smss);
      return AckAction.NONE;
    }
    duplicateAcks++;
    if (duplicateAcks < DUPLICATE_ACK_THRESHOLD) {
      return AckAction.NONE;
    }
    duplicateAcks = 0;
    // RFC 6582 §3.2 step 2: only when the ACK covers what was outstanding at the last
    // recovery or timeout (avoids a second reduction for losses from the same window)
    if (SeqNum.lt(sndUna, recover)) {
      return AckAction.NONE;
    }
    enterRecovery(sndMax, flightBytes);
    return AckAction.RETRANSMIT_FIRST_UNACKED;
  }

  private void enterRecovery(int sndMax, int flightBytes) {
    // RFC 5681 eq. 4 and §3.2 step 3
    ssthresh = Math.max(flightBytes / 2, 2 * smss);
    cwnd = ssthresh + DUPLICATE_ACK_THRESHOLD * smss;
    recover = sndMax;
    inRecovery = true;
    firstPartialAck = true;
  }

  @Override
  public void onRetransmissionTimeout(int sndMax, int flightBytes) {
    // RFC 5681 eq. 4 and §3.1: the loss window is one segment
    ssthresh = Math.max(flightBytes / 2, 2 * smss);
    cwnd = smss;
    duplicateAcks = 0;
    inRecovery = false;
    // RFC 6582 §4: after a timeout, recover is the highest sequence number sent
    recover = sndMax;
  }

  private static int saturatedAdd(int a, int b) {
    long sum = (long) a + b;
    return sum > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) sum;
  }
}
