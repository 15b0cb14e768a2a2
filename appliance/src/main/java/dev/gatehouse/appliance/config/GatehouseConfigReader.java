package dev.gatehouse.appliance.config;

import dev.gatehouse.core.config.ConfigErrors;
import dev.gatehouse.core.config.ConfigException;
import dev.gatehouse.core.config.ConfigMap;
import dev.gatehouse.core.config.ConfigNode;
import dev.gatehouse.core.config.SecretSource;
import dev.gatehouse.core.icmp.IcmpSettings;
import dev.gatehouse.core.log.ActivityLogSettings;
import dev.gatehouse.core.tunnel.TunnelPlan;
import dev.gatehouse.core.tunnel.TunnelProviders;
import dev.gatehouse.core.tunnel.TunnelSettingsReader;
import dev.gatehouse.core.tcp.TcpProxySettings;
import dev.gatehouse.core.udp.UdpSettings;
import io.netty.util.NetUtil;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Reads a Gatehouse configuration file into a {@link GatehouseConfig}, or refuses it with
 * every error it holds. Every setting has a default, so an empty document is the built-in
 * default configuration.
 */
public final class GatehouseConfigReader {
  public static final InetSocketAddress DEFAULT_PROXY_LISTEN = new InetSocketAddress("127.0.0.1", 3128);
  public static final InetSocketAddress DEFAULT_ADMIN_LISTEN = new InetSocketAddress("127.0.0.1", 9090);
  /** Cloudflare Gateway's defaults, which Gatehouse reproduces (gateway-proxy.txt). */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofHours(8);
  /** Below Linux's own give-up time for a SYN (about 127 s at tcp_syn_retries 6), so that a
   *  dial that runs out is always ours to report as a timeout, never the kernel's. */
  public static final Duration MAX_CONNECT_TIMEOUT = Duration.ofMinutes(2);
  /** Ours: the most flows one transport may hold open, a bound on descriptors. */
  static final int MAX_FLOWS = 1 << 20;
  /** Ours: four times the YAML parser's own code point limit, read whole before parsing. */
  static final long MAX_FILE_BYTES = 16L << 20;
  /** Linux IFNAMSIZ (16) less the terminating NUL. */
  private static final int MAX_INTERFACE_NAME_BYTES = 15;

  private final TunnelProviders providers;
  private final SecretSource secrets;

  public GatehouseConfigReader(TunnelProviders providers, SecretSource secrets) {
    this.providers = providers;
    this.secrets = secrets;
  }

  /** Reads a file; an unreadable file is one error naming it. */
  public GatehouseConfig read(Path file) throws ConfigException {
    return read(new StringReader(readText(file)), file.toString());
  }

  /**
   * A file's whole text, read at once so that what is validated and what is compared on a
   * reload are the same bytes; an unreadable file is one error naming it.
   */
  public static String readText(Path file) throws ConfigException {
    try {
      if (Files.size(file) > MAX_FILE_BYTES) {
        throw single(file.toString(), "larger than " + MAX_FILE_BYTES + " bytes; is it the right file?");
      }
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (MalformedInputException e) {
      throw single(file.toString(), "not UTF-8 text");
    } catch (IOException e) {
      throw single(file.toString(), "cannot read the file: " + describe(e));
    }
  }

  /** The configuration Gatehouse runs with when it is given none. */
  public GatehouseConfig defaults() {
    try {
      return read(new StringReader(""), "built-in defaults");
    } catch (ConfigException e) {
      throw new IllegalStateException("the built-in defaults do not validate", e);
    }
  }

  /** Reads a document; {@code source} names it in messages. */
  public GatehouseConfig read(Reader text, String source) throws ConfigException {
    ConfigErrors errors = new ConfigErrors();
    Optional<ConfigMap> root = ConfigNode.parse(text, errors).flatMap(n -> n.asMap(errors));
    if (root.isEmpty()) {
      errors.throwIfAny(source);
      throw single(source, "the document is not a mapping of settings");
    }
    ConfigMap map = root.get();
    GatehouseConfig.ExplicitProxy proxy = section(map, "explicit-proxy", errors, this::explicitProxy);
    GatehouseConfig.Admin admin = section(map, "admin", errors, (m, e) -> admin(m, proxy, e));
    ProxySections proxying = section(map, "proxy", errors, this::proxy);
    GatehouseConfig.Log log = section(map, "log", errors, this::log);
    List<TunnelPlan> tunnels = map.optional("tunnels")
        .map(list -> new TunnelSettingsReader(providers, secrets).read(list, errors))
        .orElse(List.of());
    GatehouseConfig.PolicySettings policies = section(map, "policies", errors, PolicyConfigReader::read);
    map.finish();
    errors.throwIfAny(source);
    return new GatehouseConfig(proxy, admin, proxying.tcp(), proxying.udp(), proxying.icmp(), log,
        tunnels, policies);
  }

  private GatehouseConfig.ExplicitProxy explicitProxy(ConfigMap m, ConfigErrors errors) {
    boolean enabled = bool(m, "enabled", true, errors);
    InetSocketAddress listen = value(m, "listen", DEFAULT_PROXY_LISTEN, n -> n.asSocketAddress(errors));
    return new GatehouseConfig.ExplicitProxy(enabled, listen);
  }

  private GatehouseConfig.Admin admin(ConfigMap m, GatehouseConfig.ExplicitProxy proxy, ConfigErrors errors) {
    boolean enabled = bool(m, "enabled", true, errors);
    InetSocketAddress listen = value(m, "listen", DEFAULT_ADMIN_LISTEN, n -> n.asSocketAddress(errors));
    if (enabled && proxy.enabled() && listen.equals(proxy.listen())) {
      int line = m.optional("listen").map(ConfigNode::line).orElse(m.node().line());
      errors.add(m.pathOf("listen"), line, "already used by explicit-proxy.listen ("
          + NetUtil.toSocketAddressString(listen) + ")");
    }
    return new GatehouseConfig.Admin(enabled, listen);
  }

  /** The three sections of {@code proxy}, one per transport. */
  private record ProxySections(
      GatehouseConfig.Tcp tcp, GatehouseConfig.Udp udp, GatehouseConfig.Icmp icmp) {}

  private ProxySections proxy(ConfigMap m, ConfigErrors errors) {
    GatehouseConfig.Tcp tcp = section(m, "tcp", errors, this::tcp);
    GatehouseConfig.Udp udp = section(m, "udp", errors, this::udp);
    GatehouseConfig.Icmp icmp = section(m, "icmp", errors, this::icmp);
    return new ProxySections(tcp, udp, icmp);
  }

  private GatehouseConfig.Tcp tcp(ConfigMap m, ConfigErrors errors) {
    boolean enabled = bool(m, "enabled", true, errors);
    Duration connectTimeout = value(m, "connect-timeout", DEFAULT_CONNECT_TIMEOUT,
        n -> n.asDuration(Duration.ofMillis(100), MAX_CONNECT_TIMEOUT, errors));
    Duration idleTimeout = value(m, "idle-timeout", DEFAULT_IDLE_TIMEOUT,
        n -> n.asDuration(Duration.ofSeconds(1), Duration.ofDays(7), errors));
    int maxFlows = value(m, "max-flows", TcpProxySettings.DEFAULT_MAX_FLOWS,
        n -> n.asInt(1, MAX_FLOWS, errors));
    long bufferBytes = value(m, "buffer-size", (long) TcpProxySettings.DEFAULT_BUFFER_BYTES,
        n -> n.asByteSize(16L << 10, 16L << 20, errors));
    Egress egress = egress(m, errors);
    return new GatehouseConfig.Tcp(enabled, new TcpProxySettings(connectTimeout, idleTimeout, maxFlows,
        egress.sourceV4(), egress.sourceV6(), egress.interfaceName(), (int) bufferBytes));
  }

  private GatehouseConfig.Udp udp(ConfigMap m, ConfigErrors errors) {
    boolean enabled = bool(m, "enabled", true, errors);
    Duration idleTimeout = value(m, "idle-timeout", UdpSettings.DEFAULT_IDLE_TIMEOUT,
        n -> n.asDuration(Duration.ofSeconds(1), Duration.ofDays(1), errors));
    int maxSessions = value(m, "max-sessions", UdpSettings.DEFAULT_MAX_SESSIONS,
        n -> n.asInt(1, MAX_FLOWS, errors));
    boolean blockQuic = bool(m, "block-quic", true, errors);
    Egress egress = egress(m, errors);
    return new GatehouseConfig.Udp(enabled, new UdpSettings(
        idleTimeout, maxSessions, egress.sourceV4(), egress.sourceV6(), egress.interfaceName(), blockQuic));
  }

  private GatehouseConfig.Icmp icmp(ConfigMap m, ConfigErrors errors) {
    boolean enabled = bool(m, "enabled", true, errors);
    Duration idleTimeout = value(m, "idle-timeout", IcmpSettings.DEFAULT_IDLE_TIMEOUT,
        n -> n.asDuration(Duration.ofSeconds(1), Duration.ofHours(1), errors));
    Egress egress = egress(m, errors);
    return new GatehouseConfig.Icmp(enabled, new IcmpSettings(idleTimeout,
        IcmpSettings.DEFAULT_MAX_FLOWS, egress.sourceV4(), egress.sourceV6(), egress.interfaceName()));
  }

  /** Where an engine's origin sockets leave from: {@code source-v4}, {@code source-v6}, {@code interface}. */
  private record Egress(Inet4Address sourceV4, Inet6Address sourceV6, String interfaceName) {}

  private static Egress egress(ConfigMap m, ConfigErrors errors) {
    Inet4Address sourceV4 = m.optional("source-v4")
        .flatMap(n -> n.asAddress(errors).flatMap(a -> ofFamily(a, Inet4Address.class, n, errors)))
        .orElse(null);
    Inet6Address sourceV6 = m.optional("source-v6")
        .flatMap(n -> n.asAddress(errors).flatMap(a -> ofFamily(a, Inet6Address.class, n, errors)))
        .orElse(null);
    String interfaceName = m.optional("interface")
        .flatMap(n -> n.asString(errors).filter(name -> isInterfaceName(name, n, errors)))
        .orElse(null);
    return new Egress(sourceV4, sourceV6, interfaceName);
  }

  private static <A extends InetAddress> Optional<A> ofFamily(
      InetAddress address, Class<A> family, ConfigNode node, ConfigErrors errors) {
    if (!family.isInstance(address)) {
      errors.add(node, "expected an " + (family == Inet4Address.class ? "IPv4" : "IPv6")
          + " address, got " + NetUtil.toAddressString(address));
      return Optional.empty();
    }
    return Optional.of(family.cast(address));
  }

  /** Linux interface names: 1 to 15 bytes (IFNAMSIZ less the NUL), no '/' or blank. */
  private static boolean isInterfaceName(String name, ConfigNode node, ConfigErrors errors) {
    if (name.isEmpty() || name.length() > MAX_INTERFACE_NAME_BYTES
        || name.chars().anyMatch(c -> c == '/' || Character.isWhitespace(c) || c > 0x7e)) {
      errors.add(node, "expected an interface name of 1 to 15 characters, got \"" + name + "\"");
      return false;
    }
    return true;
  }

  private GatehouseConfig.Log log(ConfigMap m, ConfigErrors errors) {
    String level = value(m, "level", "info",
        n -> n.asChoice(List.of("error", "warn", "info", "debug", "trace"), errors));
    ConfigMap activity = subsection(m, "activity", errors);
    String sink = value(activity, "sink", "stdout", n -> n.asChoice(List.of("stdout", "file", "off"), errors));
    Optional<ConfigNode> pathNode = activity.optional("path");
    Path path = pathNode.flatMap(n -> n.asString(errors)).map(Path::of).orElse(null);
    if ("file".equals(sink) && pathNode.isEmpty()) {
      errors.add(activity.pathOf("path"), activity.node().line(), "required when sink is file");
    }
    long maxBytes = value(activity, "max-file-size", ActivityLogSettings.DEFAULT_MAX_FILE_BYTES,
        n -> n.asByteSize(64L << 10, 1L << 40, errors));
    int keep = value(activity, "keep-files", ActivityLogSettings.DEFAULT_KEPT_FILES,
        n -> n.asInt(0, 1000, errors));
    boolean includeStart = bool(activity, "include-start", false, errors);
    int queue = value(activity, "queue-records", ActivityLogSettings.DEFAULT_QUEUE_CAPACITY,
        n -> n.asInt(16, 16_777_216, errors));
    activity.finish();
    boolean toFile = "file".equals(sink) && path != null;
    ActivityLogSettings settings = new ActivityLogSettings(
        toFile ? ActivityLogSettings.Sink.FILE : ActivityLogSettings.Sink.STDOUT,
        toFile ? path : null, maxBytes, keep, queue, includeStart);
    return new GatehouseConfig.Log(level, !"off".equals(sink), settings);
  }

  /** Reads an optional sub-mapping with {@code reader}, then refuses the keys it did not read. */
  private static <T> T section(ConfigMap parent, String key, ConfigErrors errors,
      BiFunction<ConfigMap, ConfigErrors, T> reader) {
    ConfigMap map = subsection(parent, key, errors);
    T value = reader.apply(map, errors);
    map.finish();
    return value;
  }

  /** An optional sub-mapping; an absent or empty one reads as an empty mapping, so defaults apply. */
  private static ConfigMap subsection(ConfigMap parent, String key, ConfigErrors errors) {
    return parent.optional(key)
        .filter(n -> !n.isNull())
        .flatMap(n -> n.asMap(errors))
        .orElseGet(() -> ConfigMap.absent(parent.pathOf(key), errors));
  }

  private static <T> T value(ConfigMap m, String key, T fallback, Function<ConfigNode, Optional<T>> read) {
    Optional<ConfigNode> node = m.optional(key);
    return node.isEmpty() ? fallback : read.apply(node.get()).orElse(fallback);
  }

  private static boolean bool(ConfigMap m, String key, boolean fallback, ConfigErrors errors) {
    return value(m, key, fallback, n -> n.asBoolean(errors));
  }

  private static ConfigException single(String source, String message) {
    return new ConfigException(source, List.of(new dev.gatehouse.core.config.ConfigError("", 0, message)));
  }

  /** Why a file could not be read, in a few words: "no such file", "permission denied". */
  public static String describe(IOException e) {
    return e instanceof java.nio.file.NoSuchFileException ? "no such file"
        : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
        : e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }
}
