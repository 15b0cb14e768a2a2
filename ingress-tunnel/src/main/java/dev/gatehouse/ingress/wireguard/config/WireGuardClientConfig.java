package dev.gatehouse.ingress.wireguard.config;

import dev.gatehouse.core.config.IpPrefix;
import dev.gatehouse.core.config.Secret;
import dev.gatehouse.core.crypto.X25519Keys;
import dev.gatehouse.core.tunnel.PeerConfiguration;
import dev.gatehouse.core.tunnel.PeerConfigurationRequest;
import dev.gatehouse.core.tunnel.TunnelContext;
import io.netty.util.NetUtil;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Writes the {@code wg-quick} file one peer of a {@code type: wireguard} tunnel runs to
 * connect to the appliance: the appliance's settings for that peer, seen from the other end.
 * The rules (docs/OPERATIONS.md repeats them for operators):
 *
 * <ul>
 *   <li>{@code Address}: the peer's allowed IPs that name one host ({@code /32},
 *       {@code /128}). A peer that owns only networks routes them and needs no address of
 *       its own in the tunnel, so it gets none, with a comment saying why.
 *   <li>{@code AllowedIPs}: every destination, {@code 0.0.0.0/0} and {@code ::/0}, but only
 *       for a family the peer has allowed IPs in: the appliance drops an inner packet whose
 *       source is outside them, so routing that family in would black-hole it.
 *   <li>{@code Endpoint}: the request's, else the tunnel's {@code listen-address} and
 *       {@code listen-port}; a tunnel that listens on every address needs the request's.
 *   <li>{@code PersistentKeepalive}: the appliance's interval for the peer, since the NAT that
 *       made it necessary sits between the same two ends.
 * </ul>
 */
final class WireGuardClientConfig {

  /** Where the peer's private key goes when the request has none; wg-quick refuses it as it is. */
  static final String PRIVATE_KEY_PLACEHOLDER = "<this peer's private key>";

  private static final IpPrefix EVERY_IPV4 = IpPrefix.parse("0.0.0.0/0").orElseThrow();
  private static final IpPrefix EVERY_IPV6 = IpPrefix.parse("::/0").orElseThrow();

  private WireGuardClientConfig() {}

  static PeerConfiguration write(TunnelContext context, WireGuardSettings settings, String peerName,
      PeerConfigurationRequest request) {
    WireGuardPeerSettings peer = find(context, settings, peerName);
    InetSocketAddress endpoint = endpoint(context, settings, request);
    List<String> lines = new ArrayList<>();
    lines.add("# wg-quick configuration for peer " + describe(peer) + " of Gatehouse tunnel \""
        + context.name() + "\"");

    // this peer's side
    lines.add("[Interface]");
    addPrivateKey(lines, peer, request.peerPrivateKey());
    lines.add(addressLine(peer));
    lines.add("MTU = " + context.mtuBytes());

    // the appliance, as this peer sees it
    lines.add("");
    lines.add("[Peer]");
    lines.add("PublicKey = " + appliancePublicKey(settings));
    peer.presharedKey().ifPresent(psk -> lines.add("PresharedKey = " + base64(psk)));
    lines.add("Endpoint = " + hostAndPort(endpoint));
    lines.add("AllowedIPs = " + join(request.allowedIps().orElseGet(() -> everyDestination(peer))));
    peer.persistentKeepalive().ifPresent(k -> lines.add("PersistentKeepalive = " + k.toSeconds()));

    boolean secrets = request.peerPrivateKey().isPresent() || peer.presharedKey().isPresent();
    return new PeerConfiguration(String.join("\n", lines) + "\n", secrets);
  }

  /** The peer by name, else by public key; the message lists the peers, which are no secret. */
  private static WireGuardPeerSettings find(TunnelContext context, WireGuardSettings settings, String peer) {
    Optional<WireGuardPeerSettings> found = settings.peers().stream()
        .filter(p -> p.name().filter(peer::equals).isPresent() || p.publicKey().toBase64().equals(peer))
        .findFirst();
    if (found.isEmpty()) {
      String peers = settings.peers().isEmpty() ? "none"
          : settings.peers().stream().map(WireGuardPeerSettings::label).collect(Collectors.joining(", "));
      throw new IllegalArgumentException("tunnel \"" + context.name() + "\" has no peer named "
          + WireGuardTunnelProvider.quote(peer) + " or with that public key; its peers: " + peers);
    }
    return found.get();
  }

  /**
   * The peer's private key, checked against the public key the appliance knows it by, or the
   * placeholder under comments that tell the operator what goes there.
   */
  private static void addPrivateKey(List<String> lines, WireGuardPeerSettings peer, Optional<Secret> key) {
    if (key.isEmpty()) {
      lines.add("# Put this peer's own private key here: Gatehouse holds only its public key. A new");
      lines.add("# pair comes from 'gatehouse genkey'; 'gatehouse pubkey' of it goes into the peer's");
      lines.add("# public-key in the appliance's configuration.");
      lines.add("PrivateKey = " + PRIVATE_KEY_PLACEHOLDER);
      return;
    }
    byte[] privateKey;
    try {
      privateKey = X25519Keys.fromBase64(key.get().revealText());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the peer's private key: " + e.getMessage(), null);
    }
    try {
      WireGuardPublicKey derived = WireGuardPublicKey.of(X25519Keys.publicKey(privateKey));
      if (!derived.equals(peer.publicKey())) {
        throw new IllegalArgumentException("the private key given is not peer " + describe(peer)
            + "'s: its public key is " + derived + ", the configuration has " + peer.publicKey());
      }
      lines.add("PrivateKey = " + X25519Keys.toBase64(privateKey));
    } finally {
      X25519Keys.zero(privateKey);
    }
  }

  private static String addressLine(WireGuardPeerSettings peer) {
    List<IpPrefix> hosts = peer.allowedIps().stream()
        .filter(p -> p.length() == p.address().getAddress().length * Byte.SIZE)
        .toList();
    if (hosts.isEmpty()) {
      return "# Address: none; the peer owns networks (" + join(peer.allowedIps()) + "), no single"
          + " address. Give this interface one of theirs if the peer itself sends through the tunnel.";
    }
    return "Address = " + join(hosts);
  }

  private static String appliancePublicKey(WireGuardSettings settings) {
    byte[] privateKey = settings.privateKey().reveal();
    try {
      return X25519Keys.toBase64(X25519Keys.publicKey(privateKey));
    } finally {
      X25519Keys.zero(privateKey);
    }
  }

  private static String base64(Secret key) {
    byte[] bytes = key.reveal();
    try {
      return X25519Keys.toBase64(bytes);
    } finally {
      X25519Keys.zero(bytes);
    }
  }

  private static InetSocketAddress endpoint(TunnelContext context, WireGuardSettings settings,
      PeerConfigurationRequest request) {
    if (request.endpoint().isPresent()) {
      return request.endpoint().get();
    }
    Optional<InetAddress> listen = settings.listenAddress().filter(a -> !a.isAnyLocalAddress());
    if (listen.isEmpty()) {
      throw new IllegalArgumentException("tunnel \"" + context.name() + "\" listens on every address, so"
          + " which one its peers reach is not known: give the endpoint (HOST:PORT)");
    }
    return new InetSocketAddress(listen.get(), settings.listenPort());
  }

  private static List<IpPrefix> everyDestination(WireGuardPeerSettings peer) {
    List<IpPrefix> every = new ArrayList<>();
    if (peer.allowedIps().stream().anyMatch(p -> !(p.address() instanceof Inet6Address))) {
      every.add(EVERY_IPV4);
    }
    if (peer.allowedIps().stream().anyMatch(p -> p.address() instanceof Inet6Address)) {
      every.add(EVERY_IPV6);
    }
    return every;
  }

  /** {@code host:port}, an IPv6 address in brackets, a name as given (wg-quick resolves it). */
  private static String hostAndPort(InetSocketAddress endpoint) {
    String host = endpoint.isUnresolved()
        ? endpoint.getHostString()
        : NetUtil.toAddressString(endpoint.getAddress());
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + endpoint.getPort();
  }

  private static String join(List<IpPrefix> prefixes) {
    return prefixes.stream().map(IpPrefix::toString).collect(Collectors.joining(", "));
  }

  private static String describe(WireGuardPeerSettings peer) {
    return peer.name().map(name -> "\"" + name + "\"").orElse(peer.label());
  }
}
