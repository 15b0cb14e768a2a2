package dev.gatehouse.ingress.wireguard.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.config.IpPrefix;
import dev.gatehouse.core.config.Secret;
import dev.gatehouse.core.crypto.X25519Keys;
import dev.gatehouse.core.tunnel.PeerConfiguration;
import dev.gatehouse.core.tunnel.PeerConfigurationRequest;
import dev.gatehouse.core.tunnel.TunnelContext;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The wg-quick file a peer gets from {@link WireGuardTunnelPlan#peerConfiguration}. */
class WireGuardClientConfigTest {

  private static final HexFormat HEX = HexFormat.of();
  /** RFC 7748 §6.1: Alice's private key is the appliance's; her public key is what peers get. */
  private static final byte[] APPLIANCE_PRIVATE =
      HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  private static final String APPLIANCE_PUBLIC = Base64.getEncoder().encodeToString(
      HEX.parseHex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"));

  private final SplittableRandom random = new SplittableRandom(42);
  private final byte[] laptopPrivate = X25519Keys.generatePrivateKey(random);
  private final byte[] psk = X25519Keys.generatePrivateKey(random);
  private final WireGuardPeerSettings laptop = new WireGuardPeerSettings(Optional.of("laptop"),
      WireGuardPublicKey.of(X25519Keys.publicKey(laptopPrivate)), Optional.of(Secret.of(psk)),
      List.of(prefix("198.18.51.7/32"), prefix("2001:2:0:51::7/128")), Optional.empty(),
      Optional.of(Duration.ofSeconds(25)));
  private final WireGuardPeerSettings lyon = new WireGuardPeerSettings(Optional.empty(),
      WireGuardPublicKey.of(X25519Keys.publicKey(X25519Keys.generatePrivateKey(random))), Optional.empty(),
      List.of(prefix("198.18.52.0/24")), Optional.empty(), Optional.empty());

  private static IpPrefix prefix(String text) {
    return IpPrefix.parse(text).orElseThrow();
  }

  private static InetAddress address(String text) {
    return NetUtil.createInetAddressFromIpAddressString(text);
  }

  private WireGuardTunnelPlan plan(Optional<InetAddress> listenAddress) {
    WireGuardSettings settings = new WireGuardSettings(Secret.of(APPLIANCE_PRIVATE), 51820, listenAddress,
        List.of(prefix("198.18.51.1/24")), List.of(laptop, lyon));
    return new WireGuardTunnelPlan(new TunnelContext("sites", "wireguard", "sites", 0, 1420), settings);
  }

  private WireGuardTunnelPlan listeningOn(String address) {
    return plan(Optional.of(address(address)));
  }

  private static PeerConfigurationRequest endpoint(InetSocketAddress endpoint) {
    return new PeerConfigurationRequest(Optional.empty(), Optional.of(endpoint), Optional.empty());
  }

  @Test
  void writesTheDevicesSideWithTheAppliancesPublicKeyAndAPlaceholderForItsOwn() {
    PeerConfiguration config = listeningOn("198.18.50.1")
        .peerConfiguration("laptop", PeerConfigurationRequest.defaults()).orElseThrow();

    assertEquals("""
        # wg-quick configuration for peer "laptop" of Gatehouse tunnel "sites"
        [Interface]
        # Put this peer's own private key here: Gatehouse holds only its public key. A new
        # pair comes from 'gatehouse genkey'; 'gatehouse pubkey' of it goes into the peer's
        # public-key in the appliance's configuration.
        PrivateKey = <this peer's private key>
        Address = 198.18.51.7/32, 2001:2:0:51::7/128
        MTU = 1420

        [Peer]
        PublicKey = %s
        PresharedKey = %s
        Endpoint = 198.18.50.1:51820
        AllowedIPs = 0.0.0.0/0, ::/0
        PersistentKeepalive = 25
        """.formatted(APPLIANCE_PUBLIC, Base64.getEncoder().encodeToString(psk)), config.text());
    assertTrue(config.holdsSecrets(), "the preshared key is a secret");
  }

  @Test
  void aSiteThatOwnsOnlyNetworksGetsNoAddressAndRoutesOnlyItsFamily() {
    PeerConfiguration config = listeningOn("2001:2:0:50::1")
        .peerConfiguration(lyon.publicKey().toBase64(), PeerConfigurationRequest.defaults()).orElseThrow();

    assertFalse(config.text().contains("\nAddress ="), config.text());
    assertTrue(config.text().contains("\n# Address: none; the peer owns networks (198.18.52.0/24)"), config.text());
    assertTrue(config.text().contains("\nAllowedIPs = 0.0.0.0/0\n"), config.text());
    assertTrue(config.text().contains("\nEndpoint = [2001:2:0:50::1]:51820\n"), config.text());
    assertFalse(config.text().contains("PresharedKey"), config.text());
    assertFalse(config.text().contains("PersistentKeepalive"), config.text());
    assertFalse(config.holdsSecrets());
  }

  @Test
  void theRequestsEndpointAndAllowedIpsReplaceTheDefaults() {
    PeerConfigurationRequest request = new PeerConfigurationRequest(Optional.empty(),
        Optional.of(InetSocketAddress.createUnresolved("edge.example.net", 443)),
        Optional.of(List.of(prefix("198.18.60.0/24"), prefix("2001:2:0:60::/64"))));
    String text = plan(Optional.empty()).peerConfiguration("laptop", request).orElseThrow().text();

    assertTrue(text.contains("\nEndpoint = edge.example.net:443\n"), text);
    assertTrue(text.contains("\nAllowedIPs = 198.18.60.0/24, 2001:2:0:60::/64\n"), text);
  }

  @Test
  void aTunnelOnEveryAddressNeedsTheEndpointGiven() {
    for (WireGuardTunnelPlan plan : List.of(plan(Optional.empty()), listeningOn("0.0.0.0"), listeningOn("::"))) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> plan.peerConfiguration("laptop", PeerConfigurationRequest.defaults()));
      assertTrue(e.getMessage().contains("tunnel \"sites\" listens on every address"), e.getMessage());
    }
    String text = plan(Optional.empty())
        .peerConfiguration("laptop", endpoint(new InetSocketAddress(address("198.18.50.9"), 4500)))
        .orElseThrow().text();
    assertTrue(text.contains("\nEndpoint = 198.18.50.9:4500\n"), text);
  }

  @Test
  void writesThePeersPrivateKeyWhenGivenIt() {
    String key = X25519Keys.toBase64(laptopPrivate);
    PeerConfigurationRequest request = new PeerConfigurationRequest(Optional.of(Secret.of(key + "\n")),
        Optional.empty(), Optional.empty());
    PeerConfiguration config = listeningOn("198.18.50.1").peerConfiguration("laptop", request).orElseThrow();

    assertTrue(config.text().contains("\nPrivateKey = " + key + "\n"), config.text());
    assertFalse(config.text().contains("Put this peer's own private key here"), config.text());
    assertTrue(config.holdsSecrets());
    assertFalse(config.toString().contains(key), "the configuration prints redacted");
  }

  @Test
  void refusesAPrivateKeyThatIsNotThePeersNamingPublicKeysOnly() {
    String other = X25519Keys.toBase64(X25519Keys.generatePrivateKey(random));
    PeerConfigurationRequest request = new PeerConfigurationRequest(Optional.of(Secret.of(other)),
        Optional.empty(), Optional.empty());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> listeningOn("198.18.50.1").peerConfiguration("laptop", request));

    String derived = X25519Keys.toBase64(X25519Keys.publicKey(X25519Keys.fromBase64(other)));
    assertEquals("the private key given is not peer \"laptop\"'s: its public key is " + derived
        + ", the configuration has " + laptop.publicKey(), e.getMessage());
  }

  @Test
  void refusesAMalformedPrivateKeyWithoutQuotingIt() {
    String text = X25519Keys.toBase64(laptopPrivate).substring(0, 43);
    PeerConfigurationRequest request = new PeerConfigurationRequest(Optional.of(Secret.of(text)),
        Optional.empty(), Optional.empty());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> listeningOn("198.18.50.1").peerConfiguration("laptop", request));

    assertEquals("the peer's private key: expected a key of 44 base64 characters, got 43 characters",
        e.getMessage());
  }

  @Test
  void anUnknownPeerIsRefusedWithTheTunnelsPeersListed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> listeningOn("198.18.50.1").peerConfiguration("paris", PeerConfigurationRequest.defaults()));

    assertEquals("tunnel \"sites\" has no peer named \"paris\" or with that public key; its peers: laptop, "
        + lyon.label(), e.getMessage());
  }
}
