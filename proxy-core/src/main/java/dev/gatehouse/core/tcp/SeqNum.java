package dev.gatehouse.core.tcp;

/**
 * Sequence number arithmetic modulo 2^32 (RFC 9293 §3.4). Sequence numbers are unsigned
 * 32-bit values held in an {@code int}; two of them compare by the sign of their difference,
 * which is right as long as they are less than 2^31 apart, as every window is.
 */
public final class SeqNum {

  private SeqNum() {}

  /** {@code a < b} in sequence space. */
  public static boolean lt(int a, int b) {
    return a - b < 0;
  }

  /** {@code a <= b} in sequence space. */
  public static boolean le(int a, int b) {
    return a - b <= 0;
  }

  /** {@code a > b} in sequence space. */
  public static boolean gt(int a, int b) {
    return a - b > 0;
  }

  /** {@code a >= b} in sequence space. */
  public static boolean ge(int a, int b) {
    return a - b >= 0;
  }

  /** {@code low <= x < high} in sequence space (the RFC 9293 §3.4 window test). */
  public static boolean inWindow(int x, int low, int high) {
    return le(low, x) && lt(x, high);
  }

  /** The later of {@code a} and {@code b}. */
  public static int max(int a, int b) {
    return gt(a, b) ? a : b;
  }

  /** The earlier of {@code a} and {@code b}. */
  public static int min(int a, int b) {
    return lt(a, b) ? a : b;
  }
}
