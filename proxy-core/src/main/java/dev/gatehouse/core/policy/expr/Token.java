package dev.gatehouse.core.policy.expr;

/**
 * One lexical token. Only the fields of its kind are meaningful: {@code low}/{@code high}
 * for integers and ranges, {@code address}/{@code prefixLength} for addresses and CIDRs,
 * {@code value} for strings and field names.
 */
record Token(Kind kind, int column, String text, long low, long high, byte[] address,
    int prefixLength, String value) {

  enum Kind {
    FIELD, INTEGER, RANGE, ADDRESS, CIDR, STRING,
    AND, OR, NOT, IN, MATCHES, ANY,
    EQ, NE, GT, GE, LT, LE,
    LPAREN, RPAREN, LBRACE, RBRACE, ALL_ELEMENTS, END
  }

  private static final int QUOTE_LIMIT = 40;

  static Token simple(Kind kind, int column, String text) {
    return new Token(kind, column, text, 0, 0, null, 0, null);
  }

  /** How an error message names what was found: {@code end of input} or the quoted text. */
  String describe() {
    if (kind == Kind.END) {
      return "end of input";
    }
    String shown = text.length() > QUOTE_LIMIT ? text.substring(0, QUOTE_LIMIT) + "..." : text;
    return "'" + shown + "'";
  }

  /** How an error message names the kind of literal ({@code a string}). */
  String literalKind() {
    return switch (kind) {
      case INTEGER -> "an integer";
      case RANGE -> "a range";
      case ADDRESS -> "an address";
      case CIDR -> "a CIDR";
      case STRING -> "a string";
      default -> describe();
    };
  }
}
