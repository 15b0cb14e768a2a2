package dev.gatehouse.core.config;

import io.netty.util.NetUtil;
import java.io.Reader;
import java.io.StringReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * One value in a YAML configuration document, with its path and line, and typed readers
 * that record what was expected in a {@link ConfigErrors} instead of throwing. Every
 * reader returns {@link Optional#empty()} when the value is wrong, so a whole document is
 * checked in one pass.
 *
 * <p>Only the YAML node graph is composed: no Java object is ever constructed from a tag,
 * and aliases are capped, so a hostile file can neither run code nor expand without bound.
 */
public final class ConfigNode {
  /** Longest text of a value quoted back in a message. */
  private static final int QUOTE_LIMIT_CHARS = 40;
  private static final Pattern DURATION_PART = Pattern.compile("(\\d{1,9})(ms|s|m|h|d)");
  private static final Pattern BYTE_SIZE = Pattern.compile("(\\d{1,12})\\s*(B|KiB|MiB|GiB|KB|MB|GB)?");

  private final Node node;
  private final String path;

  ConfigNode(Node node, String path) {
    this.node = node;
    this.path = path;
  }

  /**
   * Parses a document. A syntax error is recorded with its line and the result is empty;
   * an empty document reads as an empty mapping.
   */
  public static Optional<ConfigNode> parse(Reader text, ConfigErrors errors) {
    LoaderOptions options = new LoaderOptions();
    options.setMaxAliasesForCollections(20);
    options.setAllowRecursiveKeys(false);
    options.setNestingDepthLimit(40);
    options.setCodePointLimit(4 * 1024 * 1024);
    try {
      Node root = new Yaml(options).compose(text);
      if (root == null) {
        return Optional.of(new ConfigNode(new MappingNode(Tag.MAP, List.of(), DumperOptions.FlowStyle.BLOCK), ""));
      }
      return Optional.of(new ConfigNode(root, ""));
    } catch (MarkedYAMLException e) {
      Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
      int line = mark == null ? 0 : mark.getLine() + 1;
      errors.add("", line, "not valid YAML: " + e.getProblem());
      return Optional.empty();
    } catch (YAMLException e) {
      boolean encoding = e.getCause() instanceof java.nio.charset.CharacterCodingException;
      errors.add("", 0, encoding ? "not UTF-8 text" : "not valid YAML: " + e.getMessage());
      return Optional.empty();
    }
  }

  /** Parses a document held in a string (tests, built-in defaults). */
  public static Optional<ConfigNode> parse(String text, ConfigErrors errors) {
    return parse(new StringReader(text), errors);
  }

  /** The path of this value, such as {@code tunnels[1].mtu}; empty for the document. */
  public String path() {
    return path;
  }

  /** The 1-based line this value starts on, or 0 when it has no place in a file. */
  public int line() {
    Mark mark = node.getStartMark();
    return mark == null ? 0 : mark.getLine() + 1;
  }

  public boolean isMapping() {
    return node instanceof MappingNode;
  }

  public boolean isSequence() {
    return node instanceof SequenceNode;
  }

  /** True for an explicit {@code null}, {@code ~} or an empty value. */
  public boolean isNull() {
    return node instanceof ScalarNode s && s.getTag().equals(Tag.NULL);
  }

  /** This value as a mapping whose keys are checked off as they are read. */
  public Optional<ConfigMap> asMap(ConfigErrors errors) {
    if (node instanceof MappingNode mapping) {
      return ConfigMap.of(this, mapping, errors);
    }
    errors.add(this, "expected a mapping of settings, got " + describe());
    return Optional.empty();
  }

  /** This value as a list; an explicit null reads as an empty list. */
  public Optional<List<ConfigNode>> asList(ConfigErrors errors) {
    if (isNull()) {
      return Optional.of(List.of());
    }
    if (node instanceof SequenceNode sequence) {
      List<ConfigNode> items = new ArrayList<>();
      for (Node item : sequence.getValue()) {
        items.add(new ConfigNode(item, path + "[" + items.size() + "]"));
      }
      return Optional.of(items);
    }
    errors.add(this, "expected a list, got " + describe());
    return Optional.empty();
  }

  /** A scalar's text; mappings, lists and nulls are refused. */
  public Optional<String> asString(ConfigErrors errors) {
    if (node instanceof ScalarNode scalar && !isNull()) {
      return Optional.of(scalar.getValue());
    }
    errors.add(this, "expected a text value, got " + describe());
    return Optional.empty();
  }

  /** A whole number within {@code [min, max]}. */
  public Optional<Integer> asInt(int min, int max, ConfigErrors errors) {
    Optional<String> text = scalarOrError(min + ".." + max, errors);
    if (text.isEmpty()) {
      return Optional.empty();
    }
    try {
      int value = Integer.parseInt(text.get().replace("_", ""));
      if (value >= min && value <= max) {
        return Optional.of(value);
      }
    } catch (NumberFormatException e) {
      // reported below, with the range the user should aim for
    }
    String got = text.get().matches("-?\\d{1,30}") ? text.get() : quote(text.get());
    errors.add(this, "expected " + min + ".." + max + ", got " + got);
    return Optional.empty();
  }

  /** {@code true} or {@code false}; YAML 1.1's yes/no/on/off are refused as ambiguous. */
  public Optional<Boolean> asBoolean(ConfigErrors errors) {
    Optional<String> text = scalarOrError("true or false", errors);
    if (text.isEmpty()) {
      return Optional.empty();
    }
    return switch (text.get()) {
      case "true" -> Optional.of(true);
      case "false" -> Optional.of(false);
      default -> {
        errors.add(this, "expected true or false, got " + quote(text.get()));
        yield Optional.empty();
      }
    };
  }

  /**
   * A duration such as {@code 30s}, {@code 8h}, {@code 250ms} or {@code 1h30m} (units ms, s,
   * m, h, d), within {@code [min, max]}.
   */
  public Optional<Duration> asDuration(Duration min, Duration max, ConfigErrors errors) {
    String expected = "a duration like 30s, 5m or 8h, from " + format(min) + " to " + format(max);
    Optional<String> text = scalarOrError(expected, errors);
    if (text.isEmpty()) {
      return Optional.empty();
    }
    Optional<Duration> parsed = parseDuration(text.get().trim());
    if (parsed.isEmpty()) {
      errors.add(this, "expected " + expected + ", got " + quote(text.get()));
      return Optional.empty();
    }
    if (parsed.get().compareTo(min) < 0 || parsed.get().compareTo(max) > 0) {
      errors.add(this, "expected " + format(min) + ".." + format(max) + ", got " + text.get().trim());
      return Optional.empty();
    }
    return parsed;
  }

  /** A size in bytes such as {@code 100MiB} (B, KiB, MiB, GiB; KB, MB, GB are decimal). */
  public Optional<Long> asByteSize(long minBytes, long maxBytes, ConfigErrors errors) {
    String expected = "a size like 64KiB or 100MiB, from " + minBytes + " to " + maxBytes + " bytes";
    Optional<String> text = scalarOrError(expected, errors);
    if (text.isEmpty()) {
      return Optional.empty();
    }
    Matcher m = BYTE_SIZE.matcher(text.get().trim());
    if (m.matches()) {
      long unit = switch (m.group(2) == null ? "B" : m.group(2)) {
        case "KiB" -> 1L << 10;
        case "MiB" -> 1L << 20;
        case "GiB" -> 1L << 30;
        case "KB" -> 1_000L;
        case "MB" -> 1_000_000L;
        case "GB" -> 1_000_000_000L;
        default -> 1L;
      };
      long value = Long.parseLong(m.group(1));
      if (value <= Long.MAX_VALUE / unit && value * unit >= minBytes && value * unit <= maxBytes) {
        return Optional.of(value * unit);
      }
    }
    errors.add(this, "expected " + expected + ", got " + quote(text.get()));
    return Optional.empty();
  }

  /** A literal IPv4 or IPv6 address. Names are refused: a configuration never waits on DNS. */
  public Optional<InetAddress> asAddress(ConfigErrors errors) {
    Optional<String> text = scalarOrError("an IPv4 or IPv6 address", errors);
    if (text.isEmpty()) {
      return Optional.empty();
    }
    InetAddress address = NetUtil.createInetAddressFromIpAddressString(text.get().trim());
    if (address == null) {
      errors.add(this, "expected an IPv4 or IPv6 address, got " + quote(text.get()));
      return Optional.empty();
    }
    return Optional.of(address);
  }

  /** An address and port: {@code 127.0.0.1:3128} or {@code [::1]:3128}. */
  public Optional<InetSocketAddress> asSocketAddress(ConfigErrors errors) {
    String expected = "an address and port like 127.0.0.1:3128 or [::1]:3128";
    Optional<String> text = scalarOrError(expected, errors);
    if (text.isEmpty()) {
      return Optional.empty();
    }
    String value = text.get().trim();
    int colon = value.lastIndexOf(':');
    if (colon > 0) {
      String host = value.substring(0, colon);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      } else if (host.indexOf(':') >= 0) {
        host = null; // an IPv6 address needs brackets, or the port cannot be told apart
      }
      InetAddress address = host == null ? null : NetUtil.createInetAddressFromIpAddressString(host);
      Integer port = parsePort(value.substring(colon + 1));
      if (address != null && port != null) {
        return Optional.of(new InetSocketAddress(address, port));
      }
    }
    errors.add(this, "expected " + expected + ", got " + quote(value));
    return Optional.empty();
  }

  /** An address prefix such as {@code 198.18.40.0/31} or {@code 2001:2::/48}. */
  public Optional<IpPrefix> asPrefix(ConfigErrors errors) {
    String expected = "an address prefix like 198.18.40.0/31 or 2001:2::/64";
    Optional<String> text = scalarOrError(expected, errors);
    if (text.isEmpty()) {
      return Optional.empty();
    }
    Optional<IpPrefix> prefix = IpPrefix.parse(text.get().trim());
    if (prefix.isEmpty()) {
      errors.add(this, "expected " + expected + ", got " + quote(text.get()));
    }
    return prefix;
  }

  /** One of the given words, compared exactly. */
  public Optional<String> asChoice(List<String> choices, ConfigErrors errors) {
    String expected = "one of " + String.join(", ", choices);
    Optional<String> text = scalarOrError(expected, errors);
    if (text.isPresent() && choices.contains(text.get())) {
      return text;
    }
    text.ifPresent(t -> errors.add(this, "expected " + expected + ", got " + quote(t)));
    return Optional.empty();
  }

  /**
   * A secret: {@code {file: /path}} reads the file (one trailing newline dropped),
   * {@code {env: NAME}} reads an environment variable, and a plain text value is taken as
   * it stands. Messages name the file or variable, never what it holds.
   */
  public Optional<Secret> asSecret(SecretSource source, ConfigErrors errors) {
    if (node instanceof ScalarNode && !isNull()) {
      return asString(errors).map(Secret::of);
    }
    if (!(node instanceof MappingNode)) {
      errors.add(this, "expected a secret: text, {file: PATH} or {env: NAME}, got " + describe());
      return Optional.empty();
    }
    Optional<ConfigMap> map = asMap(errors);
    if (map.isEmpty()) {
      return Optional.empty();
    }
    Optional<String> file = map.get().optional("file").flatMap(n -> n.asString(errors));
    Optional<String> env = map.get().optional("env").flatMap(n -> n.asString(errors));
    map.get().finish();
    if (file.isPresent() == env.isPresent()) {
      errors.add(this, "expected exactly one of file or env");
      return Optional.empty();
    }
    Optional<Secret> secret = file.isPresent() ? source.file(file.get()) : source.env(env.get());
    if (secret.isEmpty()) {
      errors.add(this, file.isPresent()
          ? "cannot read secret file " + file.get()
          : "environment variable " + env.get() + " is not set");
    }
    return secret;
  }

  /** What this value is, for messages: a quoted text, a mapping, a list or nothing. */
  String describe() {
    if (isNull()) {
      return "nothing";
    }
    if (node instanceof MappingNode) {
      return "a mapping";
    }
    if (node instanceof SequenceNode) {
      return "a list";
    }
    return quote(((ScalarNode) node).getValue());
  }

  private Optional<String> scalarOrError(String expected, ConfigErrors errors) {
    if (node instanceof ScalarNode scalar && !isNull()) {
      return Optional.of(scalar.getValue());
    }
    errors.add(this, "expected " + expected + ", got " + describe());
    return Optional.empty();
  }

  static Optional<Duration> parseDuration(String text) {
    Matcher m = DURATION_PART.matcher(text);
    Duration total = Duration.ZERO;
    int at = 0;
    while (at < text.length() && m.find(at) && m.start() == at) {
      long amount = Long.parseLong(m.group(1));
      total = total.plus(switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(amount);
        case "s" -> Duration.ofSeconds(amount);
        case "m" -> Duration.ofMinutes(amount);
        case "h" -> Duration.ofHours(amount);
        default -> Duration.ofDays(amount);
      });
      at = m.end();
    }
    return at == text.length() && at > 0 ? Optional.of(total) : Optional.empty();
  }

  /** Formats a duration the way a user writes one: {@code 30s}, {@code 8h}, {@code 250ms}. */
  public static String format(Duration d) {
    if (d.toMillisPart() != 0 || d.isZero()) {
      return d.toMillis() + "ms";
    }
    long seconds = d.toSeconds();
    if (seconds % 86_400 == 0) {
      return seconds / 86_400 + "d";
    }
    if (seconds % 3_600 == 0) {
      return seconds / 3_600 + "h";
    }
    return seconds % 60 == 0 ? seconds / 60 + "m" : seconds + "s";
  }

  private static Integer parsePort(String text) {
    if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(Character::isDigit)) {
      return null;
    }
    int port = Integer.parseInt(text);
    return port <= 65_535 ? port : null;
  }

  /** Quotes a user's value for a message: shortened, with control characters made visible. */
  static String quote(String value) {
    StringBuilder out = new StringBuilder("\"");
    int limit = Math.min(value.length(), QUOTE_LIMIT_CHARS);
    for (int i = 0; i < limit; i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        out.append(String.format(Locale.ROOT, "\\x%02x", (int) c));
      } else if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else {
        out.append(c);
      }
    }
    return out.append(value.length() > limit ? "...\"" : "\"").toString();
  }
}
