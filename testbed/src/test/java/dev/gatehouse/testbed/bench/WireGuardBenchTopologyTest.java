package dev.gatehouse.testbed.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.config.IpPrefix;
import dev.gatehouse.testbed.RouterTopology;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class WireGuardBenchTopologyTest {
  private static final String SITE_KEY = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpbXF1eX2A=";
  private static final String APPLIANCE_KEY = "gYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6A=";

  @Test
  void targetsTheOriginThroughGatehouseAndTheEdgesTunnelAddressForTheBaseline() {
    assertTrue(prefix(WireGuardBenchTopology.ORIGIN_SUBNET).contains(address(WireGuardBenchTopology.ORIGIN_HOST)));
    assertEquals("198.18.62.1", WireGuardBenchTopology.EDGE_INNER);
  }

  @Test
  void keepsItsNetworksApartFromTheRouterTopologysAndInsideTheBenchmarkingRange() {
    List<String> own = List.of(WireGuardBenchTopology.SITE_SUBNET, WireGuardBenchTopology.ORIGIN_SUBNET,
        WireGuardBenchTopology.APPLIANCE_INNER + "/24", WireGuardBenchTopology.EDGE_INNER + "/24");
    List<String> routers = List.of(RouterTopology.SITE_SUBNET, RouterTopology.ORIGIN_SUBNET);
    IpPrefix benchmarking = prefix("198.18.0.0/15");
    IpPrefix benchmarkingV6 = prefix("2001:2::/48");

    for (String text : own) {
      IpPrefix subnet = prefix(text.replaceAll("\\.\\d+/24$", ".0/24"));
      assertTrue(benchmarking.contains(subnet.address()), text);
      for (String router : routers) {
        assertFalse(prefix(router).contains(subnet.address()), text + " overlaps " + router);
      }
    }
    for (String text : List.of(WireGuardBenchTopology.SITE_SUBNET_V6, WireGuardBenchTopology.ORIGIN_SUBNET_V6)) {
      assertTrue(benchmarkingV6.contains(prefix(text).address()), text);
      assertFalse(prefix(RouterTopology.SITE_SUBNET_V6).contains(prefix(text).address()), text);
      assertFalse(prefix(RouterTopology.ORIGIN_SUBNET_V6).contains(prefix(text).address()), text);
    }
  }

  @Test
  void givesTheApplianceOneWireGuardTunnelWithTheSiteAsItsOnlyPeer() {
    String config = WireGuardBenchTopology.applianceConfig(APPLIANCE_KEY, SITE_KEY);

    assertTrue(config.contains("""
          - name: site
            type: wireguard
            private-key: %s
            listen-port: 51820
            mtu: 1420
            address: 198.18.61.1/24
            peers:
              - name: site
                public-key: %s
                allowed-ips: [198.18.61.2/32]
        """.formatted(APPLIANCE_KEY, SITE_KEY)), config);
    assertTrue(config.contains("log: { activity: { sink: \"off\" } }"), config);
  }

  @Test
  void namesBothPeersOfTheBaselineWithTheirVersions() {
    assertEquals("wireguard-go 0.0.20220316-1+b4 + haproxy 2.6.12-1+deb12u3, TCP mode",
        WireGuardBenchTopology.baselineName("0.0.20220316-1+b4", "2.6.12-1+deb12u3"));
  }

  private static IpPrefix prefix(String text) {
    return IpPrefix.parse(text).orElseThrow();
  }

  private static InetAddress address(String text) {
    return prefix(text + "/32").address();
  }
}
