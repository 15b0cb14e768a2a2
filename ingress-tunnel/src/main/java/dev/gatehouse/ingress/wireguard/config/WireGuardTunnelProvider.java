package dev.gatehouse.ingress.wireguard.config;

import dev.gatehouse.core.config.ConfigErrors;
import dev.gatehouse.core.config.ConfigMap;
import dev.gatehouse.core.config.ConfigNode;
import dev.gatehouse.core.config.IpPrefix;
import dev.gatehouse.core.config.Secret;
import dev.gatehouse.core.config.SecretSource;
import dev.gatehouse.core.crypto.X25519Keys;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.tunnel.TunnelPlan;
import dev.gatehouse.core.tunnel.TunnelProvider;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The {@code type: wireguard} ingress's settings: {@code private-key}, {@code listen-port},
 * {@code listen-address}, {@code address} and {@code peers}, each peer with
 * {@code name}, {@code public-key}, {@code preshared-key}, {@code allowed-ips},
 * {@code endpoint} and {@code persistent-keepalive} (docs/CONFIG.md describes them).
 * Listed in {@code META-INF/services}, so the appliance offers the type.
 */
public final class WireGuardTunnelProvider implements TunnelProvider {
  public static final String TYPE = "wireguard";
  /**
   * 1500 less the largest encapsulation: an outer IPv6 header (40), UDP (8), the transport
   * data header (16, whitepaper §5.4.6) and the Poly1305 tag (16); wg-quick's default too.
   */
  public static final int DEFAULT_MTU_BYTES = 1420;
  /** The port the whitepaper's examples and wg-quick use; any port works. */
  public static final int DEFAULT_LISTEN_PORT = 51820;
  /** wg(8) takes the persistent keepalive interval as 1..65535 seconds (16 bits on its wire). */
  public static final int MAX_KEEPALIVE_SECONDS = 65_535;
  /** RFC 8200 §5: every link that carries IPv6 has an MTU of at least 1280. */
  private static final int MIN_IPV6_MTU_BYTES = 1280;
  private static final Pattern PEER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
  private static final Pattern WHOLE_NUMBER = Pattern.compile("\\d{1,10}");
  private static final int QUOTE_LIMIT_CHARS = 40;

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public int defaultMtuBytes() {
    return DEFAULT_MTU_BYTES;
  }

  @Override
  public Optional<TunnelPlan> plan(TunnelContext context, ConfigMap settings, SecretSource secrets,
      ConfigErrors errors) {
    return read(context, settings, secrets, errors).map(plan -> plan);
  }

  /**
   * Reads and validates one tunnel's WireGuard settings; the common keys were read into
   * {@code context} already, and {@link ConfigMap#finish()} is left to the caller.
   *
   * @return the plan, or empty when an error was recorded
   */
  public static Optional<WireGuardTunnelPlan> read(TunnelContext context, ConfigMap settings,
      SecretSource secrets, ConfigErrors errors) {
    Optional<Secret> privateKey = settings.required("private-key")
        .flatMap(node -> readKeySecret(node, "a private key as wg genkey prints it", secrets, errors));
    Optional<Integer> listenPort = settings.optional("listen-port")
        .map(node -> node.asInt(1, 65_535, errors))
        .orElse(Optional.of(DEFAULT_LISTEN_PORT));
    Optional<Optional<InetAddress>> listenAddress = readOptional(settings, "listen-address",
        node -> node.asAddress(errors));
    Optional<List<IpPrefix>> addresses = readAddresses(settings, errors);
    Optional<WireGuardPublicKey> ownKey = privateKey.map(WireGuardTunnelProvider::publicKeyOf);
    Optional<List<WireGuardPeerSettings>> peers = readPeers(settings, ownKey, secrets, errors);
    boolean mtuFits = checkIpv6Mtu(context, settings, addresses, peers, errors);

    if (privateKey.isEmpty() || listenPort.isEmpty() || listenAddress.isEmpty()
        || addresses.isEmpty() || peers.isEmpty() || !mtuFits) {
      return Optional.empty();
    }
    // TODO(#5): refuse two wireguard tunnels on one listen address and port; a provider
    // sees one tunnel at a time, so the check belongs where the whole list is read.
    WireGuardSettings wireGuard = new WireGuardSettings(privateKey.get(), listenPort.get(),
        listenAddress.get(), addresses.get(), peers.get());
    return Optional.of(new WireGuardTunnelPlan(context, wireGuard));
  }

  /** The {@code address} setting: one prefix or a list, each an address with its prefix length. */
  private static Optional<List<IpPrefix>> readAddresses(ConfigMap settings, ConfigErrors errors) {
    Optional<ConfigNode> node = settings.optional("address");
    if (node.isEmpty()) {
      return Optional.of(List.of());
    }
    List<ConfigNode> items = node.get().isSequence()
        ? node.get().asList(errors).orElseThrow()
        : List.of(node.get());
    List<IpPrefix> addresses = new ArrayList<>();
    Map<IpPrefix, ConfigNode> seen = new HashMap<>();
    boolean ok = true;
    for (ConfigNode item : items) {
      Optional<IpPrefix> address = item.asPrefix(errors);
      if (address.isEmpty()) {
        ok = false;
      } else if (isRepeated(address.get(), item, seen, "address", errors)) {
        ok = false;
      } else {
        addresses.add(address.get());
      }
    }
    return ok ? Optional.of(addresses) : Optional.empty();
  }

  /** A peer as read, with the nodes that later checks across peers name in their errors. */
  private record ReadPeer(int index, WireGuardPeerSettings settings, ConfigNode publicKeyNode,
      Optional<ConfigNode> nameNode, List<ConfigNode> allowedIpNodes) {

    String describe() {
      return settings.name().map(name -> "peer \"" + name + "\"").orElse("peers[" + index + "]");
    }
  }

  /** The public key of a private key as read: what peers must not name. */
  private static WireGuardPublicKey publicKeyOf(Secret privateKey) {
    byte[] key = privateKey.reveal();
    try {
      return WireGuardPublicKey.of(X25519Keys.publicKey(key));
    } finally {
      X25519Keys.zero(key);
    }
  }

  private static Optional<List<WireGuardPeerSettings>> readPeers(ConfigMap settings,
      Optional<WireGuardPublicKey> ownKey, SecretSource secrets, ConfigErrors errors) {
    Optional<ConfigNode> node = settings.optional("peers");
    if (node.isEmpty()) {
      return Optional.of(List.of());
    }
    Optional<List<ConfigNode>> items = node.get().asList(errors);
    if (items.isEmpty()) {
      return Optional.empty();
    }

    // each peer alone
    List<ReadPeer> peers = new ArrayList<>();
    boolean ok = true;
    for (int i = 0; i < items.get().size(); i++) {
      ConfigNode item = items.get().get(i);
      int index = i;
      Optional<ReadPeer> peer = item.asMap(errors).flatMap(map -> {
        Optional<ReadPeer> read = readPeer(index, map, secrets, errors);
        map.finish();
        return read;
      });
      ok &= peer.isPresent();
      peer.ifPresent(peers::add);
    }

    // then the peers against each other
    ok &= checkUnique(peers, errors);
    ok &= ownKey.map(key -> checkNotOwnKey(peers, key, errors)).orElse(true);
    ok &= PeerOverlaps.check(claims(peers), errors);
    return ok ? Optional.of(peers.stream().map(ReadPeer::settings).toList()) : Optional.empty();
  }

  private static List<PeerOverlaps.Claim> claims(List<ReadPeer> peers) {
    List<PeerOverlaps.Claim> claims = new ArrayList<>();
    for (ReadPeer peer : peers) {
      for (int i = 0; i < peer.allowedIpNodes().size(); i++) {
        claims.add(new PeerOverlaps.Claim(peer.index(), peer.describe(),
            peer.settings().allowedIps().get(i), peer.allowedIpNodes().get(i)));
      }
    }
    return claims;
  }

  private static Optional<ReadPeer> readPeer(int index, ConfigMap map, SecretSource secrets,
      ConfigErrors errors) {
    Optional<ConfigNode> nameNode = map.optional("name");
    Optional<Optional<String>> name = readOptional(map, "name", node -> readPeerName(node, errors));
    Optional<ConfigNode> publicKeyNode = map.required("public-key");
    Optional<WireGuardPublicKey> publicKey = publicKeyNode
        .flatMap(node -> readPublicKey(node, errors));
    Optional<Optional<Secret>> presharedKey = readOptional(map, "preshared-key",
        node -> readKeySecret(node, "a preshared key as wg genpsk prints it", secrets, errors));
    Optional<ConfigNode> allowedIpsNode = map.required("allowed-ips");
    Optional<List<ConfigNode>> allowedIpNodes = allowedIpsNode.flatMap(node -> node.asList(errors));
    Optional<List<IpPrefix>> allowedIps = allowedIpNodes
        .flatMap(nodes -> readAllowedIps(allowedIpsNode.get(), nodes, errors));
    Optional<Optional<InetSocketAddress>> endpoint = readOptional(map, "endpoint",
        node -> readEndpoint(node, errors));
    Optional<Optional<Duration>> keepalive = readOptional(map, "persistent-keepalive",
        node -> readKeepalive(node, errors));

    if (name.isEmpty() || publicKey.isEmpty() || presharedKey.isEmpty() || allowedIps.isEmpty()
        || endpoint.isEmpty() || keepalive.isEmpty()) {
      return Optional.empty();
    }
    WireGuardPeerSettings peer = new WireGuardPeerSettings(name.get(), publicKey.get(),
        presharedKey.get(), allowedIps.get(), endpoint.get(), keepalive.get());
    return Optional.of(new ReadPeer(index, peer, publicKeyNode.get(), nameNode, allowedIpNodes.get()));
  }

  private static Optional<String> readPeerName(ConfigNode node, ConfigErrors errors) {
    Optional<String> name = node.asString(errors);
    if (name.isPresent() && !PEER_NAME.matcher(name.get()).matches()) {
      errors.add(node, "expected a name of 1 to 63 letters, digits, '.', '_' and '-', starting with"
          + " a letter or digit, got " + quote(name.get()));
      return Optional.empty();
    }
    return name;
  }

  private static Optional<WireGuardPublicKey> readPublicKey(ConfigNode node, ConfigErrors errors) {
    Optional<String> text = node.asString(errors);
    if (text.isEmpty()) {
      return Optional.empty();
    }
    Optional<byte[]> bytes = WireGuardPublicKey.decodeBase64(text.get().trim());
    if (bytes.isEmpty()) {
      errors.add(node, badKey("a public key as wg pubkey prints it", text.get()));
      return Optional.empty();
    }
    return Optional.of(WireGuardPublicKey.of(bytes.get()));
  }

  /**
   * A key held as a secret: its text is base64, and the secret kept is the 32 bytes it
   * decodes to. Errors say what is wrong with the text, never what it is.
   */
  private static Optional<Secret> readKeySecret(ConfigNode node, String expected, SecretSource secrets,
      ConfigErrors errors) {
    Optional<Secret> secret = node.asSecret(secrets, errors);
    if (secret.isEmpty()) {
      return Optional.empty();
    }
    String text = secret.get().revealText().trim();
    Optional<byte[]> bytes = WireGuardPublicKey.decodeBase64(text);
    if (bytes.isEmpty()) {
      errors.add(node, badKey(expected, text));
      return Optional.empty();
    }
    Secret key = Secret.of(bytes.get());
    Arrays.fill(bytes.get(), (byte) 0);
    return Optional.of(key);
  }

  /** Why {@code text} is not a key, in words that do not repeat it. */
  private static String badKey(String expected, String text) {
    String got;
    try {
      byte[] decoded = Base64.getDecoder().decode(text);
      got = decoded.length == WireGuardPublicKey.KEY_BYTES
          ? "base64 spelt otherwise than wg spells it (44 characters, ending in one '=')"
          : "base64 of " + decoded.length + " bytes";
      Arrays.fill(decoded, (byte) 0);
    } catch (IllegalArgumentException e) {
      got = text.isEmpty() ? "nothing" : "text that is not base64";
    }
    return "expected " + expected + ": " + WireGuardPublicKey.KEY_BYTES + " bytes in "
        + WireGuardPublicKey.BASE64_CHARS + " characters of base64, got " + got;
  }

  private static Optional<List<IpPrefix>> readAllowedIps(ConfigNode list, List<ConfigNode> items,
      ConfigErrors errors) {
    if (items.isEmpty()) {
      errors.add(list, "expected at least one prefix: a peer with no allowed IPs can send nothing"
          + " and be sent nothing");
      return Optional.empty();
    }
    List<IpPrefix> prefixes = new ArrayList<>();
    Map<IpPrefix, ConfigNode> seen = new HashMap<>();
    boolean ok = true;
    for (ConfigNode item : items) {
      Optional<IpPrefix> prefix = item.asPrefix(errors).filter(p -> isNetwork(p, item, errors));
      if (prefix.isEmpty() || isRepeated(prefix.get(), item, seen, "prefix", errors)) {
        ok = false;
        continue;
      }
      prefixes.add(prefix.get());
    }
    return ok ? Optional.of(prefixes) : Optional.empty();
  }

  /**
   * An allowed IP names a network. The whitepaper's table ignores the bits past the length,
   * but a file that sets them most likely meant a /32 or /128, so it is refused instead.
   */
  private static boolean isNetwork(IpPrefix prefix, ConfigNode node, ConfigErrors errors) {
    byte[] address = prefix.address().getAddress();
    for (int bit = prefix.length(); bit < address.length * Byte.SIZE; bit++) {
      if ((address[bit / Byte.SIZE] & (0x80 >>> (bit % Byte.SIZE))) != 0) {
        boolean ipv6 = prefix.address() instanceof Inet6Address;
        errors.add(node, "expected a network prefix with no bits set past the prefix length, like "
            + (ipv6 ? "2001:2:0:51::/64 or 2001:2:0:51::7/128" : "198.18.51.0/24 or 198.18.51.7/32")
            + ", got " + prefix);
        return false;
      }
    }
    return true;
  }

  /** An endpoint is a literal address and port: loading a configuration never waits on DNS. */
  private static Optional<InetSocketAddress> readEndpoint(ConfigNode node, ConfigErrors errors) {
    Optional<String> text = node.asString(errors);
    if (text.isEmpty()) {
      return Optional.empty();
    }
    Optional<InetSocketAddress> endpoint = node.asSocketAddress(new ConfigErrors())
        .filter(address -> address.getPort() != 0);
    if (endpoint.isEmpty()) {
      errors.add(node, "expected a literal address and port like 198.18.50.2:51820 or"
          + " [2001:2:0:50::2]:51820 (host names are not resolved), got " + quote(text.get()));
    }
    return endpoint;
  }

  /** Whole seconds, written as a number ({@code 25}) or a duration ({@code 25s}, {@code 1m}). */
  private static Optional<Duration> readKeepalive(ConfigNode node, ConfigErrors errors) {
    Optional<String> text = node.asString(errors);
    if (text.isEmpty()) {
      return Optional.empty();
    }
    String value = text.get().trim();
    Optional<Duration> interval = WHOLE_NUMBER.matcher(value).matches()
        ? Optional.of(Duration.ofSeconds(Long.parseLong(value)))
        : node.asDuration(Duration.ZERO, Duration.ofDays(1), new ConfigErrors());
    Optional<Duration> valid = interval.filter(d -> d.toMillisPart() == 0
        && d.toSeconds() >= 1 && d.toSeconds() <= MAX_KEEPALIVE_SECONDS);
    if (valid.isEmpty()) {
      errors.add(node, "expected whole seconds from 1 to " + MAX_KEEPALIVE_SECONDS
          + ", as a number (25) or a duration (25s, 2m), got " + quote(value));
    }
    return valid;
  }

  /** A tunnel cannot be its own peer: a handshake with itself would name no other side. */
  private static boolean checkNotOwnKey(List<ReadPeer> peers, WireGuardPublicKey ownKey, ConfigErrors errors) {
    boolean ok = true;
    for (ReadPeer peer : peers) {
      if (peer.settings().publicKey().equals(ownKey)) {
        errors.add(peer.publicKeyNode(), "public key is this tunnel's own (the one its private-key gives):"
            + " a tunnel cannot be its own peer");
        ok = false;
      }
    }
    return ok;
  }

  private static boolean checkUnique(List<ReadPeer> peers, ConfigErrors errors) {
    Map<WireGuardPublicKey, ReadPeer> keys = new HashMap<>();
    Map<String, ReadPeer> names = new HashMap<>();
    boolean ok = true;
    for (ReadPeer peer : peers) {
      ReadPeer first = keys.putIfAbsent(peer.settings().publicKey(), peer);
      if (first != null) {
        errors.add(peer.publicKeyNode(), "public key is already " + first.describe()
            + "'s (line " + first.publicKeyNode().line() + "): a key names one peer");
        ok = false;
      }
      if (peer.settings().name().isPresent()) {
        first = names.putIfAbsent(peer.settings().name().get(), peer);
        if (first != null) {
          errors.add(peer.nameNode().orElseThrow(), "peer name \"" + peer.settings().name().get()
              + "\" is already used on line " + first.nameNode().orElseThrow().line());
          ok = false;
        }
      }
    }
    return ok;
  }

  /** RFC 8200 §5: a tunnel whose inner packets may be IPv6 must carry 1280 bytes. */
  private static boolean checkIpv6Mtu(TunnelContext context, ConfigMap settings,
      Optional<List<IpPrefix>> addresses, Optional<List<WireGuardPeerSettings>> peers,
      ConfigErrors errors) {
    if (context.mtuBytes() >= MIN_IPV6_MTU_BYTES) {
      return true;
    }
    boolean ipv6 = addresses.orElse(List.of()).stream().anyMatch(WireGuardTunnelProvider::isIpv6)
        || peers.orElse(List.of()).stream()
            .anyMatch(peer -> peer.allowedIps().stream().anyMatch(WireGuardTunnelProvider::isIpv6));
    if (!ipv6) {
      return true;
    }
    String message = "expected at least " + MIN_IPV6_MTU_BYTES + " for a tunnel that carries IPv6"
        + " (RFC 8200 §5), got " + context.mtuBytes();
    settings.optional("mtu").ifPresentOrElse(node -> errors.add(node, message),
        () -> errors.add(settings.pathOf("mtu"), settings.node().line(), message));
    return false;
  }

  private static boolean isIpv6(IpPrefix prefix) {
    return prefix.address() instanceof Inet6Address;
  }

  private static boolean isRepeated(IpPrefix prefix, ConfigNode node, Map<IpPrefix, ConfigNode> seen,
      String what, ConfigErrors errors) {
    ConfigNode first = seen.putIfAbsent(prefix, node);
    if (first != null) {
      errors.add(node, what + " " + prefix + " is already listed on line " + first.line());
      return true;
    }
    return false;
  }

  /**
   * Reads an optional key.
   *
   * @return empty on error; an empty inner value when the key is absent
   */
  private static <V> Optional<Optional<V>> readOptional(ConfigMap map, String key,
      java.util.function.Function<ConfigNode, Optional<V>> reader) {
    Optional<ConfigNode> node = map.optional(key);
    if (node.isEmpty()) {
      return Optional.of(Optional.empty());
    }
    Optional<V> value = reader.apply(node.get());
    return value.isEmpty() ? Optional.empty() : Optional.of(value);
  }

  /** A user's value fit for a message: quoted, control characters as '?', cut at 40 chars. */
  static String quote(String text) {
    String shown = text.length() > QUOTE_LIMIT_CHARS ? text.substring(0, QUOTE_LIMIT_CHARS) + "..." : text;
    return "\"" + shown.replaceAll("[^\\x20-\\x7e]", "?") + "\"";
  }
}
