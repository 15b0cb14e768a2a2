package dev.gatehouse.ingress.wireguard;

/**
 * The receive side's sliding window of transport counters (whitepaper §5.4.6: "a sliding
 * window ... to prevent replay"), the bitmap of RFC 6479 §2: a ring of 64-bit words, of
 * which the word holding the greatest counter so far is partly in use, so the window is
 * {@link #WINDOW_SIZE} counters behind that greatest one. Moving forward clears the words
 * skipped over, at most the whole ring; nothing depends on the distance moved.
 *
 * <p>Thread-safety: the one piece of a keypair's receive state that another thread may
 * touch later (decryption spread over threads): every method locks the window.
 */
final class ReplayWindow {

  /** Words in the ring; a power of two (implementation choice: 4032 counters of window). */
  private static final int RING_WORDS = 64;
  /** RFC 6479 §2: one word is the partly used current one, the rest is history. */
  static final long WINDOW_SIZE = (RING_WORDS - 1) * 64L;

  private final long[] ring = new long[RING_WORDS];
  private long greatest;

  /** True if {@code counter} may be new: a cheap test before decrypting (RFC 6479 §2). */
  synchronized boolean mayAccept(long counter) {
    if (Long.compareUnsigned(counter, WireGuardProtocol.REJECT_AFTER_MESSAGES) >= 0) {
      return false;
    }
    if (Long.compareUnsigned(counter, greatest) > 0) {
      return true;
    }
    return greatest - counter < WINDOW_SIZE && !isMarked(counter);
  }

  /**
   * Marks {@code counter} as received, after its message authenticated; false if it was
   * already, is too old for the window, or is at or above REJECT-AFTER-MESSAGES (§6.1).
   */
  synchronized boolean accept(long counter) {
    if (Long.compareUnsigned(counter, WireGuardProtocol.REJECT_AFTER_MESSAGES) >= 0) {
      return false;
    }
    if (Long.compareUnsigned(counter, greatest) > 0) {
      advanceTo(counter);
    } else if (greatest - counter >= WINDOW_SIZE) {
      return false;
    }
    int word = wordOf(counter);
    long bit = 1L << (counter & 63);
    if ((ring[word] & bit) != 0) {
      return false;
    }
    ring[word] |= bit;
    return true;
  }

  private void advanceTo(long counter) {
    long currentWord = greatest >>> 6;
    long skipped = Math.min((counter >>> 6) - currentWord, RING_WORDS);
    for (long i = 1; i <= skipped; i++) {
      ring[(int) ((currentWord + i) & (RING_WORDS - 1))] = 0;
    }
    greatest = counter;
  }

  private boolean isMarked(long counter) {
    return (ring[wordOf(counter)] & (1L << (counter & 63))) != 0;
  }

  private static int wordOf(long counter) {
    return (int) ((counter >>> 6) & (RING_WORDS - 1));
  }
}
