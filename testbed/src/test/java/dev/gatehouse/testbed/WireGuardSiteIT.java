package dev.gatehouse.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.testbed.WireGuardSite.Peer;
import dev.gatehouse.testbed.WireGuardSite.PeerStatus;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.lifecycle.Startables;

/**
 * The testbed's WireGuard peer tooling, proven against itself: two site hosts, each running
 * Debian's wireguard-go configured by {@link WireGuardSite}, reach each other through the
 * tunnel. Later the appliance takes one side's place (issue #5).
 *
 * <pre>
 *   a 198.18.50.10:51820 ==(UDP, outer net 198.18.50.0/24)== b 198.18.50.20:51821
 *   tunnel 198.18.51.1 ------------------------------------- tunnel 198.18.51.2
 * </pre>
 */
class WireGuardSiteIT {
  private static final String OUTER_SUBNET = "198.18.50.0/24";
  private static final String OUTER_SUBNET_V6 = "2001:2:0:50::/64";
  private static final String A_OUTER = "198.18.50.10";
  private static final String B_OUTER = "198.18.50.20";
  private static final String A_TUNNEL = "198.18.51.1";
  private static final String B_TUNNEL = "198.18.51.2";
  private static final int A_PORT = 51820;
  private static final int B_PORT = 51821;
  /** wg-quick's MTU: 1500 less the outer IPv6, UDP and WireGuard headers. */
  private static final int MTU_BYTES = 1420;
  private static final int KEEPALIVE_SECONDS = 25;
  private static final int TRANSFER_BYTES = 8 << 20;
  private static final int TCP_PORT = 5001;

  @Test
  void twoWireGuardGoSitesCarryPingAndTcpAndComeBackAfterARestart() throws Exception {
    TestImages.ensureSiteBuilt();
    try (Network outer = RouterTopology.subnet(OUTER_SUBNET, OUTER_SUBNET_V6);
        GenericContainer<?> a = WireGuardSite.peerHost(outer, A_OUTER, "2001:2:0:50::10");
        GenericContainer<?> b = WireGuardSite.peerHost(outer, B_OUTER, "2001:2:0:50::20")) {
      Startables.deepStart(a, b).join();
      WireGuardSite siteA = WireGuardSite.create(a);
      WireGuardSite siteB = WireGuardSite.create(b);
      String psk = WireGuardSite.generatePresharedKey(a);

      // b first, so that a's first initiation finds b listening
      siteB.up(B_PORT, MTU_BYTES, List.of(B_TUNNEL + "/24"), List.of(new Peer(siteA.publicKey(),
          Optional.of(psk), Optional.of(A_OUTER + ":" + A_PORT), List.of(A_TUNNEL + "/32"), 0)));
      Tshark capture = Tshark.start(a, "wg", "udp port " + A_PORT);
      siteA.up(A_PORT, MTU_BYTES, List.of(A_TUNNEL + "/24"), List.of(new Peer(siteB.publicKey(),
          Optional.of(psk), Optional.of(B_OUTER + ":" + B_PORT), List.of(B_TUNNEL + "/32"),
          KEEPALIVE_SECONDS)));

      // ping and TCP through the tunnel: 198.18.51.0/24 exists only on the wg interfaces
      assertPings(a, B_TUNNEL);
      Hosts.assertTcpTransfer(a, A_TUNNEL, b, B_TUNNEL, TCP_PORT, TRANSFER_BYTES);

      PeerStatus aSeesB = siteA.peer(siteB.publicKey());
      PeerStatus bSeesA = siteB.peer(siteA.publicKey());
      assertTrue(aSeesB.hasHandshake() && bSeesA.hasHandshake(), aSeesB + " " + bSeesA);
      assertEquals(Optional.of(B_OUTER + ":" + B_PORT), aSeesB.endpoint());
      assertEquals(Optional.of(A_OUTER + ":" + A_PORT), bSeesA.endpoint());
      assertEquals(List.of(B_TUNNEL + "/32"), aSeesB.allowedIps());
      assertEquals(KEEPALIVE_SECONDS, aSeesB.persistentKeepaliveSeconds());
      assertEquals(0, bSeesA.persistentKeepaliveSeconds());
      // each side counts at least the transfer, with WireGuard's headers and tags; a sends
      // more than b receives when the UDP path drops and TCP sends again
      assertTrue(aSeesB.txBytes() > TRANSFER_BYTES && bSeesA.rxBytes() > TRANSFER_BYTES, aSeesB + " " + bSeesA);
      assertTrue(aSeesB.rxBytes() > 0 && bSeesA.txBytes() > 0, aSeesB + " " + bSeesA);

      // tshark, not wireguard-go, says what crossed the wire
      capture.stop();
      List<String> decoded = capture.decode("udp.port==" + A_PORT + ",wg");
      for (String message : List.of("Handshake Initiation", "Handshake Response", "Transport Data")) {
        assertTrue(decoded.stream().anyMatch(line -> line.contains("WireGuard") && line.contains(message)),
            "no " + message + " in the capture:\n" + String.join("\n", decoded.subList(0, Math.min(20,
                decoded.size()))));
      }

      // a restarted wireguard-go has no session; b's traffic makes it handshake again
      int before = siteB.processId();
      siteB.restart();
      assertNotEquals(before, siteB.processId());
      assertTrue(!siteB.peer(siteA.publicKey()).hasHandshake(), "a new process remembers no handshake");
      assertPings(b, A_TUNNEL);
      PeerStatus afterRestart = siteB.peer(siteA.publicKey());
      assertTrue(afterRestart.hasHandshake() && afterRestart.rxBytes() > 0, afterRestart.toString());
      Hosts.assertTcpTransfer(a, A_TUNNEL, b, B_TUNNEL, TCP_PORT, TRANSFER_BYTES);
    }
  }

  /** Five echoes, every one answered: wireguard-go holds packets while it handshakes. */
  private static void assertPings(GenericContainer<?> from, String to) throws Exception {
    ExecResult ping = Hosts.sh(from, "ping -n -c 5 -i 0.2 -W 2 " + to);
    assertTrue(ping.getStdout().contains("5 packets transmitted, 5 received"), ping.getStdout() + ping.getStderr());
  }
}
