package dev.gatehouse.core.policy.expr;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ExpressionErrorTest {

  private static ExpressionException refusal(String text) {
    return assertThrows(ExpressionException.class, () -> Expression.compile(text), text);
  }

  static Stream<Arguments> badInputs() {
    return Stream.of(
        // syntax
        arguments("net.dst.port in ", 17, "expected a value after 'in', got end of input"),
        arguments("", 1, "expected a field, 'not', 'any' or '(', got end of input"),
        arguments("not", 4, "expected a field, 'not', 'any' or '(', got end of input"),
        arguments("net.sni.host == \"a\" and", 24, "expected a field, 'not', 'any' or '(', got end of input"),
        arguments("net.dst.port == 22 and or", 24, "expected a field, 'not', 'any' or '(', got 'or'"),
        arguments("net.dst.port", 13, "expected an operator after 'net.dst.port', got end of input"),
        arguments("net.dst.port == ", 17, "expected a value after '==', got end of input"),
        arguments("net.dst.port == net.src.port", 17, "expected a value after '==', got 'net.src.port'"),
        arguments("(net.dst.port == 22", 20, "expected ')' to close '(' at column 1, got end of input"),
        arguments("net.dst.port == 22)", 19, "expected 'and', 'or' or end of input, got ')'"),
        arguments("net.dst.port == 22 net.dst.port == 23", 20,
            "expected 'and', 'or' or end of input, got 'net.dst.port'"),
        arguments("net.dst.port in 22", 17, "expected a set such as {80 443} after 'in', got '22'"),
        arguments("net.dst.port in {}", 18, "expected at least one value in the set"),
        arguments("net.dst.port in {80 443", 24,
            "expected a value or '}' in the set opened at column 17, got end of input"),
        arguments("net.dst.port in {80 (443)}", 21,
            "expected a value or '}' in the set opened at column 17, got '('"),
        arguments("net.sni.host matches 5", 22, "expected a string after 'matches', got '5'"),
        // lexical
        arguments("net.dst.port = 22", 14, "expected '==', got '='"),
        arguments("net.dst.port == 22 & net.dst.port == 1", 20, "expected '&&', got '&'"),
        arguments("net.dst.port == 22 | x", 20, "expected '||', got '|'"),
        arguments("any(net.sni.domains[0] == \"a\")", 20, "expected '[*]', got '['"),
        arguments("net.dst.port == 22 # comment", 20, "unexpected character '#'"),
        arguments("net.dst.port == 22\u0000", 19, "unexpected character U+0000"),
        arguments("Net.Dst.Port == 1", 1, "'Net.Dst.Port' is not a field name"),
        arguments("net.sni.host == \"abc", 21, "expected '\"' to close the string at column 17, got end of input"),
        arguments("net.sni.host == \"a\\qb\"", 19,
            "unknown escape '\\q'; expected one of \\\" \\\\ \\n \\t \\r \\xHH"),
        arguments("net.sni.host == \"\\x4\"", 18, "expected two hex digits after '\\x'"),
        arguments("net.sni.host == \"\\", 19, "expected an escape after '\\', got end of input"),
        arguments("net.dst.ip == 198.18.0", 15, "'198.18.0' is not an IP address"),
        arguments("net.dst.ip == 2001:::1", 15, "'2001:::1' is not an IP address"),
        arguments("net.dst.ip in {198.18.0.0/33}", 16, "'198.18.0.0/33' is not a CIDR such as 198.18.0.0/24"),
        arguments("net.dst.port == 9999999999999", 17, "integer 9999999999999 is too large"),
        arguments("net.dst.port in {9000..8000}", 18, "range 9000..8000 ends before it starts"),
        // fields and types
        arguments("net.foo == 1", 1, "unknown field 'net.foo'"),
        arguments("net.sni.domains == \"a\"", 1,
            "net.sni.domains is an array; write any(net.sni.domains[*] == \"...\")"),
        arguments("net.dst.port == \"22\"", 17, "expected an integer for net.dst.port, got a string"),
        arguments("net.sni.host == 443", 17, "expected a string for net.sni.host, got an integer"),
        arguments("net.dst.ip == \"198.18.0.1\"", 15, "expected an address for net.dst.ip, got a string"),
        arguments("net.vnet_id == 2001:2::1", 16, "expected an integer for net.vnet_id, got an address"),
        arguments("net.dst.ip == 198.18.0.0/24", 15,
            "a CIDR is only allowed inside a set, as in {198.18.0.0/24}"),
        arguments("net.dst.port == 8000..8100", 17, "a range is only allowed inside a set, as in {8000..8100}"),
        arguments("net.dst.port matches \"2\"", 14, "'matches' needs a string field; net.dst.port is an integer"),
        arguments("net.src.ip matches \"2\"", 12, "'matches' needs a string field; net.src.ip is an address"),
        arguments("net.sni.host > 3", 14, "'>' needs an integer field; net.sni.host is a string"),
        arguments("net.dst.ip >= 198.18.0.1", 12, "'>=' needs an integer field; net.dst.ip is an address"),
        arguments("net.dst.port == 70000", 17, "value 70000 is outside net.dst.port's range 0..65535"),
        arguments("net.src.port in {80 70000..70001}", 21, "value 70001 is outside net.src.port's range 0..65535"),
        arguments("net.vnet_id == 4294967296", 16, "value 4294967296 is outside net.vnet_id's range 0..4294967295"),
        arguments("net.dst.port in {80 \"443\"}", 21,
            "expected an integer or range in a set for net.dst.port, got a string"),
        arguments("net.dst.ip in {198.18.0.0/24 22}", 30,
            "expected an address or CIDR in a set for net.dst.ip, got an integer"),
        arguments("net.sni.host in {\"a\" 198.18.0.1}", 22,
            "expected a string in a set for net.sni.host, got an address"),
        arguments("net.protocol == \"tcpx\"", 17, "expected tcp, udp or icmp for net.protocol, got '\"tcpx\"'"),
        arguments("net.protocol in {\"udp\" \"sctp\"}", 24,
            "expected tcp, udp or icmp for net.protocol, got '\"sctp\"'"),
        arguments("net.sni.host matches \"(\"", 22, "invalid regular expression: Unclosed group near index 1"),
        // any()
        arguments("any net.sni.domains", 5, "expected '(' after 'any', got 'net.sni.domains'"),
        arguments("any(22)", 5, "expected an array field such as net.sni.domains inside any(), got '22'"),
        arguments("any(net.sni.host[*] == \"a\")", 5, "any() needs an array field; net.sni.host is a string"),
        arguments("any(net.sni.domains == \"a\")", 21, "expected '[*]' after 'net.sni.domains', got '=='"),
        arguments("any(net.sni.domains[*] == \"a\"", 30, "expected ')' to close 'any(' at column 1, got end of input"),
        arguments("any(net.sni.domains[*] > 1)", 24, "'>' needs an integer field; net.sni.domains[*] is a string"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("badInputs")
  void namesTheColumnAndWhatWasExpected(String text, int column, String reason) {
    ExpressionException e = refusal(text);

    assertEquals(column, e.column());
    assertEquals(reason, e.reason());
    assertEquals("column " + column + ": " + reason, e.getMessage());
  }

  @Test
  void shortensLongTokensInMessages() {
    String word = "a".repeat(100);
    ExpressionException e = refusal("net.dst.port == 22 " + word);

    assertEquals("expected 'and', 'or' or end of input, got '" + "a".repeat(40) + "...'", e.reason());
  }

  @Nested
  class Bounds {
    @Test
    void refusesTextLongerThanTheLimit() {
      String fits = "net.dst.port == 22" + " ".repeat(Expression.MAX_LENGTH_CHARS - 18);
      assertDoesNotThrow(() -> Expression.compile(fits));

      ExpressionException e = refusal(fits + " ");
      assertEquals(Expression.MAX_LENGTH_CHARS + 1, e.column());
      assertEquals("expression is longer than 131072 characters", e.reason());
    }

    @Test
    void refusesParenthesesNestedDeeperThanTheLimit() {
      String fits = "(".repeat(64) + "net.dst.port == 1" + ")".repeat(64);
      assertDoesNotThrow(() -> Expression.compile(fits));

      ExpressionException e = refusal("(".repeat(65) + "net.dst.port == 1" + ")".repeat(65));
      assertEquals(65, e.column());
      assertEquals("expression nests deeper than 64 levels", e.reason());
    }

    @Test
    void countsNotAndAnyTowardsTheDepth() {
      assertDoesNotThrow(() -> Expression.compile("not ".repeat(63) + "any(net.sni.domains[*] == \"a\")"));

      ExpressionException nots = refusal("not ".repeat(65) + "net.dst.port == 1");
      assertEquals(64 * 4 + 1, nots.column());
      ExpressionException any = refusal("not ".repeat(64) + "any(net.sni.domains[*] == \"a\")");
      assertEquals(64 * 4 + 1, any.column());
      assertEquals("expression nests deeper than 64 levels", any.reason());
    }

    @Test
    void refusesSetsLargerThanTheLimit() {
      String fits = IntStream.range(0, 10_000).mapToObj(i -> Integer.toString(i % 65536))
          .collect(Collectors.joining(" ", "net.dst.port in {", "}"));
      assertDoesNotThrow(() -> Expression.compile(fits));

      String prefix = fits.substring(0, fits.length() - 1) + " ";
      ExpressionException e = refusal(prefix + "7}");
      assertEquals(prefix.length() + 1, e.column());
      assertEquals("set has more than 10000 values", e.reason());
    }

    @Test
    void refusesRegularExpressionsLongerThanTheLimit() {
      assertDoesNotThrow(() -> Expression.compile("net.site matches \"" + "a".repeat(1024) + "\""));

      ExpressionException e = refusal("net.site matches \"" + "a".repeat(1025) + "\"");
      assertEquals(18, e.column());
      assertEquals("regular expression longer than 1024 characters", e.reason());
    }

    @Test
    void evaluatesLongOrChainsWithoutDeepRecursion() throws ExpressionException {
      String chain = IntStream.range(0, 5_000).mapToObj(i -> "net.dst.port == " + (i + 100))
          .collect(Collectors.joining(" or "));
      Expression expression = Expression.compile(chain + " or net.dst.port == 22");

      assertEquals(Outcome.MATCH, expression.evaluate(Facts.unknown().dstPort(22)));
      assertEquals(Outcome.NO_MATCH, expression.evaluate(Facts.unknown().dstPort(23)));
    }
  }
}
