package dev.gatehouse.testbed.bench;

/** A run that produced no figure; the message says why, in the tool's own words. */
public final class BenchmarkException extends Exception {
  private static final long serialVersionUID = 1L;

  /** A failure with the reason to report in place of the figure. */
  public BenchmarkException(String message) {
    super(message);
  }
}
