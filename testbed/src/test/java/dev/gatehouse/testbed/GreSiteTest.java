package dev.gatehouse.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.gatehouse.testbed.GreSite.TunnelCounters;
import dev.gatehouse.testbed.GreSite.Tunnel;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Reading the tunnel bridge's {@code ovs-ofctl dump-flows}, as Open vSwitch 3.1 prints it. */
class GreSiteTest {
  private static final String HEADER = "NXST_FLOW reply (xid=0x4):\n";
  private static final String TX_V4 = " cookie=0x1, duration=11.2s, table=0, n_packets=6120, n_bytes=9046356,"
      + " idle_age=2, priority=10,ip,in_port=LOCAL actions=output:1\n";
  private static final String TX_V6 = " cookie=0x1, duration=11.2s, table=0, n_packets=7, n_bytes=826, idle_age=3,"
      + " priority=10,ipv6,in_port=LOCAL actions=output:1\n";
  private static final String RX = " cookie=0x2, duration=11.1s, table=0, n_packets=3077, n_bytes=160104,"
      + " idle_age=2, priority=10,in_port=1 actions=mod_dl_dst:02:67:72:65:00:01,LOCAL\n";
  private static final String DROP = " cookie=0x0, duration=11.1s, table=0, n_packets=2, n_bytes=140, idle_age=9,"
      + " priority=0 actions=drop\n";

  @Test
  void sumsTheFlowsIntoAndOutOfTheTunnelByCookie() {
    assertEquals(new TunnelCounters(6127, 9047182, 3077, 160104),
        GreSite.parseFlowStatistics(HEADER + TX_V4 + TX_V6 + RX + DROP));
  }

  @Test
  void refusesADumpWithoutEveryTunnelFlow() {
    assertThrows(AssertionError.class, () -> GreSite.parseFlowStatistics(HEADER + TX_V4 + RX + DROP));
    assertThrows(AssertionError.class, () -> GreSite.parseFlowStatistics(HEADER));
  }

  @Test
  void refusesAnIpv6OuterAddress() {
    // OVS 3.1's ip6gre carries Ethernet only
    assertThrows(IllegalArgumentException.class, () -> new Tunnel("2001:2:0:80::20", OptionalLong.empty(),
        List.of("198.18.81.1/31"), List.of(), 1476));
  }
}
