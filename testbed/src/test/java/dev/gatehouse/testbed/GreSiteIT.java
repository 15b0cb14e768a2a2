package dev.gatehouse.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.testbed.GreSite.TunnelCounters;
import dev.gatehouse.testbed.GreSite.Tunnel;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.lifecycle.Startables;

/**
 * The testbed's GRE endpoint, proven against itself: two site hosts, each running Open
 * vSwitch's user-space datapath configured by {@link GreSite}, reach each other through plain
 * IP-in-GRE, without a key and with one. Later the appliance takes one side's place (issue #6).
 *
 * <pre>
 *   a 198.18.80.10 ==(GRE, outer net 198.18.80.0/24)== b 198.18.80.20
 *   inner 198.18.81.1/31, 2001:2:0:81::1/127 ------- inner 198.18.81.0/31, 2001:2:0:81::/127
 *   routes 198.18.82.0/24 into the tunnel               198.18.82.20 on its loopback
 * </pre>
 */
class GreSiteIT {
  private static final String OUTER_SUBNET = "198.18.80.0/24";
  private static final String OUTER_SUBNET_V6 = "2001:2:0:80::/64";
  private static final String A_OUTER = "198.18.80.10";
  private static final String B_OUTER = "198.18.80.20";
  private static final String A_INNER = "198.18.81.1";
  private static final String B_INNER = "198.18.81.0";
  private static final String A_INNER_V6 = "2001:2:0:81::1";
  private static final String B_INNER_V6 = "2001:2:0:81::";
  /** A prefix behind b that a reaches only by its route into the tunnel. */
  private static final String BEHIND_B = "198.18.82.0/24";
  private static final String BEHIND_B_HOST = "198.18.82.20";
  /** 1500 less the outer IPv4 header (20) and the GRE header without options (4). */
  private static final int MTU_BYTES = 1476;
  /** A key takes four bytes more: OVS drops, unannounced, what would not fit the uplink's 1500. */
  private static final int KEYED_MTU_BYTES = MTU_BYTES - 4;
  private static final long KEY = 0x6a7e_0051L;
  private static final int TRANSFER_BYTES = 8 << 20;
  private static final int TCP_PORT = 5001;
  private static final String GRE_FIELDS = "ip.src\tip.dst\tip.proto\tgre.proto\tchecksum bit\tsequence bit"
      + "\tkey bit\tkey";

  @Test
  void twoOvsSitesCarryPingAndTcpInPlainGreWithAndWithoutAKey() throws Exception {
    TestImages.ensureSiteBuilt();
    try (Network outer = RouterTopology.subnet(OUTER_SUBNET, OUTER_SUBNET_V6);
        GenericContainer<?> a = GreSite.peerHost(outer, A_OUTER, "2001:2:0:80::10");
        GenericContainer<?> b = GreSite.peerHost(outer, B_OUTER, "2001:2:0:80::20")) {
      Startables.deepStart(a, b).join();
      RouterTopology.run(b, "ip", "address", "add", BEHIND_B_HOST + "/32", "dev", "lo");
      GreSite siteA = GreSite.create(a);
      GreSite siteB = GreSite.create(b);

      siteA.up(tunnelA(OptionalLong.empty()));
      siteB.up(tunnelB(OptionalLong.empty()));
      assertCarried(a, b, siteA, siteB, OptionalLong.empty());

      // both replaced by a keyed tunnel, each OVS started again from a fresh database
      siteA.up(tunnelA(OptionalLong.of(KEY)));
      siteB.up(tunnelB(OptionalLong.of(KEY)));
      assertCarried(a, b, siteA, siteB, OptionalLong.of(KEY));

      // a key b does not expect: b's OVS finds no port for a's GRE and drops it
      siteB.up(tunnelB(OptionalLong.of(KEY + 1)));
      ExecResult ping = Hosts.sh(a, "ping -n -c 2 -i 0.2 -W 1 " + B_INNER);
      assertTrue(ping.getStdout().contains("2 packets transmitted, 0 received"), ping.getStdout());
      assertEquals(0, siteB.counters().rxPackets(), siteB.counters().toString());

      // a restarted OVS, with b's key right again, carries traffic from its first packet
      siteB.up(tunnelB(OptionalLong.of(KEY)));
      siteA.restart();
      assertPings(a, B_INNER);
      TunnelCounters afterRestart = siteA.counters();
      assertTrue(afterRestart.txPackets() >= 5 && afterRestart.rxPackets() >= 5, afterRestart.toString());
    }
  }

  private static Tunnel tunnelA(OptionalLong key) {
    return new Tunnel(B_OUTER, key, List.of(A_INNER + "/31", A_INNER_V6 + "/127"), List.of(BEHIND_B), mtuBytes(key));
  }

  private static Tunnel tunnelB(OptionalLong key) {
    return new Tunnel(A_OUTER, key, List.of(B_INNER + "/31", B_INNER_V6 + "/127"), List.of(), mtuBytes(key));
  }

  private static int mtuBytes(OptionalLong key) {
    return key.isPresent() ? KEYED_MTU_BYTES : MTU_BYTES;
  }

  /** Ping both ways over IPv4 and IPv6, a routed prefix, the MTU, and 8 MiB of TCP; tshark reads the GRE. */
  private static void assertCarried(GenericContainer<?> a, GenericContainer<?> b, GreSite siteA, GreSite siteB,
      OptionalLong key) throws Exception {
    Tshark capture = Tshark.start(a, "gre-" + key.isPresent(), "ip proto 47");
    assertPings(a, B_INNER);
    assertPings(b, A_INNER);
    assertPings(a, B_INNER_V6);
    assertPings(a, BEHIND_B_HOST);
    assertMtu(a, mtuBytes(key));
    Hosts.assertTcpTransfer(a, A_INNER, b, B_INNER, TCP_PORT, TRANSFER_BYTES);
    capture.stop();

    // OVS's flows count the transfer into a's tunnel and out of b's
    TunnelCounters sent = siteA.counters();
    TunnelCounters received = siteB.counters();
    assertTrue(sent.txBytes() > TRANSFER_BYTES && received.rxBytes() > TRANSFER_BYTES, sent + " " + received);

    List<String> gre = capture.fields("gre", "ip.src", "ip.dst", "ip.proto", "gre.proto", "gre.flags.checksum",
        "gre.flags.sequence_number", "gre.flags.key", "gre.key");
    String sample = GRE_FIELDS + "\n" + String.join("\n", gre.subList(0, Math.min(10, gre.size())));
    assertTrue(gre.size() > TRANSFER_BYTES / MTU_BYTES, gre.size() + " GRE packets\n" + sample);
    // tshark shows the key in hex, eight digits
    String keyFields = key.isPresent() ? String.format("1\t0x%08x", key.getAsLong()) : "0\t";
    int tcp = 0;
    for (String line : gre) {
      String[] f = line.split("\t", -1);
      List<String> sources = List.of(f[0].split(","));
      List<String> destinations = List.of(f[1].split(","));
      assertTrue(List.of(A_OUTER, B_OUTER).containsAll(List.of(sources.get(0), destinations.get(0))), line);
      // plain IP inside: IPv4 shows as a second ip.src, IPv6 as none
      assertEquals(sources.size() == 2 ? "0x0800" : "0x86dd", f[3], line);
      assertEquals("0\t0\t" + keyFields, f[4] + "\t" + f[5] + "\t" + f[6] + "\t" + f[7],
          "no checksum, no sequence number, the key exactly when set: " + line);
      tcp += f[2].equals("47,6") ? 1 : 0;
    }
    assertTrue(tcp > TRANSFER_BYTES / MTU_BYTES, tcp + " TCP segments in GRE\n" + sample);
  }

  /** Five echoes, every one answered. */
  private static void assertPings(GenericContainer<?> from, String to) throws Exception {
    ExecResult ping = Hosts.sh(from, "ping -n -c 5 -i 0.2 -W 2 " + to);
    assertTrue(ping.getStdout().contains("5 packets transmitted, 5 received"), ping.getStdout() + ping.getStderr());
  }

  /** A datagram of exactly the MTU crosses with DF set; one byte more is refused at the inner interface. */
  private static void assertMtu(GenericContainer<?> from, int mtuBytes) throws Exception {
    int payload = mtuBytes - 20 - 8;
    ExecResult fits = Hosts.sh(from, "ping -n -c 1 -W 2 -M do -s " + payload + " " + B_INNER);
    assertTrue(fits.getStdout().contains("1 received"), fits.getStdout() + fits.getStderr());
    ExecResult tooBig = Hosts.sh(from, "ping -n -c 1 -W 2 -M do -s " + (payload + 1) + " " + B_INNER);
    assertTrue(tooBig.getStdout().contains("0 received") && tooBig.getStderr().contains("mtu=" + mtuBytes),
        tooBig.getStdout() + tooBig.getStderr());
  }
}
