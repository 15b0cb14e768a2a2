package dev.gatehouse.core.tcp;

/**
 * The retransmission timeout of RFC 6298: smoothed RTT and its variation from samples, and
 * exponential backoff. Times in nanoseconds.
 */
final class RttEstimator {

  // RFC 6298 §2: alpha = 1/8, beta = 1/4, K = 4.
  private static final int ALPHA_SHIFT = 3;
  private static final int BETA_SHIFT = 2;
  private static final int K = 4;
  /** Clock granularity G of RFC 6298 (2.2): our clock is nowNanos, take 1 ms. */
  private static final long GRANULARITY_NANOS = 1_000_000;

  private final long minRtoNanos;
  private final long maxRtoNanos;
  private long srttNanos;
  private long rttvarNanos;
  private long rtoNanos;
  private int backoffs;
  private boolean sampled;

  RttEstimator(long initialRtoNanos, long minRtoNanos, long maxRtoNanos) {
    this.minRtoNanos = minRtoNanos;
    this.maxRtoNanos = maxRtoNanos;
    this.rtoNanos = Math.min(Math.max(initialRtoNanos, minRtoNanos), maxRtoNanos);
  }

  /** Takes one RTT measurement and clears the backoff (RFC 6298 §5, note after (5.7)). */
  void onSample(long rttNanos) {
    long r = Math.max(rttNanos, 0);
    if (!sampled) {
      // RFC 6298 (2.2)
      srttNanos = r;
      rttvarNanos = r / 2;
      sampled = true;
    } else {
      // RFC 6298 (2.3): RTTVAR first, with the old SRTT
      rttvarNanos += (Math.abs(srttNanos - r) - rttvarNanos) >> BETA_SHIFT;
      srttNanos += (r - srttNanos) >> ALPHA_SHIFT;
    }
    long rto = srttNanos + Math.max(GRANULARITY_NANOS, K * rttvarNanos);
    // RFC 6298 (2.4) and (2.5), with our documented minimum
    rtoNanos = Math.min(Math.max(rto, minRtoNanos), maxRtoNanos);
    backoffs = 0;
  }

  /** RFC 6298 (5.5): the timer expired, double the RTO up to the maximum. */
  void backOff() {
    backoffs++;
  }

  /** The RTO to arm now, with backoff applied. */
  long rtoNanos() {
    long rto = rtoNanos;
    for (int i = 0; i < backoffs && rto < maxRtoNanos; i++) {
      rto <<= 1;
    }
    return Math.min(rto, maxRtoNanos);
  }

  long srttNanos() {
    return srttNanos;
  }

  boolean hasSample() {
    return sampled;
  }
}
