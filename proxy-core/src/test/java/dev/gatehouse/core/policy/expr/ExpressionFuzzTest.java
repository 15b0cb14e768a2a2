package dev.gatehouse.core.policy.expr;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Hostile or broken config must be refused with an {@link ExpressionException} and nothing
 * else, in bounded time; what compiles must evaluate without throwing.
 */
class ExpressionFuzzTest {
  private static final long SEED = 0x9a7e_4011_5eedL;
  private static final int RANDOM_FACTS_PER_EXPRESSION = 3;
  private static final int ROUNDS = 20_000;

  private static final List<String> VALID = List.of(
      "net.dst.ip in {198.18.0.0/24 2001:2::/48 198.19.0.5} and net.dst.port == 22",
      "net.dst.port in {80 443 8000..8100} or not (net.protocol == \"udp\")",
      "any(net.sni.domains[*] == \"example.com\") and net.detected_protocol == \"tls\"",
      "http.request.host matches \"^(www\\\\.)?example\\\\.(com|org)$\" || net.site != \"lab\"",
      "not(net.tunnel.name in {\"gre-1\" \"ipsec-2\"}) && net.vnet_id >= 3 && net.src.port < 1024",
      "net.src.ip == 2001:2::1 or net.src.ip != 198.18.0.1 and net.sni.host eq r\"a\\b\"",
      // the examples of docs/POLICY-EXPRESSIONS.md
      "net.dst.ip in {198.18.0.0/24 2001:2::/48} and net.dst.port in {22 3389}",
      "any(net.sni.domains[*] in {\"example.com\" \"example.org\"})",
      "http.request.host matches r\"(^|\\.)example\\.net$\"",
      "net.protocol == \"udp\" and net.detected_protocol == \"quic\" and not net.dst.port == 443\n"
          + "  and net.tunnel.name == \"branch-gre\"",
      "net.vnet_id == 7 and not (net.protocol == \"udp\" and net.dst.port == 53)",
      "any(net.sni.domains[*] == \"example.com\")");

  private static final List<String> PIECES = List.of(
      "net.dst.port", "net.src.ip", "net.sni.domains", "net.sni.host", "any", "(", ")", "{", "}",
      "[*]", "==", "!=", ">=", "<", "in", "matches", "and", "or", "not", "!", "&&", "||", "\"",
      "\\", "\"a\\x4", "r\"", "22", "8000..80", "198.18.0.0/24", "2001:2::", "::", "/", ":", ".",
      " ", "\n", "\u0000", "\u00e9", "\ud83d", "9999999999999999999999", "*", "[", "]", "=", "&", "|");

  private static final List<FlowFacts> FACTS = List.of(
      Facts.unknown(),
      Facts.firstPacket("198.18.0.10", 40000, "198.18.1.20", 22),
      Facts.firstPacket("2001:2::10", 5353, "2001:2::1", 443).sni("www.example.com").host("")
          .detected("tls"),
      Facts.unknown().protocol("icmp").srcPort(FlowFacts.NO_PORT).dstPort(FlowFacts.NO_PORT).sni(""));

  @Test
  void refusesGarbageOnlyWithExpressionException() {
    Random random = new Random(SEED);
    assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
      for (int round = 0; round < ROUNDS; round++) {
        StringBuilder text = new StringBuilder();
        int pieces = random.nextInt(12);
        for (int i = 0; i < pieces; i++) {
          text.append(random.nextBoolean() ? PIECES.get(random.nextInt(PIECES.size()))
              : Character.toString((char) random.nextInt(128)));
        }
        check(text.toString(), random);
      }
    });
  }

  @Test
  void refusesMutatedExpressionsOnlyWithExpressionException() {
    Random random = new Random(SEED + 1);
    int[] compiled = {0};
    assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
      for (int round = 0; round < ROUNDS; round++) {
        String text = VALID.get(random.nextInt(VALID.size()));
        int mutations = 1 + random.nextInt(3);
        for (int i = 0; i < mutations; i++) {
          text = mutate(text, random);
        }
        if (check(text, random)) {
          compiled[0]++;
        }
      }
    });
    // the mutations must exercise evaluation too, not only the error paths
    assertTrue(compiled[0] > ROUNDS / 50, "only " + compiled[0] + " mutants compiled");
  }

  @Test
  void compilesEveryUnmutatedSeed() throws ExpressionException {
    for (String text : VALID) {
      Expression.compile(text);
    }
  }

  @Test
  void refusesOrCompilesHugeHostileTextWithoutOverflowingTheStack() {
    Random random = new Random(SEED + 2);
    int room = Expression.MAX_LENGTH_CHARS;
    List<String> hostile = List.of(
        "not ".repeat(room / 4 - 10) + "net.dst.port == 1",
        "(".repeat(room - 20) + "net.dst.port == 1",
        "!".repeat(room - 20) + "net.dst.port == 1",
        "any(".repeat(room / 4 - 10),
        "net.dst.port == 1 and ".repeat(room / 22 - 1) + "net.dst.port == 2",
        "net.dst.port == 1 or ".repeat(room / 21 - 1) + "net.dst.port == 2",
        "net.dst.port in {" + "1 ".repeat(room / 2 - 20) + "}",
        "net.sni.host matches \"" + "(".repeat(1000) + "\"",
        "\"" + "\\x".repeat(room / 3 - 1));
    assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
      for (String text : hostile) {
        check(text, random);
      }
    });
  }

  /** Facts with each field unknown, absent, ordinary or odd, chosen at random. */
  private static FlowFacts randomFacts(Random random) {
    Facts facts = Facts.unknown();
    if (random.nextBoolean()) {
      facts.src(randomAddress(random).getHostAddress());
    }
    if (random.nextBoolean()) {
      facts.dst(randomAddress(random).getHostAddress());
    }
    facts.srcPort(randomPort(random)).dstPort(randomPort(random));
    facts.protocol(randomString(random)).sni(randomString(random)).host(randomString(random))
        .detected(randomString(random)).tunnel(randomString(random)).site(randomString(random));
    long[] vnets = {FlowFacts.UNKNOWN_VNET, 0, 7, 0xFFFF_FFFFL, random.nextInt() & 0xFFFF_FFFFL};
    return facts.vnet(vnets[random.nextInt(vnets.length)]);
  }

  private static InetAddress randomAddress(Random random) {
    byte[] bytes = new byte[random.nextBoolean() ? 4 : 16];
    random.nextBytes(bytes);
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  private static int randomPort(Random random) {
    int[] ports = {FlowFacts.UNKNOWN_PORT, FlowFacts.NO_PORT, 0, 22, 443, 65535, random.nextInt(65536)};
    return ports[random.nextInt(ports.length)];
  }

  private static String randomString(Random random) {
    String[] values = {null, "", "tcp", "udp", "icmp", "tls", "example.com", "www.example.com",
        "a.".repeat(120) + "example.net", "gre-1", "lab", "\u0000\u00e9\ud83d"};
    if (random.nextInt(4) > 0) {
      return values[random.nextInt(values.length)];
    }
    StringBuilder text = new StringBuilder();
    int length = random.nextInt(260);
    for (int i = 0; i < length; i++) {
      text.append((char) (random.nextBoolean() ? 'a' + random.nextInt(26) : random.nextInt(0x80)));
    }
    return text.toString();
  }

  private static String mutate(String text, Random random) {
    int at = random.nextInt(text.length() + 1);
    return switch (random.nextInt(4)) {
      case 0 -> text.substring(0, at) + text.substring(Math.min(text.length(), at + 1 + random.nextInt(4)));
      case 1 -> text.substring(0, at) + PIECES.get(random.nextInt(PIECES.size())) + text.substring(at);
      case 2 -> text.substring(0, at);
      default -> {
        // duplicate a slice, which nests parentheses and repeats operators
        int end = Math.min(text.length(), at + random.nextInt(30));
        yield text.substring(0, end) + text.substring(at);
      }
    };
  }

  /** Compiles and evaluates {@code text}; true when it compiled. */
  private static boolean check(String text, Random random) {
    Expression expression;
    try {
      expression = Expression.compile(text);
    } catch (ExpressionException e) {
      if (e.column() < 1 || e.column() > text.length() + 1) {
        fail("column " + e.column() + " outside the text of " + text.length() + " characters: " + text);
      }
      return false;
    } catch (RuntimeException | Error e) {
      throw new AssertionError("compiling threw " + e + " for: " + text, e);
    }
    List<FlowFacts> all = new ArrayList<>(FACTS);
    for (int i = 0; i < RANDOM_FACTS_PER_EXPRESSION; i++) {
      all.add(randomFacts(random));
    }
    for (FlowFacts facts : all) {
      try {
        assertNotNull(expression.evaluate(facts));
      } catch (RuntimeException | StackOverflowError e) {
        throw new AssertionError("evaluating threw " + e + " for: " + text, e);
      }
    }
    return true;
  }
}
