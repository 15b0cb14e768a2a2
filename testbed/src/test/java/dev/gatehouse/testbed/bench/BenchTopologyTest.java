package dev.gatehouse.testbed.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BenchTopologyTest {
  @Test
  void readsTheVersionFromHaproxysFirstLine() {
    String output = """
        HAProxy version 2.6.12-1+deb12u3 2025/10/03 - https://haproxy.org/
        Status: long-term supported branch - will stop receiving fixes around Q2 2027.
        """;

    assertEquals("2.6.12-1+deb12u3", BenchTopology.haproxyVersion(output));
  }

  @Test
  void saysSoWhenHaproxyPrintsNoVersion() {
    assertEquals("(version unknown)", BenchTopology.haproxyVersion(""));
    assertEquals("(version unknown)", BenchTopology.haproxyVersion("haproxy: not found\n"));
  }

  @Test
  void relaysEachOriginPortFromEveryAddressOrFromOne() {
    String everywhere = BenchTopology.haproxyConfig("", "198.18.20.10");
    String inside = BenchTopology.haproxyConfig("198.18.62.1", "198.18.70.10");

    assertTrue(everywhere.contains("    bind :5201\n    server origin 198.18.20.10:5201\n"), everywhere);
    assertTrue(everywhere.contains("    bind :80\n    server origin 198.18.20.10:80\n"), everywhere);
    assertTrue(inside.contains("    bind 198.18.62.1:5201\n    server origin 198.18.70.10:5201\n"), inside);
    assertTrue(inside.contains("    bind 198.18.62.1:80\n    server origin 198.18.70.10:80\n"), inside);
  }
}
