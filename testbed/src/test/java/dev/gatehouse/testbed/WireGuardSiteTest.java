package dev.gatehouse.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.gatehouse.testbed.WireGuardSite.PeerStatus;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Reading {@code wg show DEVICE dump}'s peer lines, as wireguard-tools 1.0.20210914 prints them. */
class WireGuardSiteTest {

  @Test
  void readsAPeerThatHandshookWithEveryColumn() {
    PeerStatus peer = WireGuardSite.parsePeerLine("G1P2eZVgMiHioin42VzvHTsSnlbpGZqLkkhcMo9spAg=\t"
        + "wcLDxMXGx8jJysvMzc7P0NHS09TV1tfY2drb3N3e3+A=\t198.18.50.20:51821\t198.18.51.2/32,2001:2:0:51::2/128\t"
        + "1796380398\t176636\t9784816\t25");

    assertEquals(new PeerStatus("G1P2eZVgMiHioin42VzvHTsSnlbpGZqLkkhcMo9spAg=",
        Optional.of("198.18.50.20:51821"), List.of("198.18.51.2/32", "2001:2:0:51::2/128"),
        1796380398L, 176636L, 9784816L, 25), peer);
    assertFalse(peer.toString().contains("wcLDxMXG"), "the preshared key is not kept: " + peer);
  }

  @Test
  void readsAPeerNeverHeardFrom() {
    PeerStatus peer = WireGuardSite.parsePeerLine("d9Vwky1ouu7E/JPj+XzrZYvSWdWU9D//vfGivKWDHDE=\t(none)\t"
        + "(none)\t(none)\t0\t0\t0\toff");

    assertEquals(new PeerStatus("d9Vwky1ouu7E/JPj+XzrZYvSWdWU9D//vfGivKWDHDE=", Optional.empty(),
        List.of(), 0L, 0L, 0L, 0), peer);
    assertFalse(peer.hasHandshake());
  }

  @Test
  void refusesALineOfAnotherShape() {
    // the interface's own line: private key, public key, port, fwmark
    assertThrows(AssertionError.class, () -> WireGuardSite.parsePeerLine("a\tb\t51820\toff"));
  }
}
