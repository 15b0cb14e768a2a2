package dev.gatehouse.core.policy.expr;

/**
 * An expression that was refused at compile time. The message names the 1-based column of
 * the offending character and what was expected there, as in {@code column 17: expected a
 * value after 'in', got end of input}.
 */
public final class ExpressionException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int column;
  private final String reason;

  /** An error at {@code column} (1-based, in UTF-16 code units of the text). */
  public ExpressionException(int column, String reason) {
    super("column " + column + ": " + reason);
    this.column = column;
    this.reason = reason;
  }

  /** The 1-based column where the problem was found. */
  public int column() {
    return column;
  }

  /** The message without its column prefix. */
  public String reason() {
    return reason;
  }
}
