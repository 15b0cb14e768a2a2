package dev.gatehouse.appliance;

import static dev.gatehouse.appliance.Commands.run;
import static dev.gatehouse.appliance.Commands.runWithInput;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.appliance.Commands.Outcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code gatehouse peer-config} on a configuration with a WireGuard tunnel and a TUN one. */
class PeerConfigCommandTest {

  @TempDir Path dir;

  private String applianceKey;
  private String laptopKey;
  private String laptopPublic;
  private String lyonPublic;
  private String psk;
  private Path config;

  /** Every key comes from the commands under test; the expectations from the keys. */
  @BeforeEach
  void writeConfiguration() throws Exception {
    applianceKey = run("genkey").out().strip();
    laptopKey = run("genkey").out().strip();
    laptopPublic = pubkey(laptopKey);
    lyonPublic = pubkey(run("genkey").out());
    psk = run("genkey").out().strip();
    config = write("gatehouse.yaml", """
        tunnels:
          - name: sites
            type: wireguard
            private-key: %s
            listen-address: 198.18.50.1
            listen-port: 51821
            address: [198.18.51.1/24]
            peers:
              - name: laptop
                public-key: %s
                preshared-key: %s
                allowed-ips: [198.18.51.7/32]
                persistent-keepalive: 25
              - name: lyon
                public-key: %s
                allowed-ips:
                  - 198.18.52.0/24
                  - 2001:2:0:52::/64
          - name: roaming
            type: wireguard
            private-key: %s
            listen-port: 51822
            peers:
              - name: phone
                public-key: %s
                allowed-ips: [198.18.53.9/32]
          - name: lab
            type: tun
        """.formatted(applianceKey, laptopPublic, psk, lyonPublic, applianceKey, lyonPublic));
  }

  private Path write(String name, String text) throws Exception {
    return Files.writeString(dir.resolve(name), text);
  }

  private static String pubkey(String privateKey) {
    Outcome outcome = runWithInput(privateKey, "pubkey");
    assertEquals(0, outcome.exitCode(), outcome.err());
    return outcome.out().strip();
  }

  private Outcome peerConfig(String... options) {
    String[] args = new String[options.length + 3];
    args[0] = "peer-config";
    args[1] = "--config";
    args[2] = config.toString();
    System.arraycopy(options, 0, args, 3, options.length);
    return run(args);
  }

  /** The lines a wg-quick parser reads: no comments, no blank lines. */
  private static List<String> settingLines(String text) {
    return text.lines().filter(line -> !line.isBlank() && !line.startsWith("#")).toList();
  }

  @Test
  void printsEveryLineTheLaptopNeedsWithAPlaceholderForItsKey() {
    Outcome outcome = peerConfig("--tunnel", "sites", "--peer", "laptop");

    assertEquals(0, outcome.exitCode(), outcome.err());
    assertEquals(List.of(
        "[Interface]",
        "PrivateKey = <this peer's private key>",
        "Address = 198.18.51.7/32",
        "MTU = 1420",
        "[Peer]",
        "PublicKey = " + pubkey(applianceKey),
        "PresharedKey = " + psk,
        "Endpoint = 198.18.50.1:51821",
        "AllowedIPs = 0.0.0.0/0",
        "PersistentKeepalive = 25"), settingLines(outcome.out()));
    assertTrue(outcome.out().contains("# Put this peer's own private key here"), outcome.out());
    assertTrue(outcome.err().contains("the output holds secrets meant for peer \"laptop\" alone"), outcome.err());
    assertTrue(outcome.err().contains("PrivateKey is a placeholder"), outcome.err());
    assertFalse(outcome.err().contains(psk), outcome.err());
  }

  @Test
  void thePublicKeyIsWhatWgPubkeyDerivesFromTheTunnelsPrivateKey() throws Exception {
    String out = peerConfig("--tunnel", "sites", "--peer", "lyon").out();

    String wgPublic = KeyCommandsTest.wg(applianceKey + "\n", "pubkey").strip();
    assertTrue(settingLines(out).contains("PublicKey = " + wgPublic), out);
    assertFalse(out.contains(applianceKey), "the appliance's private key stays on the appliance");
  }

  @Test
  void withTheLaptopsKeyAndEndpointTheFileIsCompleteAndChecked() throws Exception {
    Path keyFile = write("laptop.key", laptopKey + "\n");
    Outcome outcome = peerConfig("--tunnel", "sites", "--peer", laptopPublic, "--private-key-file",
        keyFile.toString(), "--endpoint", "edge.example.net:443", "--allowed-ips", "198.18.60.0/24,2001:2:0:60::/64");

    assertEquals(0, outcome.exitCode(), outcome.err());
    List<String> lines = settingLines(outcome.out());
    assertTrue(lines.contains("PrivateKey = " + laptopKey), outcome.out());
    assertTrue(lines.contains("Endpoint = edge.example.net:443"), outcome.out());
    assertTrue(lines.contains("AllowedIPs = 198.18.60.0/24, 2001:2:0:60::/64"), outcome.out());
    assertFalse(outcome.out().contains("<this peer's private key>"), outcome.out());
    assertFalse(outcome.err().contains("placeholder"), outcome.err());
    assertTrue(outcome.err().contains("holds secrets"), outcome.err());
  }

  @Test
  void aSiteGetsNoAddressAndRoutesBothItsFamilies() {
    Outcome outcome = peerConfig("--tunnel", "sites", "--peer", "lyon", "--endpoint", "[2001:2:0:50::1]:51821");

    assertEquals(0, outcome.exitCode(), outcome.err());
    List<String> lines = settingLines(outcome.out());
    assertTrue(lines.stream().noneMatch(line -> line.startsWith("Address")), outcome.out());
    assertTrue(lines.contains("AllowedIPs = 0.0.0.0/0, ::/0"), outcome.out());
    assertTrue(lines.contains("Endpoint = [2001:2:0:50::1]:51821"), outcome.out());
    assertTrue(lines.stream().noneMatch(line -> line.startsWith("PresharedKey")), outcome.out());
    assertFalse(outcome.err().contains("holds secrets"), "no preshared key, no private key: " + outcome.err());
  }

  @Test
  void aTunnelOnEveryAddressNeedsAnEndpoint() {
    Outcome without = peerConfig("--tunnel", "roaming", "--peer", "phone");
    assertEquals(1, without.exitCode());
    assertEquals("", without.out());
    assertTrue(without.err().startsWith("gatehouse: peer-config: tunnel \"roaming\" listens on every address"),
        without.err());

    Outcome with = peerConfig("--tunnel", "roaming", "--peer", "phone", "--endpoint", "198.18.251.7:51822");
    assertEquals(0, with.exitCode(), with.err());
    assertTrue(settingLines(with.out()).contains("Endpoint = 198.18.251.7:51822"), with.out());
  }

  @Test
  void refusesAPrivateKeyFileThatIsNotThePeersWithoutPrintingIt() throws Exception {
    String otherKey = run("genkey").out().strip();
    Path keyFile = write("other.key", otherKey + "\n");
    Outcome outcome = peerConfig("--tunnel", "sites", "--peer", "laptop", "--private-key-file", keyFile.toString());

    assertEquals(1, outcome.exitCode());
    assertEquals("", outcome.out());
    assertEquals("gatehouse: peer-config: the private key given is not peer \"laptop\"'s: its public key is "
        + pubkey(otherKey) + ", the configuration has " + laptopPublic + "\n", outcome.err());
  }

  @Test
  void refusesAMalformedOrMissingPrivateKeyFile() throws Exception {
    Path keyFile = write("short.key", laptopKey.substring(0, 30) + "\n");
    Outcome malformed = peerConfig("--tunnel", "sites", "--peer", "laptop", "--private-key-file", keyFile.toString());
    assertEquals(1, malformed.exitCode());
    assertEquals("gatehouse: peer-config: the peer's private key: expected a key of 44 base64 characters,"
        + " got 30 characters\n", malformed.err());

    Path missing = dir.resolve("missing.key");
    Outcome absent = peerConfig("--tunnel", "sites", "--peer", "laptop", "--private-key-file", missing.toString());
    assertEquals(1, absent.exitCode());
    assertEquals("gatehouse: peer-config: cannot read the private key file " + missing + ": no such file\n",
        absent.err());
  }

  @Test
  void unknownTunnelsAndPeersAndTypesWithoutPeerConfigurationsFailClearly() {
    Outcome tunnel = peerConfig("--tunnel", "paris", "--peer", "laptop");
    assertEquals(1, tunnel.exitCode());
    assertEquals("gatehouse: peer-config: no tunnel named \"paris\" in " + config
        + "; its tunnels: sites, roaming, lab\n", tunnel.err());

    Outcome peer = peerConfig("--tunnel", "sites", "--peer", "paris");
    assertEquals(1, peer.exitCode());
    assertEquals("gatehouse: peer-config: tunnel \"sites\" has no peer named \"paris\" or with that public"
        + " key; its peers: laptop, lyon\n", peer.err());

    Outcome tun = peerConfig("--tunnel", "lab", "--peer", "laptop");
    assertEquals(1, tun.exitCode());
    assertEquals("gatehouse: peer-config: tunnel \"lab\" is of type tun, which has no peer configuration"
        + " to give\n", tun.err());
  }

  @Test
  void anInvalidFileReportsItsErrorsAsCheckConfigDoes() throws Exception {
    config = write("bad.yaml", Files.readString(config).replace("listen-port: 51821", "listen-port: 0")
        .replace("allowed-ips: [198.18.53.9/32]", "allowed-ips: [198.18.53.9/24]"));
    Outcome outcome = peerConfig("--tunnel", "sites", "--peer", "laptop");

    assertEquals(1, outcome.exitCode());
    assertEquals("", outcome.out());
    assertTrue(outcome.err().startsWith(config + ": 2 errors\n"), outcome.err());
    assertEquals(run("check-config", config.toString()).err(), outcome.err());
    assertFalse(outcome.err().contains(applianceKey), outcome.err());
  }

  @Test
  void aMalformedEndpointOrPrefixIsAUsageError() {
    Outcome endpoint = peerConfig("--tunnel", "sites", "--peer", "laptop", "--endpoint", "2001:2::1:51820");
    assertEquals(2, endpoint.exitCode());
    assertTrue(endpoint.err().contains("expected HOST:PORT"), endpoint.err());
    assertEquals(2, peerConfig("--tunnel", "sites", "--peer", "laptop", "--endpoint", "edge:0").exitCode());
    assertEquals(2, peerConfig("--tunnel", "sites", "--peer", "laptop", "--endpoint", "-x-:51820").exitCode());

    Outcome prefix = peerConfig("--tunnel", "sites", "--peer", "laptop", "--allowed-ips", "198.18.60.0");
    assertEquals(2, prefix.exitCode());
    assertTrue(prefix.err().contains("expected an address prefix"), prefix.err());
  }
}
