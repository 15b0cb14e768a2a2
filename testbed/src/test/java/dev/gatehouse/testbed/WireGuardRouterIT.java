package dev.gatehouse.testbed;

import static dev.gatehouse.testbed.Hosts.sh;
import static dev.gatehouse.testbed.Hosts.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.testbed.WireGuardSite.Peer;
import dev.gatehouse.testbed.WireGuardSite.PeerStatus;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;

/**
 * A site router running Debian's {@code wireguard-go} attaches to the appliance over
 * WireGuard; its clients reach real origins through Gatehouse, which terminates the tunnel
 * in user space and every flow in it.
 *
 * <pre>
 *   site 198.18.10.10 --(UDP 51820)--> appliance 198.18.10.2 ... appliance 198.18.20.2 --> origin 198.18.20.10
 *   wg 198.18.52.2/24, 2001:2:0:52::2/64: routes 198.18.20.0/24 and 2001:2:0:20::/64 into the tunnel
 * </pre>
 */
class WireGuardRouterIT {
  private static final String ORIGIN = RouterTopology.ORIGIN_HOST;
  private static final String ORIGIN_V6 = RouterTopology.ORIGIN_HOST_V6;
  private static final String APPLIANCE = RouterTopology.APPLIANCE_SITE_SIDE;
  private static final int WG_PORT = 51820;
  private static final int SITE_WG_PORT = 51830;
  private static final String SITE_INNER = "198.18.52.2";
  private static final String SITE_INNER_V6 = "2001:2:0:52::2";
  private static final int MTU_BYTES = 1420;
  /** Where the appliance dials the second site interface, which never dials it. */
  private static final int DIALED_WG_PORT = 51850;
  private static final int KEEPALIVE_SECONDS = 2;

  private static Network siteNet;
  private static Network originNet;
  private static GenericContainer<?> site;
  private static GenericContainer<?> appliance;
  private static GenericContainer<?> origin;
  private static WireGuardSite siteWg;
  private static WireGuardSite dialedWg;
  private static String appliancePublicKey;

  @BeforeAll
  static void start() throws Exception {
    TestImages.ensureBuilt();
    siteNet = RouterTopology.subnet(RouterTopology.SITE_SUBNET, RouterTopology.SITE_SUBNET_V6);
    originNet = RouterTopology.subnet(RouterTopology.ORIGIN_SUBNET, RouterTopology.ORIGIN_SUBNET_V6);
    origin = RouterTopology.originHost(originNet);
    site = WireGuardSite.peerHost(siteNet, RouterTopology.SITE_HOST, RouterTopology.SITE_HOST_V6);
    origin.start();
    site.start();

    // The appliance's key is made as an operator makes it, with wg genkey.
    siteWg = WireGuardSite.create(site);
    dialedWg = WireGuardSite.create(site);
    String privateKey = RouterTopology.run(site, "wg", "genkey").getStdout().trim();
    appliancePublicKey = RouterTopology.run(site, "sh", "-c", "echo " + privateKey + " | wg pubkey").getStdout().trim();
    appliance = RouterTopology.applianceHost(siteNet, config(privateKey, siteWg.publicKey(), dialedWg.publicKey()));
    appliance.start();
    RouterTopology.join(appliance, originNet, RouterTopology.APPLIANCE_ORIGIN_SIDE,
        RouterTopology.APPLIANCE_ORIGIN_SIDE_V6);

    siteWg.up(SITE_WG_PORT, MTU_BYTES, List.of(SITE_INNER + "/24", SITE_INNER_V6 + "/64"),
        List.of(new Peer(appliancePublicKey, Optional.empty(), Optional.of(APPLIANCE + ":" + WG_PORT),
            List.of(RouterTopology.ORIGIN_SUBNET, RouterTopology.ORIGIN_SUBNET_V6), 0)));
  }

  private static String config(String privateKey, String sitePublicKey, String dialedPublicKey) {
    return """
        admin: { listen: 0.0.0.0:9090 }
        explicit-proxy: { enabled: false }
        proxy:
          udp: { idle-timeout: 2s }
        tunnels:
          - name: branch
            type: wireguard
            site: lyon
            private-key: %s
            listen-port: %d
            address: 198.18.52.1/24
            peers:
              - name: lyon-router
                public-key: %s
                allowed-ips:
                  - 198.18.52.0/24
                  - 2001:2:0:52::/64
              - name: dialed
                public-key: %s
                allowed-ips: [198.18.54.0/24]
                endpoint: %s:%d
                persistent-keepalive: %d
        """.formatted(privateKey, WG_PORT, sitePublicKey, dialedPublicKey, RouterTopology.SITE_HOST, DIALED_WG_PORT,
            KEEPALIVE_SECONDS);
  }

  @AfterAll
  static void stop() {
    Hosts.stopAll(Arrays.asList(site, appliance, origin), Arrays.asList(siteNet, originNet));
  }

  @Test
  void curlFetchesAPageThroughTheTunnel() throws Exception {
    ExecResult curl = sh(site, "curl -sS --max-time 10 http://" + ORIGIN + "/");
    assertEquals("gatehouse origin\n", curl.getStdout(), curl.getStderr() + siteWg.log());
    ExecResult accessLog = sh(origin, "tail -n 1 /var/log/nginx/access.log");
    assertTrue(accessLog.getStdout().startsWith(RouterTopology.APPLIANCE_ORIGIN_SIDE + " "), accessLog.getStdout());

    // the IPv6 test's flows go to port 80 as well: the address tells this one apart
    String record = awaitRecord("\"TunnelType\":\"wireguard\"", "\"DestinationIP\":\"" + ORIGIN + "\"",
        "\"DestinationPort\":80", "\"ConnectionCloseReason\":\"CLIENT_CLOSED\"");
    assertTrue(record.contains("\"Tunnel\":\"branch\""), record);
    assertTrue(record.contains("\"Site\":\"lyon\""), record);
    assertTrue(record.contains("\"SourceIP\":\"" + SITE_INNER + "\""), record);

    PeerStatus appliancePeer = siteWg.peer(appliancePublicKey);
    assertTrue(appliancePeer.hasHandshake(), appliancePeer.toString());
    assertEquals(Optional.of(APPLIANCE + ":" + WG_PORT), appliancePeer.endpoint());
  }

  @Test
  void carriesIpv6UdpAndPing() throws Exception {
    ExecResult curl6 = sh(site, "curl -sS -g --max-time 10 'http://[" + ORIGIN_V6 + "]/'");
    assertEquals("gatehouse origin\n", curl6.getStdout(), curl6.getStderr());
    awaitRecord("\"TunnelType\":\"wireguard\"", "\"SourceIP\":\"" + SITE_INNER_V6 + "\"");

    ExecResult echo = sh(site, "echo gatehouse-wg-udp | socat -t 3 - UDP:" + ORIGIN + ":7");
    assertEquals("gatehouse-wg-udp\n", echo.getStdout(), echo.getStderr());
    ExecResult ping = sh(site, "ping -n -c 3 -i 0.2 -W 2 " + ORIGIN);
    assertTrue(ping.getStdout().contains("3 received"), ping.getStdout() + ping.getStderr());
    ExecResult ping6 = sh(site, "ping -6 -n -c 3 -i 0.2 -W 2 " + ORIGIN_V6);
    assertTrue(ping6.getStdout().contains("3 received"), ping6.getStdout() + ping6.getStderr());
  }

  @Test
  void movesOneGibibyteByteExactBothWays() throws Exception {
    Hosts.assertByteExactBothWays(site, origin, ORIGIN, 1L << 30);
  }

  @Test
  void tsharkDecodesTheTunnelAsWireGuard() throws Exception {
    Tshark capture = Tshark.start(site, "appliance", "udp port " + WG_PORT);
    // a restart makes the site handshake again inside the capture
    siteWg.restart();
    ExecResult curl = sh(site, "curl -sS --max-time 10 http://" + ORIGIN + "/");
    capture.stop();
    assertEquals("gatehouse origin\n", curl.getStdout(), curl.getStderr());

    List<String> decoded = capture.decode("udp.port==" + WG_PORT + ",wg");
    for (String message : List.of("Handshake Initiation", "Handshake Response", "Transport Data")) {
      assertTrue(decoded.stream().anyMatch(line -> line.contains("WireGuard") && line.contains(message)),
          "no " + message + " in the capture:\n" + String.join("\n", decoded));
    }
    // The response came from the appliance: tshark shows its source address.
    assertTrue(decoded.stream().anyMatch(line -> line.contains(APPLIANCE + " → " + RouterTopology.SITE_HOST)
        && line.contains("Handshake Response")), String.join("\n", decoded));
  }

  @Test
  void restartedSiteReestablishesTheTunnel() throws Exception {
    assertEquals("gatehouse origin\n", sh(site, "curl -sS --max-time 10 http://" + ORIGIN + "/").getStdout());
    int before = siteWg.processId();
    siteWg.restart();
    assertNotEquals(before, siteWg.processId());
    assertFalse(siteWg.peer(appliancePublicKey).hasHandshake(), "a new wireguard-go remembers no session");

    ExecResult curl = sh(site, "curl -sS --max-time 10 http://" + ORIGIN + "/");
    assertEquals("gatehouse origin\n", curl.getStdout(), curl.getStderr() + siteWg.log());
    assertTrue(siteWg.peer(appliancePublicKey).hasHandshake());
  }

  @Test
  void aPeerWithAWrongKeyGetsNoAnswerAtAll() throws Exception {
    WireGuardSite stranger = WireGuardSite.create(site);
    int strangerPort = 51840;
    Tshark capture = Tshark.start(site, "stranger", "udp port " + strangerPort);
    // The appliance's public key is right, but the appliance knows no peer with this key.
    stranger.up(strangerPort, MTU_BYTES, List.of("198.18.53.2/24"),
        List.of(new Peer(appliancePublicKey, Optional.empty(), Optional.of(APPLIANCE + ":" + WG_PORT),
            List.of("198.18.21.0/24"), 0)));
    try {
      // ping makes wireguard-go initiate, and retry every 5 s (REKEY-TIMEOUT)
      sh(site, "ping -n -c 3 -i 1 -W 1 198.18.21.1");
      Thread.sleep(6_000);
      capture.stop();
      List<String> decoded = capture.decode("udp.port==" + strangerPort + ",wg");
      long initiations = decoded.stream().filter(l -> l.contains("Handshake Initiation")).count();
      assertTrue(initiations >= 2, "the stranger did not keep trying:\n" + String.join("\n", decoded));
      assertFalse(decoded.stream().anyMatch(l -> l.contains(APPLIANCE + " → ")),
          "the appliance answered a stranger:\n" + String.join("\n", decoded));
      assertFalse(stranger.peer(appliancePublicKey).hasHandshake());
    } finally {
      stranger.stop();
    }
  }

  @Test
  void theApplianceInitiatesToAPeerWithAnEndpoint() throws Exception {
    // This interface knows the appliance's key but not where it is: only the appliance can
    // start the handshake, which its persistent keepalive makes it do.
    dialedWg.up(DIALED_WG_PORT, MTU_BYTES, List.of("198.18.54.2/24"),
        List.of(new Peer(appliancePublicKey, Optional.empty(), Optional.empty(), List.of("198.18.55.0/24"), 0)));
    try {
      long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      while (!dialedWg.peer(appliancePublicKey).hasHandshake() && System.nanoTime() < deadline) {
        Thread.sleep(200);
      }
      PeerStatus appliancePeer = dialedWg.peer(appliancePublicKey);
      assertTrue(appliancePeer.hasHandshake(), "the appliance never dialed: " + appliancePeer + dialedWg.log());
      assertEquals(Optional.of(APPLIANCE + ":" + WG_PORT), appliancePeer.endpoint());

      // keepalives keep coming every KEEPALIVE_SECONDS
      long received = appliancePeer.rxBytes();
      Thread.sleep(3 * KEEPALIVE_SECONDS * 1000L);
      assertTrue(dialedWg.peer(appliancePublicKey).rxBytes() > received, dialedWg.peer(appliancePublicKey).toString());
    } finally {
      dialedWg.stop();
    }
  }

  @Test
  void rekeyingUnderContinuousTrafficLosesNoByte() throws Exception {
    // REKEY-AFTER-TIME is 120 s (whitepaper §6.1): a download paced to last longer than that
    // crosses at least one new handshake.
    int bytes = 140 << 20;
    sh(origin, "head -c " + bytes + " /dev/urandom > /var/www/html/rekey.bin");
    String originSum = sha256(origin, "/var/www/html/rekey.bin");
    try {
      long handshakeBefore = siteWg.peer(appliancePublicKey).latestHandshakeEpochSeconds();
      ExecResult download = sh(site, "curl -sS --max-time 300 --limit-rate 1M -o /tmp/rekey.bin http://" + ORIGIN
          + "/rekey.bin");
      assertEquals(0, download.getExitCode(), download.getStderr());
      assertEquals(originSum, sha256(site, "/tmp/rekey.bin"), "the download across the rekey");
      long handshakeAfter = siteWg.peer(appliancePublicKey).latestHandshakeEpochSeconds();
      assertTrue(handshakeAfter >= handshakeBefore + 100, "no rekey during the transfer: handshakes at "
          + handshakeBefore + " and " + handshakeAfter);
    } finally {
      sh(origin, "rm -f /var/www/html/rekey.bin");
      sh(site, "rm -f /tmp/rekey.bin");
    }
  }

  private static String awaitRecord(String... markers) throws InterruptedException {
    return Hosts.awaitRecord(appliance, Duration.ofSeconds(15), markers);
  }
}
