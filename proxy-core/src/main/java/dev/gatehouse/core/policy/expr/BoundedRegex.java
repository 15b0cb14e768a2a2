package dev.gatehouse.core.policy.expr;

import java.util.regex.Pattern;

/**
 * A compiled {@code matches} pattern whose every search is bounded in work.
 * {@code java.util.regex} backtracks, so a pattern such as {@code (.*a){12}b} takes time
 * exponential in the length of a value the client chose (the SNI, the Host). Each search
 * reads the value through a view that counts character reads and gives up after
 * {@link #MAX_READS}; a search given up on is {@link Outcome#UNKNOWN}, not a guess.
 */
final class BoundedRegex implements StringCondition {

  /** Character reads one search may make; chosen: well under a millisecond of work. */
  static final int MAX_READS = 100_000;

  private static final GaveUp GAVE_UP = new GaveUp();

  private final Pattern pattern;

  BoundedRegex(Pattern pattern) {
    this.pattern = pattern;
  }

  @Override
  public Outcome test(String value) {
    try {
      return Outcome.of(pattern.matcher(new CountingView(value)).find());
    } catch (GaveUp e) {
      // TODO(#9): count searches given up on, per policy, with the policy metrics
      return Outcome.UNKNOWN;
    }
  }

  /** Thrown from deep inside the matcher to stop it; shared, so it carries no stack. */
  private static final class GaveUp extends RuntimeException {
    private static final long serialVersionUID = 1L;

    GaveUp() {
      super("regular expression search exceeded its budget", null, false, false);
    }
  }

  private static final class CountingView implements CharSequence {
    private final String value;
    private int reads;

    CountingView(String value) {
      this.value = value;
    }

    @Override
    public char charAt(int index) {
      if (++reads > MAX_READS) {
        throw GAVE_UP;
      }
      return value.charAt(index);
    }

    @Override
    public int length() {
      return value.length();
    }

    @Override
    public CharSequence subSequence(int start, int end) {
      return value.subSequence(start, end);
    }

    @Override
    public String toString() {
      return value;
    }
  }
}
