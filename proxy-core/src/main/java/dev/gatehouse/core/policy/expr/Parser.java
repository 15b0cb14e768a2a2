package dev.gatehouse.core.policy.expr;

import dev.gatehouse.core.config.IpPrefix;
import dev.gatehouse.core.policy.expr.Token.Kind;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A recursive-descent parser that type-checks while it reads (grammar in
 * {@code docs/POLICY-EXPRESSIONS.md}). Recursion happens only for parentheses, {@code not}
 * and {@code any(...)}, which the depth bound limits; chains of {@code and}/{@code or}
 * become one flat node, so that neither parsing nor evaluation recurses along them.
 */
final class Parser {
  private final Lexer lexer;
  private final Set<Field> fields = EnumSet.noneOf(Field.class);
  private Token current;
  private int depth;

  Parser(String text) {
    this.lexer = new Lexer(text);
  }

  Node parse() throws ExpressionException {
    advance();
    Node root = or();
    if (current.kind() != Kind.END) {
      throw error(current, "expected 'and', 'or' or end of input");
    }
    return root;
  }

  Set<Field> fields() {
    return fields;
  }

  private void advance() throws ExpressionException {
    current = lexer.next();
  }

  private ExpressionException error(Token at, String expected) {
    return new ExpressionException(at.column(), expected + ", got " + at.describe());
  }

  private void enter(Token at) throws ExpressionException {
    if (++depth > Expression.MAX_DEPTH) {
      throw new ExpressionException(at.column(),
          "expression nests deeper than " + Expression.MAX_DEPTH + " levels");
    }
  }

  // or = and { "or" and }
  private Node or() throws ExpressionException {
    List<Node> operands = new ArrayList<>();
    operands.add(and());
    while (current.kind() == Kind.OR) {
      advance();
      operands.add(and());
    }
    return operands.size() == 1 ? operands.getFirst() : new Node.Some(operands.toArray(Node[]::new));
  }

  // and = unary { "and" unary }
  private Node and() throws ExpressionException {
    List<Node> operands = new ArrayList<>();
    operands.add(unary());
    while (current.kind() == Kind.AND) {
      advance();
      operands.add(unary());
    }
    return operands.size() == 1 ? operands.getFirst() : new Node.All(operands.toArray(Node[]::new));
  }

  // unary = "not" unary | primary
  private Node unary() throws ExpressionException {
    if (current.kind() != Kind.NOT) {
      return primary();
    }
    enter(current);
    advance();
    Node operand = unary();
    depth--;
    return new Node.Not(operand);
  }

  // primary = "(" or ")" | any | comparison
  private Node primary() throws ExpressionException {
    Token start = current;
    switch (start.kind()) {
      case LPAREN -> {
        enter(start);
        advance();
        Node inner = or();
        expect(Kind.RPAREN, "expected ')' to close '(' at column " + start.column());
        depth--;
        return inner;
      }
      case ANY -> {
        return any();
      }
      case FIELD -> {
        Field field = field(start);
        if (field.type() == FieldType.STRING_ARRAY) {
          throw new ExpressionException(start.column(), field + " is an array; write any(" + field
              + "[*] == \"...\")");
        }
        advance();
        return comparison(field, field.type());
      }
      default -> throw error(start, "expected a field, 'not', 'any' or '('");
    }
  }

  private Field field(Token token) throws ExpressionException {
    Field field = Field.byName(token.value());
    if (field == null) {
      throw new ExpressionException(token.column(), "unknown field '" + token.value() + "'");
    }
    fields.add(field);
    return field;
  }

  private void expect(Kind kind, String expected) throws ExpressionException {
    if (current.kind() != kind) {
      throw error(current, expected);
    }
    advance();
  }

  // any = "any" "(" array-field "[*]" operator value ")"
  private Node any() throws ExpressionException {
    Token any = current;
    enter(any);
    advance();
    expect(Kind.LPAREN, "expected '(' after 'any'");
    if (current.kind() != Kind.FIELD) {
      throw error(current, "expected an array field such as net.sni.domains inside any()");
    }
    Token fieldToken = current;
    Field field = field(fieldToken);
    if (field.type() != FieldType.STRING_ARRAY) {
      throw new ExpressionException(fieldToken.column(),
          "any() needs an array field; " + field + " is " + field.type().description());
    }
    advance();
    expect(Kind.ALL_ELEMENTS, "expected '[*]' after '" + field + "'");
    Node.StringTest element = (Node.StringTest) comparison(field, FieldType.STRING);
    expect(Kind.RPAREN, "expected ')' to close 'any(' at column " + any.column());
    depth--;
    return new Node.AnySniDomain(element.test());
  }

  /** Reads {@code operator value} after a field whose values have type {@code type}. */
  private Node comparison(Field field, FieldType type) throws ExpressionException {
    Token operator = current;
    switch (operator.kind()) {
      case EQ, NE, GT, GE, LT, LE, IN, MATCHES -> advance();
      default -> throw error(operator, "expected an operator after '" + field + "'");
    }
    checkOperatorApplies(operator, field, type);

    if (operator.kind() == Kind.IN) {
      return set(field, type);
    }
    if (operator.kind() == Kind.MATCHES) {
      return new Node.StringTest(field, regex(field));
    }
    Token value = current;
    if (!isLiteral(value.kind())) {
      throw error(value, "expected a value after '" + operator.text() + "'");
    }
    advance();
    return single(field, type, operator, value);
  }

  private static boolean isLiteral(Kind kind) {
    return switch (kind) {
      case INTEGER, RANGE, ADDRESS, CIDR, STRING -> true;
      default -> false;
    };
  }

  private static void checkOperatorApplies(Token operator, Field field, FieldType type)
      throws ExpressionException {
    // inside any(), the operand is one element: net.sni.domains[*]
    String operand = field.type() == FieldType.STRING_ARRAY ? field + "[*]" : field.toString();
    boolean ordering = switch (operator.kind()) {
      case GT, GE, LT, LE -> true;
      default -> false;
    };
    if (ordering && type != FieldType.INTEGER) {
      throw new ExpressionException(operator.column(), "'" + operator.text()
          + "' needs an integer field; " + operand + " is " + type.description());
    }
    if (operator.kind() == Kind.MATCHES && type != FieldType.STRING) {
      throw new ExpressionException(operator.column(),
          "'matches' needs a string field; " + operand + " is " + type.description());
    }
  }

  /** One comparison with a single literal: {@code ==}, {@code !=} and the orderings. */
  private Node single(Field field, FieldType type, Token operator, Token value)
      throws ExpressionException {
    if (value.kind() == Kind.CIDR || value.kind() == Kind.RANGE) {
      String example = value.kind() == Kind.CIDR ? "{198.18.0.0/24}" : "{8000..8100}";
      throw new ExpressionException(value.column(),
          value.literalKind() + " is only allowed inside a set, as in " + example);
    }
    boolean negated = operator.kind() == Kind.NE;
    return switch (type) {
      case ADDRESS -> {
        checkKind(value, Kind.ADDRESS, field, type);
        yield new Node.AddressTest(field, negated, value.address(), null, null,
            List.of(prefix(value.address(), value.address().length * 8)));
      }
      case INTEGER -> {
        checkKind(value, Kind.INTEGER, field, type);
        long literal = checkedInteger(value.low(), value, field);
        yield new Node.IntegerTest(field, ordering(operator.kind(), literal, field.maxValue()));
      }
      default -> {
        checkKind(value, Kind.STRING, field, type);
        String literal = checkedString(value, field);
        yield new Node.StringTest(field, v -> Outcome.of(literal.equals(v) != negated));
      }
    };
  }

  /** The values a comparison with one literal accepts, as ranges within the field's range. */
  private static IntRanges ordering(Kind operator, long literal, long max) {
    return switch (operator) {
      case EQ -> IntRanges.between(literal, literal);
      case NE -> IntRanges.between(0, literal - 1).union(IntRanges.between(literal + 1, max));
      case GT -> IntRanges.between(literal + 1, max);
      case GE -> IntRanges.between(literal, max);
      case LT -> IntRanges.between(0, literal - 1);
      default -> IntRanges.between(0, literal);
    };
  }

  private static IpPrefix prefix(byte[] address, int length) {
    try {
      return new IpPrefix(InetAddress.getByAddress(address), length);
    } catch (UnknownHostException e) {
      throw new IllegalStateException("a 4- or 16-byte address was expected", e);
    }
  }

  private static void checkKind(Token value, Kind expected, Field field, FieldType type)
      throws ExpressionException {
    if (value.kind() != expected) {
      throw new ExpressionException(value.column(),
          "expected " + type.description() + " for " + field + ", got " + value.literalKind());
    }
  }

  private static long checkedInteger(long literal, Token value, Field field) throws ExpressionException {
    if (literal > field.maxValue()) {
      throw new ExpressionException(value.column(),
          "value " + literal + " is outside " + field + "'s range 0.." + field.maxValue());
    }
    return literal;
  }

  private static String checkedString(Token value, Field field) throws ExpressionException {
    String literal = field.caseInsensitive() ? value.value().toLowerCase(Locale.ROOT) : value.value();
    if (field == Field.NET_PROTOCOL && !Field.PROTOCOLS.contains(literal)) {
      throw new ExpressionException(value.column(),
          "expected tcp, udp or icmp for net.protocol, got " + value.describe());
    }
    return literal;
  }

  private StringCondition regex(Field field) throws ExpressionException {
    Token value = current;
    if (value.kind() != Kind.STRING) {
      throw error(value, "expected a string after 'matches'");
    }
    advance();
    String pattern = value.value();
    if (pattern.length() > Expression.MAX_REGEX_CHARS) {
      throw new ExpressionException(value.column(),
          "regular expression longer than " + Expression.MAX_REGEX_CHARS + " characters");
    }
    int flags = field.caseInsensitive() ? Pattern.CASE_INSENSITIVE : 0;
    try {
      return new BoundedRegex(Pattern.compile(pattern, flags));
    } catch (PatternSyntaxException e) {
      throw new ExpressionException(value.column(),
          "invalid regular expression: " + e.getDescription() + " near index " + e.getIndex());
    }
  }

  // set = "{" value { value } "}"
  private Node set(Field field, FieldType type) throws ExpressionException {
    Token open = current;
    if (open.kind() == Kind.END) {
      throw error(open, "expected a value after 'in'");
    }
    if (open.kind() != Kind.LBRACE) {
      throw error(open, "expected a set such as {80 443} after 'in'");
    }
    advance();
    SetBuilder builder = new SetBuilder(field, type);
    while (current.kind() != Kind.RBRACE) {
      if (!isLiteral(current.kind())) {
        throw error(current, "expected a value or '}' in the set opened at column " + open.column());
      }
      if (builder.count == Expression.MAX_SET_ELEMENTS) {
        throw new ExpressionException(current.column(),
            "set has more than " + Expression.MAX_SET_ELEMENTS + " values");
      }
      builder.add(current);
      advance();
    }
    if (builder.count == 0) {
      throw new ExpressionException(current.column(), "expected at least one value in the set");
    }
    advance();
    return builder.build();
  }

  /** Collects a set's elements after checking each against the field's type. */
  private static final class SetBuilder {
    private final Field field;
    private final FieldType type;
    private int count;
    private final List<Token> addresses = new ArrayList<>();
    private long[] starts = new long[8];
    private long[] ends = new long[8];
    private final Set<String> strings = new HashSet<>();

    SetBuilder(Field field, FieldType type) {
      this.field = field;
      this.type = type;
    }

    void add(Token value) throws ExpressionException {
      switch (type) {
        case ADDRESS -> {
          if (value.kind() != Kind.ADDRESS && value.kind() != Kind.CIDR) {
            throw mismatch(value, "an address or CIDR");
          }
          addresses.add(value);
        }
        case INTEGER -> {
          if (value.kind() != Kind.INTEGER && value.kind() != Kind.RANGE) {
            throw mismatch(value, "an integer or range");
          }
          checkedInteger(value.high(), value, field);
          if (count == starts.length) {
            starts = Arrays.copyOf(starts, count * 2);
            ends = Arrays.copyOf(ends, count * 2);
          }
          starts[count] = value.low();
          ends[count] = value.high();
        }
        default -> {
          if (value.kind() != Kind.STRING) {
            throw mismatch(value, "a string");
          }
          strings.add(checkedString(value, field));
        }
      }
      count++;
    }

    private ExpressionException mismatch(Token value, String expected) {
      return new ExpressionException(value.column(), "expected " + expected + " in a set for "
          + field + ", got " + value.literalKind());
    }

    Node build() {
      return switch (type) {
        case ADDRESS -> addressTest();
        case INTEGER -> {
          IntRanges ranges = IntRanges.of(starts, ends, count);
          yield new Node.IntegerTest(field, ranges);
        }
        default -> {
          Set<String> members = Set.copyOf(strings);
          yield new Node.StringTest(field, v -> Outcome.of(members.contains(v)));
        }
      };
    }

    private Node addressTest() {
      List<Token> v4 = addresses.stream().filter(t -> t.address().length == 4).toList();
      List<Token> v6 = addresses.stream().filter(t -> t.address().length == 16).toList();
      List<IpPrefix> prefixes = addresses.stream().map(t -> prefix(t.address(), t.prefixLength())).toList();
      return new Node.AddressTest(field, false, null, ranges(v4), ranges(v6), prefixes);
    }

    private static AddressRanges ranges(List<Token> tokens) {
      byte[][] bytes = new byte[tokens.size()][];
      int[] lengths = new int[tokens.size()];
      for (int i = 0; i < tokens.size(); i++) {
        bytes[i] = tokens.get(i).address();
        lengths[i] = tokens.get(i).prefixLength();
      }
      return AddressRanges.of(bytes, lengths, tokens.size());
    }
  }
}
