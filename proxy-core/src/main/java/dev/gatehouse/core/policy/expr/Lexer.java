package dev.gatehouse.core.policy.expr;

import dev.gatehouse.core.config.IpPrefix;
import dev.gatehouse.core.policy.expr.Token.Kind;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Splits expression text into tokens on demand, so that the first error in reading order is
 * the one reported. Addresses, CIDRs, ranges, integers and field names are all "words" of
 * letters, digits and {@code _ . : /}; a word is classified after it is read, because
 * {@code fe80::1} starts like a field name and {@code 8000..8100} like an integer.
 */
final class Lexer {
  private static final Pattern DIGITS = Pattern.compile("[0-9]+");
  private static final Pattern RANGE = Pattern.compile("([0-9]+)\\.\\.([0-9]+)");
  private static final Pattern FIELD_NAME = Pattern.compile("[a-z_][a-z0-9_]*(\\.[a-z_][a-z0-9_]*)*");

  private final String text;
  private int position;

  Lexer(String text) {
    this.text = text;
  }

  Token next() throws ExpressionException {
    skipSpace();
    int start = position;
    int column = start + 1;
    if (position >= text.length()) {
      return Token.simple(Kind.END, column, "");
    }

    char c = text.charAt(position);
    if (c == '"' || (c == 'r' && position + 1 < text.length() && text.charAt(position + 1) == '"')) {
      return string(c == 'r');
    }
    if (isWordChar(c)) {
      while (position < text.length() && isWordChar(text.charAt(position))) {
        position++;
      }
      return word(text.substring(start, position), column);
    }
    return punctuation(c, column);
  }

  private void skipSpace() {
    while (position < text.length() && Character.isWhitespace(text.charAt(position))) {
      position++;
    }
  }

  private static boolean isWordChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '_' || c == '.' || c == ':' || c == '/';
  }

  private Token punctuation(char c, int column) throws ExpressionException {
    char next = position + 1 < text.length() ? text.charAt(position + 1) : 0;
    return switch (c) {
      case '(' -> take(Kind.LPAREN, 1, column);
      case ')' -> take(Kind.RPAREN, 1, column);
      case '{' -> take(Kind.LBRACE, 1, column);
      case '}' -> take(Kind.RBRACE, 1, column);
      case '=' -> {
        if (next != '=') {
          throw new ExpressionException(column, "expected '==', got '='");
        }
        yield take(Kind.EQ, 2, column);
      }
      case '!' -> next == '=' ? take(Kind.NE, 2, column) : take(Kind.NOT, 1, column);
      case '>' -> next == '=' ? take(Kind.GE, 2, column) : take(Kind.GT, 1, column);
      case '<' -> next == '=' ? take(Kind.LE, 2, column) : take(Kind.LT, 1, column);
      case '&' -> {
        if (next != '&') {
          throw new ExpressionException(column, "expected '&&', got '&'");
        }
        yield take(Kind.AND, 2, column);
      }
      case '|' -> {
        if (next != '|') {
          throw new ExpressionException(column, "expected '||', got '|'");
        }
        yield take(Kind.OR, 2, column);
      }
      case '[' -> {
        if (!text.startsWith("[*]", position)) {
          throw new ExpressionException(column, "expected '[*]', got '['");
        }
        yield take(Kind.ALL_ELEMENTS, 3, column);
      }
      default -> throw new ExpressionException(column, "unexpected character " + quoteChar(c));
    };
  }

  private static String quoteChar(char c) {
    if (c < 0x20 || c > 0x7e) {
      return String.format("U+%04X", (int) c);
    }
    return "'" + c + "'";
  }

  private Token take(Kind kind, int length, int column) {
    String spelled = text.substring(position, position + length);
    position += length;
    return Token.simple(kind, column, spelled);
  }

  /** A quoted string: {@code "a\"b"} with escapes, or raw {@code r"a\.b"} without any. */
  private Token string(boolean raw) throws ExpressionException {
    int start = position;
    int column = start + 1;
    position += raw ? 2 : 1;
    StringBuilder value = new StringBuilder();
    while (position < text.length()) {
      char c = text.charAt(position++);
      if (c == '"') {
        return new Token(Kind.STRING, column, text.substring(start, position), 0, 0, null, 0,
            value.toString());
      }
      if (c == '\\' && !raw) {
        value.append(escape(position));
      } else {
        value.append(c);
      }
    }
    throw new ExpressionException(text.length() + 1,
        "expected '\"' to close the string at column " + column + ", got end of input");
  }

  /** Reads the escape after a backslash; {@code position} is just past the backslash. */
  private char escape(int after) throws ExpressionException {
    if (after >= text.length()) {
      throw new ExpressionException(after + 1, "expected an escape after '\\', got end of input");
    }
    char c = text.charAt(after);
    position = after + 1;
    return switch (c) {
      case '"' -> '"';
      case '\\' -> '\\';
      case 'n' -> '\n';
      case 't' -> '\t';
      case 'r' -> '\r';
      case 'x' -> hexEscape(after);
      default -> throw new ExpressionException(after,
          "unknown escape '\\" + c + "'; expected one of \\\" \\\\ \\n \\t \\r \\xHH");
    };
  }

  private char hexEscape(int x) throws ExpressionException {
    if (x + 3 > text.length() || Character.digit(text.charAt(x + 1), 16) < 0
        || Character.digit(text.charAt(x + 2), 16) < 0) {
      throw new ExpressionException(x, "expected two hex digits after '\\x'");
    }
    position = x + 3;
    return (char) Integer.parseInt(text.substring(x + 1, x + 3), 16);
  }

  private static Token word(String word, int column) throws ExpressionException {
    Kind keyword = keyword(word);
    if (keyword != null) {
      return Token.simple(keyword, column, word);
    }
    if (DIGITS.matcher(word).matches()) {
      long value = integer(word, column);
      return new Token(Kind.INTEGER, column, word, value, value, null, 0, null);
    }
    var range = RANGE.matcher(word);
    if (range.matches()) {
      long low = integer(range.group(1), column);
      long high = integer(range.group(2), column);
      if (low > high) {
        throw new ExpressionException(column, "range " + word + " ends before it starts");
      }
      return new Token(Kind.RANGE, column, word, low, high, null, 0, null);
    }
    if (word.indexOf('/') >= 0) {
      return cidr(word, column);
    }
    if (word.indexOf(':') >= 0 || Character.isDigit(word.charAt(0))) {
      return address(word, column);
    }
    if (!FIELD_NAME.matcher(word).matches()) {
      throw new ExpressionException(column, "'" + word + "' is not a field name");
    }
    return new Token(Kind.FIELD, column, word, 0, 0, null, 0, word);
  }

  private static Kind keyword(String word) {
    return switch (word) {
      case "and" -> Kind.AND;
      case "or" -> Kind.OR;
      case "not" -> Kind.NOT;
      case "in" -> Kind.IN;
      case "matches" -> Kind.MATCHES;
      case "any" -> Kind.ANY;
      case "eq" -> Kind.EQ;
      case "ne" -> Kind.NE;
      case "gt" -> Kind.GT;
      case "ge" -> Kind.GE;
      case "lt" -> Kind.LT;
      case "le" -> Kind.LE;
      default -> null;
    };
  }

  private static long integer(String digits, int column) throws ExpressionException {
    // 4294967295 is the largest value any integer field holds; refuse before overflow
    if (digits.length() > 12) {
      throw new ExpressionException(column, "integer " + digits + " is too large");
    }
    return Long.parseLong(digits);
  }

  private static Token cidr(String word, int column) throws ExpressionException {
    Optional<IpPrefix> prefix = IpPrefix.parse(word);
    if (prefix.isEmpty()) {
      throw new ExpressionException(column, "'" + word + "' is not a CIDR such as 198.18.0.0/24");
    }
    return new Token(Kind.CIDR, column, word, 0, 0, prefix.get().address().getAddress(),
        prefix.get().length(), null);
  }

  private static Token address(String word, int column) throws ExpressionException {
    InetAddress address = NetUtil.createInetAddressFromIpAddressString(word);
    if (address == null) {
      throw new ExpressionException(column, "'" + word + "' is not an IP address");
    }
    byte[] bytes = address.getAddress();
    return new Token(Kind.ADDRESS, column, word, 0, 0, bytes, bytes.length * 8, null);
  }
}
