package dev.gatehouse.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ConfigNodeTest {

  private static ConfigMap map(String yaml, ConfigErrors errors) {
    return ConfigNode.parse(yaml, errors).orElseThrow().asMap(errors).orElseThrow();
  }

  @Test
  void reportsOutOfRangeNumberWithPathAndLine() {
    ConfigErrors errors = new ConfigErrors();
    String yaml = "tunnels:\n  - name: a\n  - name: b\n    mtu: 70000\n";
    ConfigNode second = map(yaml, errors).required("tunnels").orElseThrow().asList(errors).orElseThrow().get(1);
    ConfigMap tunnel = second.asMap(errors).orElseThrow();

    Optional<Integer> mtu = tunnel.required("mtu").orElseThrow().asInt(576, 9000, errors);

    assertTrue(mtu.isEmpty());
    assertEquals(List.of("tunnels[1].mtu: expected 576..9000, got 70000 (line 4)"),
        errors.list().stream().map(ConfigError::toString).toList());
  }

  @Test
  void refusesUnknownKeysAndNamesTheKnownOnes() {
    ConfigErrors errors = new ConfigErrors();
    ConfigMap root = map("proxy:\n  tcp:\n    conect-timeout: 5s\n", errors);
    ConfigMap tcp = root.required("proxy").orElseThrow().asMap(errors).orElseThrow()
        .required("tcp").orElseThrow().asMap(errors).orElseThrow();

    tcp.optional("connect-timeout");
    tcp.optional("idle-timeout");
    tcp.finish();

    ConfigError error = errors.list().getFirst();
    assertEquals("proxy.tcp.conect-timeout", error.path());
    assertEquals(3, error.line());
    assertEquals("unknown setting; expected one of connect-timeout, idle-timeout", error.message());
  }

  @Test
  void reportsMissingRequiredKeyAtItsMapping() {
    ConfigErrors errors = new ConfigErrors();
    ConfigMap root = map("a: 1\nb:\n  c: 2\n", errors);
    ConfigMap b = root.required("b").orElseThrow().asMap(errors).orElseThrow();

    assertTrue(b.required("name").isEmpty());
    assertEquals("b.name: required setting is missing (line 3)", errors.list().getFirst().toString());
  }

  @Test
  void refusesAKeySetTwice() {
    ConfigErrors errors = new ConfigErrors();
    map("a: 1\nb: 2\na: 3\n", errors);
    assertEquals("a: set twice in the same mapping (line 3)", errors.list().getFirst().toString());
  }

  @Test
  void reportsSyntaxErrorsWithTheirLine() {
    ConfigErrors errors = new ConfigErrors();
    assertTrue(ConfigNode.parse("a: 1\nb: [1, 2\nc: 3\n", errors).isEmpty());
    ConfigError error = errors.list().getFirst();
    assertTrue(error.message().startsWith("not valid YAML"), error.message());
    assertTrue(error.line() >= 2, "line " + error.line());
  }

  @Test
  void refusesGlobalTagsInsteadOfConstructingObjects() {
    ConfigErrors errors = new ConfigErrors();
    String yaml = "x: !!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[]]]\n";
    assertTrue(ConfigNode.parse(yaml, errors).isEmpty());
    ConfigError error = errors.list().getFirst();
    assertEquals(1, error.line());
    assertTrue(error.message().startsWith("not valid YAML"), error.message());
  }

  @Test
  void capsAliasExpansion() {
    StringBuilder yaml = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 30; i++) {
      yaml.append("a").append(i).append(": &a").append(i).append(" [*a").append(i - 1)
          .append(", *a").append(i - 1).append("]\n");
    }
    ConfigErrors errors = new ConfigErrors();
    assertTrue(ConfigNode.parse(yaml.toString(), errors).isEmpty());
    assertFalse(errors.isEmpty());
  }

  @Test
  void readsDurationsInTheUnitsPeopleWrite() {
    ConfigErrors errors = new ConfigErrors();
    ConfigMap m = map("a: 30s\nb: 8h\nc: 250ms\nd: 1h30m\ne: 2d\n", errors);
    Duration min = Duration.ofMillis(1);
    Duration max = Duration.ofDays(7);
    assertEquals(Duration.ofSeconds(30), m.required("a").orElseThrow().asDuration(min, max, errors).orElseThrow());
    assertEquals(Duration.ofHours(8), m.required("b").orElseThrow().asDuration(min, max, errors).orElseThrow());
    assertEquals(Duration.ofMillis(250), m.required("c").orElseThrow().asDuration(min, max, errors).orElseThrow());
    assertEquals(Duration.ofMinutes(90), m.required("d").orElseThrow().asDuration(min, max, errors).orElseThrow());
    assertEquals(Duration.ofDays(2), m.required("e").orElseThrow().asDuration(min, max, errors).orElseThrow());
    assertTrue(errors.isEmpty(), errors.list().toString());
  }

  @Test
  void refusesDurationsWithoutUnitOrOutOfRange() {
    ConfigErrors errors = new ConfigErrors();
    ConfigMap m = map("a: 30\nb: 9d\nc: 5 minutes\n", errors);
    Duration max = Duration.ofDays(7);
    assertTrue(m.required("a").orElseThrow().asDuration(Duration.ofSeconds(1), max, errors).isEmpty());
    assertTrue(m.required("b").orElseThrow().asDuration(Duration.ofSeconds(1), max, errors).isEmpty());
    assertTrue(m.required("c").orElseThrow().asDuration(Duration.ofSeconds(1), max, errors).isEmpty());
    List<String> messages = errors.list().stream().map(ConfigError::toString).toList();
    assertEquals("a: expected a duration like 30s, 5m or 8h, from 1s to 7d, got \"30\" (line 1)", messages.get(0));
    assertEquals("b: expected 1s..7d, got 9d (line 2)", messages.get(1));
    assertEquals(3, messages.size());
  }

  @Test
  void readsSizesAddressesAndPrefixes() throws Exception {
    ConfigErrors errors = new ConfigErrors();
    ConfigMap m = map("s: 100MiB\nk: 64KB\na: 198.18.1.2\nv6: 2001:2::1\n"
        + "l: \"[::1]:3128\"\nl4: 127.0.0.1:8080\np: 198.18.40.1/31\n", errors);
    assertEquals(100L << 20, m.required("s").orElseThrow().asByteSize(1, 1L << 40, errors).orElseThrow());
    assertEquals(64_000L, m.required("k").orElseThrow().asByteSize(1, 1L << 40, errors).orElseThrow());
    assertEquals(InetAddress.getByName("198.18.1.2"), m.required("a").orElseThrow().asAddress(errors).orElseThrow());
    assertEquals(InetAddress.getByName("2001:2::1"), m.required("v6").orElseThrow().asAddress(errors).orElseThrow());
    assertEquals(new InetSocketAddress(InetAddress.getByName("::1"), 3128),
        m.required("l").orElseThrow().asSocketAddress(errors).orElseThrow());
    assertEquals(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 8080),
        m.required("l4").orElseThrow().asSocketAddress(errors).orElseThrow());
    IpPrefix prefix = m.required("p").orElseThrow().asPrefix(errors).orElseThrow();
    assertEquals("198.18.40.1/31", prefix.toString());
    assertTrue(prefix.contains(InetAddress.getByName("198.18.40.0")));
    assertFalse(prefix.contains(InetAddress.getByName("198.18.40.2")));
    assertTrue(errors.isEmpty(), errors.list().toString());
  }

  @Test
  void refusesHostNamesWhereAnAddressIsExpected() {
    ConfigErrors errors = new ConfigErrors();
    ConfigMap m = map("a: localhost\nl: \"::1:80\"\np: 198.18.0.0/33\nb: yes\n", errors);
    assertTrue(m.required("a").orElseThrow().asAddress(errors).isEmpty());
    assertTrue(m.required("l").orElseThrow().asSocketAddress(errors).isEmpty());
    assertTrue(m.required("p").orElseThrow().asPrefix(errors).isEmpty());
    assertTrue(m.required("b").orElseThrow().asBoolean(errors).isEmpty());
    assertEquals(4, errors.list().size());
    assertEquals("b: expected true or false, got \"yes\" (line 4)", errors.list().get(3).toString());
  }

  @Test
  void quotesHostileValuesOnOneLine() {
    ConfigErrors errors = new ConfigErrors();
    ConfigMap m = map("a: \"x\\ny\\u0007" + "z".repeat(100) + "\"\n", errors);
    m.required("a").orElseThrow().asInt(1, 2, errors);
    String message = errors.list().getFirst().message();
    assertFalse(message.contains("\n"), message);
    assertTrue(message.contains("x\\x0ay\\x07"), message);
    assertTrue(message.length() < 120, message);
  }

  @Test
  void readsSecretsFromFileAndEnvironmentWithoutPrintingThem() throws Exception {
    java.nio.file.Path file = java.nio.file.Files.createTempFile("gatehouse-secret", ".txt");
    try {
      java.nio.file.Files.writeString(file, "file-secret-value\n");
      SecretSource source = SecretSource.of(Map.of("GH_PSK", "env-secret-value"));
      ConfigErrors errors = new ConfigErrors();
      ConfigMap m = map("f: {file: " + file + "}\ne: {env: GH_PSK}\nt: inline-secret-value\n", errors);

      Secret fromFile = m.required("f").orElseThrow().asSecret(source, errors).orElseThrow();
      Secret fromEnv = m.required("e").orElseThrow().asSecret(source, errors).orElseThrow();
      Secret inline = m.required("t").orElseThrow().asSecret(source, errors).orElseThrow();

      assertEquals("file-secret-value", fromFile.revealText());
      assertEquals("env-secret-value", fromEnv.revealText());
      assertEquals("inline-secret-value", inline.revealText());
      assertEquals("<redacted>", fromEnv.toString());
      assertTrue(errors.isEmpty(), errors.list().toString());
    } finally {
      java.nio.file.Files.delete(file);
    }
  }

  @Test
  void reportsUnreadableSecretsByNameOnly() {
    SecretSource source = SecretSource.of(Map.of());
    ConfigErrors errors = new ConfigErrors();
    ConfigMap m = map("f: {file: /nonexistent/psk}\ne: {env: GH_MISSING}\nb: {file: a, env: b}\n", errors);

    m.required("f").orElseThrow().asSecret(source, errors);
    m.required("e").orElseThrow().asSecret(source, errors);
    m.required("b").orElseThrow().asSecret(source, errors);

    List<String> messages = errors.list().stream().map(ConfigError::toString).toList();
    assertEquals(List.of(
        "f: cannot read secret file /nonexistent/psk (line 1)",
        "e: environment variable GH_MISSING is not set (line 2)",
        "b: expected exactly one of file or env (line 3)"), messages);
  }

  @Test
  void neverQuotesAnInlineSecretInAnError() {
    ConfigErrors errors = new ConfigErrors();
    ConfigMap m = map("s: [hunter2-secret]\n", errors);
    m.required("s").orElseThrow().asSecret(SecretSource.of(Map.of()), errors);
    assertFalse(errors.list().toString().contains("hunter2"), errors.list().toString());
  }
}
