package dev.gatehouse.ingress.wireguard.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.config.ConfigError;
import dev.gatehouse.core.config.ConfigErrors;
import dev.gatehouse.core.config.ConfigNode;
import dev.gatehouse.core.config.IpPrefix;
import dev.gatehouse.core.config.Secret;
import dev.gatehouse.core.config.SecretSource;
import dev.gatehouse.core.crypto.X25519Keys;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.tunnel.TunnelPlan;
import dev.gatehouse.core.tunnel.TunnelProvider;
import dev.gatehouse.core.tunnel.TunnelProviders;
import dev.gatehouse.core.tunnel.TunnelSettingsReader;
import io.netty.util.NetUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code type: wireguard} settings, read the way the appliance reads tunnels (through
 * the core's TunnelSettingsReader), with the provider registered for these tests alone.
 */
class WireGuardTunnelProviderTest {
  /** Base64 of the bytes 0x01..0x20, 0x41..0x60, 0x81..0xa0 and 0xc1..0xe0. */
  private static final String PRIVATE_KEY = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
  private static final String PEER_A = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpbXF1eX2A=";
  private static final String PEER_B = "gYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6A=";
  private static final String PSK = "wcLDxMXGx8jJysvMzc7P0NHS09TV1tfY2drb3N3e3+A=";

  @TempDir
  Path dir;

  private static List<TunnelPlan> read(String yaml, SecretSource secrets, ConfigErrors errors) {
    TunnelSettingsReader reader = new TunnelSettingsReader(wireGuardOnly(), secrets);
    return reader.read(ConfigNode.parse(yaml, errors).orElseThrow(), errors);
  }

  private static List<TunnelPlan> read(String yaml, ConfigErrors errors) {
    return read(yaml, SecretSource.of(Map.of()), errors);
  }

  /** Only this provider, through ServiceLoader, from a services file the tests hold. */
  private static TunnelProviders wireGuardOnly() {
    ClassLoader parent = WireGuardTunnelProviderTest.class.getClassLoader();
    URL services = parent.getResource("dev/gatehouse/ingress/wireguard/config/tunnel-providers");
    return TunnelProviders.load(new ClassLoader(parent) {
      @Override
      public Enumeration<URL> getResources(String name) throws IOException {
        return name.equals("META-INF/services/" + TunnelProvider.class.getName())
            ? Collections.enumeration(List.of(services))
            : super.getResources(name);
      }
    });
  }

  private static WireGuardTunnelPlan single(List<TunnelPlan> plans, ConfigErrors errors) {
    assertTrue(errors.isEmpty(), messages(errors).toString());
    assertEquals(1, plans.size());
    return assertInstanceOf(WireGuardTunnelPlan.class, plans.getFirst());
  }

  private static List<String> messages(ConfigErrors errors) {
    return errors.list().stream().map(ConfigError::toString).toList();
  }

  private static List<String> errorsOf(String yaml) {
    ConfigErrors errors = new ConfigErrors();
    List<TunnelPlan> plans = read(yaml, errors);
    assertEquals(List.of(), plans);
    return messages(errors);
  }

  private static IpPrefix prefix(String text) {
    return IpPrefix.parse(text).orElseThrow();
  }

  private static InetSocketAddress socket(String address, int port) {
    return new InetSocketAddress(NetUtil.createInetAddressFromIpAddressString(address), port);
  }

  private static byte[] bytes(String base64) {
    return Base64.getDecoder().decode(base64);
  }

  @Test
  void isRegisteredNowThatTheTunnelRuns() {
    TunnelProviders registered = TunnelProviders.load(getClass().getClassLoader());

    assertInstanceOf(WireGuardTunnelProvider.class, registered.forType("wireguard").orElseThrow());
    assertEquals("wireguard", wireGuardOnly().forType("wireguard").orElseThrow().type());
  }

  @Test
  void fillsDefaultsForATunnelWithOnlyAKey() {
    ConfigErrors errors = new ConfigErrors();
    WireGuardTunnelPlan plan = single(read("""
        - name: sites
          type: wireguard
          private-key: %s
        """.formatted(PRIVATE_KEY), errors), errors);

    assertEquals(new TunnelContext("sites", "wireguard", "sites", 0, 1420), plan.context());
    WireGuardSettings settings = plan.settings();
    assertArrayEquals(bytes(PRIVATE_KEY), settings.privateKey().reveal());
    assertEquals(51820, settings.listenPort());
    assertEquals(Optional.empty(), settings.listenAddress());
    assertEquals(List.of(), settings.addresses());
    assertEquals(List.of(), settings.peers());
  }

  @Test
  void readsEverySetting() {
    ConfigErrors errors = new ConfigErrors();
    WireGuardTunnelPlan plan = single(read("""
        - name: sites
          type: wireguard
          mtu: 1380
          site: lyon
          virtual-network: 3
          private-key: %s
          listen-port: 51900
          listen-address: 198.18.50.2
          address:
            - 198.18.51.1/24
            - 2001:2:0:51::1/64
          peers:
            - name: branch-a
              public-key: %s
              preshared-key: %s
              allowed-ips: [198.18.52.0/24, 2001:2:0:52::/64]
              endpoint: 198.18.50.10:51820
              persistent-keepalive: 25
            - public-key: %s
              allowed-ips:
                - 198.18.53.7/32
              endpoint: "[2001:2:0:50::10]:51821"
              persistent-keepalive: 1m
        """.formatted(PRIVATE_KEY, PEER_A, PSK, PEER_B), errors), errors);

    assertEquals(new TunnelContext("sites", "wireguard", "lyon", 3, 1380), plan.context());
    WireGuardSettings settings = plan.settings();
    assertEquals(51900, settings.listenPort());
    assertEquals(Optional.of(NetUtil.createInetAddressFromIpAddressString("198.18.50.2")),
        settings.listenAddress());
    assertEquals(List.of(prefix("198.18.51.1/24"), prefix("2001:2:0:51::1/64")), settings.addresses());

    WireGuardPeerSettings a = settings.peers().get(0);
    assertEquals(Optional.of("branch-a"), a.name());
    assertEquals("branch-a", a.label());
    assertEquals(WireGuardPublicKey.of(bytes(PEER_A)), a.publicKey());
    assertArrayEquals(bytes(PSK), a.presharedKey().orElseThrow().reveal());
    assertEquals(List.of(prefix("198.18.52.0/24"), prefix("2001:2:0:52::/64")), a.allowedIps());
    assertEquals(Optional.of(socket("198.18.50.10", 51820)), a.endpoint());
    assertEquals(Optional.of(Duration.ofSeconds(25)), a.persistentKeepalive());

    WireGuardPeerSettings b = settings.peers().get(1);
    assertEquals(Optional.empty(), b.name());
    assertEquals("gYKDhIWG...", b.label());
    assertEquals(PEER_B, b.publicKey().toBase64());
    assertEquals(Optional.empty(), b.presharedKey());
    assertEquals(List.of(prefix("198.18.53.7/32")), b.allowedIps());
    assertEquals(Optional.of(socket("2001:2:0:50::10", 51821)), b.endpoint());
    assertEquals(Optional.of(Duration.ofMinutes(1)), b.persistentKeepalive());
  }

  @Test
  void takesOneAddressWithoutAList() {
    ConfigErrors errors = new ConfigErrors();
    WireGuardTunnelPlan plan = single(read("""
        - name: sites
          type: wireguard
          private-key: %s
          address: 2001:2:0:51::1/64
        """.formatted(PRIVATE_KEY), errors), errors);

    assertEquals(List.of(prefix("2001:2:0:51::1/64")), plan.settings().addresses());
  }

  @Test
  void leavesAPeerWithoutEndpointOrKeepaliveToWaitForIt() {
    ConfigErrors errors = new ConfigErrors();
    WireGuardTunnelPlan plan = single(read("""
        - name: sites
          type: wireguard
          private-key: %s
          peers:
            - public-key: %s
              allowed-ips:
                - 0.0.0.0/0
                - ::/0
        """.formatted(PRIVATE_KEY, PEER_A), errors), errors);

    WireGuardPeerSettings peer = plan.settings().peers().getFirst();
    assertEquals(Optional.empty(), peer.endpoint());
    assertEquals(Optional.empty(), peer.persistentKeepalive());
    assertEquals(List.of(prefix("0.0.0.0/0"), prefix("::/0")), peer.allowedIps());
  }

  @Test
  void readsKeysFromFilesAndTheEnvironment() throws Exception {
    Path keyFile = dir.resolve("private.key");
    Files.writeString(keyFile, PRIVATE_KEY + "\n"); // as `wg genkey > private.key` writes it
    Path pskFile = dir.resolve("branch.psk");
    Files.writeString(pskFile, PSK);
    SecretSource secrets = SecretSource.of(Map.of("WG_KEY", PRIVATE_KEY, "BRANCH_PSK", PSK));
    ConfigErrors errors = new ConfigErrors();

    List<TunnelPlan> plans = read("""
        - name: from-file
          type: wireguard
          private-key: {file: %s}
          peers:
            - public-key: %s
              preshared-key: {env: BRANCH_PSK}
              allowed-ips: [198.18.52.0/24]
        - name: from-env
          type: wireguard
          private-key: {env: WG_KEY}
          peers:
            - public-key: %s
              preshared-key: {file: %s}
              allowed-ips: [198.18.52.0/24]
        """.formatted(keyFile, PEER_A, PEER_A, pskFile), secrets, errors);

    assertTrue(errors.isEmpty(), messages(errors).toString());
    assertEquals(2, plans.size());
    for (TunnelPlan plan : plans) {
      WireGuardSettings settings = ((WireGuardTunnelPlan) plan).settings();
      assertArrayEquals(bytes(PRIVATE_KEY), settings.privateKey().reveal(), plan.context().name());
      assertArrayEquals(bytes(PSK), settings.peers().getFirst().presharedKey().orElseThrow().reveal(),
          plan.context().name());
    }
  }

  @Test
  void neverPrintsAKey() {
    ConfigErrors errors = new ConfigErrors();
    WireGuardTunnelPlan plan = single(read("""
        - name: sites
          type: wireguard
          private-key: %s
          peers:
            - public-key: %s
              preshared-key: %s
              allowed-ips: [198.18.52.0/24]
        """.formatted(PRIVATE_KEY, PEER_A, PSK), errors), errors);

    String printed = plan.toString();
    assertTrue(printed.contains("privateKey=<redacted>"), printed);
    assertTrue(printed.contains("presharedKey=Optional[<redacted>]"), printed);
    assertTrue(printed.contains(PEER_A), "a public key is no secret: " + printed);
    assertFalse(printed.contains(PRIVATE_KEY) || printed.contains(PSK), printed);
  }

  @Test
  void namesAWrongSecretWithoutShowingIt() {
    String secretText = "hunter2-is-my-private-key";
    List<String> messages = errorsOf("""
        - name: sites
          type: wireguard
          private-key: %s
          peers:
            - public-key: %s
              preshared-key: {env: NOT_SET}
              allowed-ips: [198.18.52.0/24]
        """.formatted(secretText, PEER_A));

    assertEquals(List.of(
        "[0].private-key: expected a private key as wg genkey prints it: 32 bytes in 44 characters"
            + " of base64, got text that is not base64 (line 3)",
        "[0].peers[0].preshared-key: environment variable NOT_SET is not set (line 6)"),
        messages);
    assertFalse(messages.toString().contains("hunter2"), messages.toString());
  }

  @Test
  void refusesKeysOfTheWrongLengthOrSpelling() {
    // 31 zero bytes; PEER_A without its '='; PEER_A with a padding bit set
    String short31 = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==";
    String unpadded = PEER_A.substring(0, 43);
    String paddingBit = PEER_A.substring(0, 42) + "B=";
    assertEquals(List.of(
        "[0].private-key: expected a private key as wg genkey prints it: 32 bytes in 44"
            + " characters of base64, got base64 of 31 bytes (line 3)",
        "[0].peers[0].public-key: expected a public key as wg pubkey prints it: 32 bytes in 44"
            + " characters of base64, got base64 spelt otherwise than wg spells it (44 characters,"
            + " ending in one '=') (line 5)",
        "[0].peers[0].preshared-key: expected a preshared key as wg genpsk prints it: 32 bytes in"
            + " 44 characters of base64, got base64 of 31 bytes (line 6)",
        "[0].peers[1].public-key: expected a public key as wg pubkey prints it: 32 bytes in 44"
            + " characters of base64, got base64 spelt otherwise than wg spells it (44 characters,"
            + " ending in one '=') (line 8)",
        "[0].peers[2].public-key: expected a public key as wg pubkey prints it: 32 bytes in 44"
            + " characters of base64, got text that is not base64 (line 10)"),
        errorsOf("""
            - name: sites
              type: wireguard
              private-key: %s
              peers:
                - public-key: %s
                  preshared-key: %s
                  allowed-ips: [198.18.52.0/24]
                - public-key: %s
                  allowed-ips: [198.18.53.0/24]
                - public-key: "%s"
                  allowed-ips: [198.18.54.0/24]
            """.formatted(short31, unpadded, short31, paddingBit, PEER_A.replace('Q', '!'))));
  }

  @Test
  void requiresAPrivateKeyAndEachPeersKeyAndAllowedIps() {
    assertEquals(List.of(
        "[0].private-key: required setting is missing (line 1)",
        "[0].peers[0].allowed-ips: required setting is missing (line 4)",
        "[0].peers[0].public-key: required setting is missing (line 4)",
        "[0].peers[1].allowed-ips: expected at least one prefix: a peer with no allowed IPs can"
            + " send nothing and be sent nothing (line 6)"),
        errorsOf("""
            - name: sites
              type: wireguard
              peers:
                - name: keyless
                - public-key: %s
                  allowed-ips: []
            """.formatted(PEER_A)));
  }

  @Test
  void reportsEveryWrongInterfaceSettingWithItsPathAndLine() {
    assertEquals(List.of(
        "[0].listen-port: expected 1..65535, got 0 (line 4)",
        "[0].listen-address: expected an IPv4 or IPv6 address, got \"wg.example\" (line 5)",
        "[0].address[0]: expected an address prefix like 198.18.40.0/31 or 2001:2::/64, got"
            + " \"198.18.51.1\" (line 7)",
        "[0].address[2]: address 2001:2:0:51::1/64 is already listed on line 8 (line 9)",
        "[0].peers: expected a list, got \"none\" (line 10)",
        "[0].listen_port: unknown setting; expected one of name, type, mtu, site, virtual-network,"
            + " private-key, listen-port, listen-address, address, peers (line 11)",
        "[1].listen-port: expected 1..65535, got 65536 (line 15)"),
        errorsOf("""
            - name: sites
              type: wireguard
              private-key: %s
              listen-port: 0
              listen-address: wg.example
              address:
                - 198.18.51.1
                - 2001:2:0:51::1/64
                - 2001:2:0:51::1/64
              peers: none
              listen_port: 51820
            - name: other
              type: wireguard
              private-key: %s
              listen-port: 65536
            """.formatted(PRIVATE_KEY, PRIVATE_KEY)));
  }

  @Test
  void reportsEveryWrongPeerSettingWithItsPathAndLine() {
    assertEquals(List.of(
        "[0].peers[0].name: expected a name of 1 to 63 letters, digits, '.', '_' and '-', starting"
            + " with a letter or digit, got \"-dash first\" (line 5)",
        "[0].peers[0].allowed-ips[0]: expected a network prefix with no bits set past the prefix"
            + " length, like 198.18.51.0/24 or 198.18.51.7/32, got 198.18.52.1/24 (line 8)",
        "[0].peers[0].allowed-ips[1]: expected an address prefix like 198.18.40.0/31 or"
            + " 2001:2::/64, got \"198.18.53.0\" (line 9)",
        "[0].peers[0].allowed-ips[2]: expected a network prefix with no bits set past the prefix"
            + " length, like 2001:2:0:51::/64 or 2001:2:0:51::7/128, got 2001:2:0:52::1/64 (line 10)",
        "[0].peers[0].allowed-ips[4]: prefix 198.18.54.0/24 is already listed on line 11 (line 12)",
        "[0].peers[0].endpoint: expected a literal address and port like 198.18.50.2:51820 or"
            + " [2001:2:0:50::2]:51820 (host names are not resolved), got \"branch.example:51820\""
            + " (line 13)",
        "[0].peers[0].persistent-keepalive: expected whole seconds from 1 to 65535, as a number"
            + " (25) or a duration (25s, 2m), got \"0\" (line 14)",
        "[0].peers[0].keepalive: unknown setting; expected one of name, public-key, preshared-key,"
            + " allowed-ips, endpoint, persistent-keepalive (line 15)",
        "[0].peers[1].endpoint: expected a literal address and port like 198.18.50.2:51820 or"
            + " [2001:2:0:50::2]:51820 (host names are not resolved), got \"198.18.50.10\" (line 18)",
        "[0].peers[1].persistent-keepalive: expected whole seconds from 1 to 65535, as a number"
            + " (25) or a duration (25s, 2m), got \"65536\" (line 19)",
        "[0].peers[2].endpoint: expected a literal address and port like 198.18.50.2:51820 or"
            + " [2001:2:0:50::2]:51820 (host names are not resolved), got \"198.18.50.10:0\" (line 22)",
        "[0].peers[2].persistent-keepalive: expected whole seconds from 1 to 65535, as a number"
            + " (25) or a duration (25s, 2m), got \"1500ms\" (line 23)",
        "[0].peers[3].endpoint: expected a literal address and port like 198.18.50.2:51820 or"
            + " [2001:2:0:50::2]:51820 (host names are not resolved), got \"2001:2:0:50::10:51820\""
            + " (line 26)",
        "[0].peers[3].persistent-keepalive: expected whole seconds from 1 to 65535, as a number"
            + " (25) or a duration (25s, 2m), got \"soon\" (line 27)"),
        errorsOf("""
            - name: sites
              type: wireguard
              private-key: %s
              peers:
                - name: "-dash first"
                  public-key: %s
                  allowed-ips:
                    - 198.18.52.1/24
                    - 198.18.53.0
                    - 2001:2:0:52::1/64
                    - 198.18.54.0/24
                    - 198.18.54.0/24
                  endpoint: branch.example:51820
                  persistent-keepalive: 0
                  keepalive: 25
                - public-key: %s
                  allowed-ips: [198.18.60.0/24]
                  endpoint: 198.18.50.10
                  persistent-keepalive: 65536
                - public-key: %s
                  allowed-ips: [198.18.61.0/24]
                  endpoint: 198.18.50.10:0
                  persistent-keepalive: 1500ms
                - public-key: %s
                  allowed-ips: [198.18.62.0/24]
                  endpoint: 2001:2:0:50::10:51820
                  persistent-keepalive: soon
            """.formatted(PRIVATE_KEY, PEER_A, PEER_B, PSK, PRIVATE_KEY)));
  }

  @Test
  void refusesTwoPeersWithOneKeyOrOneName() {
    assertEquals(List.of(
        "[0].peers[1].name: peer name \"branch\" is already used on line 5 (line 8)",
        "[0].peers[1].public-key: public key is already peer \"branch\"'s (line 6): a key names one"
            + " peer (line 9)",
        "[0].peers[2].public-key: public key is already peer \"branch\"'s (line 6): a key names one"
            + " peer (line 12)"),
        errorsOf("""
            - name: sites
              type: wireguard
              private-key: %s
              peers:
                - name: branch
                  public-key: %s
                  allowed-ips: [198.18.52.0/24]
                - name: branch
                  public-key: %s
                  allowed-ips: [198.18.53.0/24]
                -
                  public-key: %s
                  allowed-ips: [198.18.54.0/24]
            """.formatted(PRIVATE_KEY, PEER_A, PEER_A, PEER_A)));
  }

  @Test
  void refusesAPeerWithTheTunnelsOwnPublicKey() {
    String own = X25519Keys.toBase64(X25519Keys.publicKey(bytes(PRIVATE_KEY)));
    assertEquals(List.of("[0].peers[1].public-key: public key is this tunnel's own (the one its private-key gives):"
        + " a tunnel cannot be its own peer (line 9)"),
        errorsOf("""
            - name: sites
              type: wireguard
              private-key: %s
              peers:
                - name: branch
                  public-key: %s
                  allowed-ips: [198.18.52.0/24]
                - name: itself
                  public-key: %s
                  allowed-ips: [198.18.53.0/24]
            """.formatted(PRIVATE_KEY, PEER_A, own)));
  }

  @Test
  void refusesAllowedIpsThatTwoPeersShareOrNest() {
    assertEquals(List.of(
        "[0].peers[1].allowed-ips[0]: peer \"b\"'s 198.18.52.0/24 overlaps peer \"a\"'s"
            + " 198.18.52.0/24 (line 8): an inner address must belong to one peer only (line 12)",
        "[0].peers[1].allowed-ips[1]: peer \"b\"'s 2001:2:0:52::/64 overlaps peer \"a\"'s"
            + " 2001:2::/48 (line 9): an inner address must belong to one peer only (line 12)",
        // the /15 holds a prefix of each of the other two peers: one error for each
        "[0].peers[2].allowed-ips[0]: peers[2]'s 198.18.0.0/15 overlaps peer \"a\"'s 198.18.52.0/24"
            + " (line 8): an inner address must belong to one peer only (line 14)",
        "[0].peers[2].allowed-ips[0]: peers[2]'s 198.18.0.0/15 overlaps peer \"b\"'s 198.18.53.0/24"
            + " (line 12): an inner address must belong to one peer only (line 14)"),
        errorsOf("""
            - name: sites
              type: wireguard
              private-key: %s
              peers:
                - name: a
                  public-key: %s
                  allowed-ips:
                    - 198.18.52.0/24
                    - 2001:2::/48
                - name: b
                  public-key: %s
                  allowed-ips: [198.18.52.0/24, 2001:2:0:52::/64, 198.18.53.0/24]
                - public-key: %s
                  allowed-ips: [198.18.0.0/15]
            """.formatted(PRIVATE_KEY, PEER_A, PEER_B, PSK)));
  }

  @Test
  void letsOnePeerNestItsOwnPrefixesAndOthersSitBesideThem() {
    ConfigErrors errors = new ConfigErrors();
    WireGuardTunnelPlan plan = single(read("""
        - name: sites
          type: wireguard
          private-key: %s
          peers:
            - public-key: %s
              allowed-ips: [198.18.52.0/23, 198.18.52.0/24, 198.18.53.7/32]
            - public-key: %s
              allowed-ips: [198.18.54.0/23, 198.18.51.255/32, 2001:2:0:52::/64]
        """.formatted(PRIVATE_KEY, PEER_A, PEER_B), errors), errors);

    assertEquals(2, plan.settings().peers().size());
  }

  @Test
  void refusesAnMtuTooSmallForIpv6OnlyWhenTheTunnelCarriesIpv6() {
    ConfigErrors errors = new ConfigErrors();
    WireGuardTunnelPlan ipv4Only = single(read("""
        - name: small
          type: wireguard
          mtu: 1200
          private-key: %s
          address: 198.18.51.1/24
          peers:
            - public-key: %s
              allowed-ips: [198.18.52.0/24]
        """.formatted(PRIVATE_KEY, PEER_A), errors), errors);
    assertEquals(1200, ipv4Only.context().mtuBytes());

    assertEquals(List.of("[0].mtu: expected at least 1280 for a tunnel that carries IPv6"
        + " (RFC 8200 §5), got 1200 (line 3)"),
        errorsOf("""
            - name: small
              type: wireguard
              mtu: 1200
              private-key: %s
              peers:
                - public-key: %s
                  allowed-ips: [2001:2:0:52::/64]
            """.formatted(PRIVATE_KEY, PEER_A)));
  }

  @Test
  void readsTheExampleInTheConfigurationReference() throws Exception {
    String reference = Files.readString(Path.of("..", "docs", "CONFIG.md"));
    String section = reference.substring(reference.indexOf("### `type: wireguard`"));
    int start = section.indexOf("```yaml\n") + "```yaml\n".length();
    String yaml = section.substring(start, section.indexOf("```", start));
    SecretSource secrets = new SecretSource() {
      @Override
      public Optional<Secret> file(String path) {
        return Optional.of(Secret.of(path.equals("/etc/gatehouse/wg-sites.key") ? PRIVATE_KEY : "?"));
      }

      @Override
      public Optional<Secret> env(String name) {
        return Optional.of(Secret.of(name.equals("GATEHOUSE_LYON_PSK") ? PSK : "?"));
      }
    };
    ConfigErrors errors = new ConfigErrors();
    ConfigNode document = ConfigNode.parse(yaml, errors).orElseThrow();
    ConfigNode tunnels = document.asMap(errors).orElseThrow().required("tunnels").orElseThrow();

    List<TunnelPlan> plans = new TunnelSettingsReader(wireGuardOnly(), secrets).read(tunnels, errors);

    WireGuardTunnelPlan plan = single(plans, errors);
    assertEquals(List.of("lyon", "laptop"),
        plan.settings().peers().stream().map(WireGuardPeerSettings::label).toList());
    assertArrayEquals(bytes(PSK), plan.settings().peers().getFirst().presharedKey().orElseThrow().reveal());
  }
}
