package dev.gatehouse.testbed.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.config.IpPrefix;
import dev.gatehouse.testbed.GreSite.Tunnel;
import dev.gatehouse.testbed.RouterTopology;
import java.net.InetAddress;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class GreBenchTopologyTest {
  @Test
  void targetsTheOriginThroughGatehouseAndTheEdgesTunnelAddressForTheBaseline() {
    assertTrue(prefix(GreBenchTopology.ORIGIN_SUBNET).contains(address(GreBenchTopology.ORIGIN_HOST)));
    assertEquals("198.18.93.1", GreBenchTopology.EDGE_INNER);
  }

  @Test
  void keepsItsNetworksApartFromEveryOtherTopologysAndInsideTheBenchmarkingRange() {
    List<String> own = List.of(GreBenchTopology.SITE_SUBNET, GreBenchTopology.ORIGIN_SUBNET, "198.18.92.0/24",
        "198.18.93.0/24");
    List<String> others = List.of(RouterTopology.SITE_SUBNET, RouterTopology.ORIGIN_SUBNET,
        WireGuardBenchTopology.SITE_SUBNET, WireGuardBenchTopology.ORIGIN_SUBNET,
        WireGuardBenchTopology.APPLIANCE_INNER + "/24", WireGuardBenchTopology.EDGE_INNER + "/24");
    IpPrefix benchmarking = prefix("198.18.0.0/15");

    for (String text : own) {
      IpPrefix subnet = prefix(text);
      assertTrue(benchmarking.contains(subnet.address()), text);
      for (String other : others) {
        assertFalse(prefix(other.replaceAll("\\.\\d+/24$", ".0/24")).contains(subnet.address()),
            text + " overlaps " + other);
      }
    }
    for (String inner : List.of(GreBenchTopology.APPLIANCE_INNER, GreBenchTopology.SITE_INNER_TO_APPLIANCE)) {
      assertTrue(prefix("198.18.92.0/24").contains(address(inner)), inner);
    }
    for (String inner : List.of(GreBenchTopology.EDGE_INNER, GreBenchTopology.SITE_INNER_TO_EDGE)) {
      assertTrue(prefix("198.18.93.0/24").contains(address(inner)), inner);
    }
    for (String text : List.of(GreBenchTopology.SITE_SUBNET_V6, GreBenchTopology.ORIGIN_SUBNET_V6)) {
      assertTrue(prefix("2001:2::/48").contains(prefix(text).address()), text);
      for (String other : List.of(RouterTopology.SITE_SUBNET_V6, RouterTopology.ORIGIN_SUBNET_V6,
          WireGuardBenchTopology.SITE_SUBNET_V6, WireGuardBenchTopology.ORIGIN_SUBNET_V6)) {
        assertFalse(prefix(other).contains(prefix(text).address()), text + " overlaps " + other);
      }
    }
  }

  @Test
  void givesTheApplianceOneKeyedGreTunnelFromTheSiteHostThatUsesIt() {
    String config = GreBenchTopology.applianceConfig();

    assertTrue(config.contains("""
          - name: site
            type: gre
            local: 198.18.90.2
            remote: 198.18.90.10
            key: 9001
            interface-address: [198.18.92.1/30]
            mtu: 1472
        """), config);
    assertTrue(config.contains("log: { activity: { sink: \"off\" } }"), config);
  }

  @Test
  void setsUpBothRoutesTunnelsAlikeButForWhereTheyEnd() {
    Tunnel toAppliance = GreBenchTopology.siteToApplianceTunnel();
    Tunnel toEdge = GreBenchTopology.siteToEdgeTunnel();
    Tunnel edge = GreBenchTopology.edgeTunnel();

    assertEquals(new Tunnel("198.18.90.2", OptionalLong.of(9001), List.of("198.18.92.2/30"),
        List.of("198.18.91.0/24"), 1472), toAppliance);
    assertEquals(new Tunnel("198.18.90.3", OptionalLong.of(9001), List.of("198.18.93.2/30"), List.of(), 1472),
        toEdge);
    assertEquals(new Tunnel("198.18.90.11", OptionalLong.of(9001), List.of("198.18.93.1/30"), List.of(), 1472),
        edge);
  }

  @Test
  void pairsEachTunnelsInnerAddressesInOneSlash30() {
    IpPrefix toAppliance = prefix("198.18.92.0/" + GreBenchTopology.INNER_PREFIX_LENGTH);
    IpPrefix toEdge = prefix("198.18.93.0/" + GreBenchTopology.INNER_PREFIX_LENGTH);

    assertTrue(toAppliance.contains(address(GreBenchTopology.APPLIANCE_INNER)));
    assertTrue(toAppliance.contains(address(GreBenchTopology.SITE_INNER_TO_APPLIANCE)));
    assertTrue(toEdge.contains(address(GreBenchTopology.EDGE_INNER)));
    assertTrue(toEdge.contains(address(GreBenchTopology.SITE_INNER_TO_EDGE)));
  }

  @Test
  void namesBothPeersOfTheBaselineWithTheirVersions() {
    assertEquals("Open vSwitch 3.1.0-2+deb12u1 + haproxy 2.6.12-1+deb12u3, TCP mode",
        GreBenchTopology.baselineName("3.1.0-2+deb12u1", "2.6.12-1+deb12u3"));
  }

  private static IpPrefix prefix(String text) {
    return IpPrefix.parse(text).orElseThrow();
  }

  private static InetAddress address(String text) {
    return prefix(text + "/32").address();
  }
}
