package dev.gatehouse.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.output.OutputFrame;

/**
 * Real Linux clients at a site, routed through the appliance's TUN ingress to real origins:
 * Gatehouse terminates each flow and re-originates it from its own sockets.
 */
class TunRouterIT {
  private static final String CONFIG = """
      admin: { listen: 0.0.0.0:9090 }
      explicit-proxy: { enabled: false }
      proxy:
        tcp: { connect-timeout: 3s }
      tunnels:
        - name: site
          type: tun
          device: gh-site
          address: 198.18.30.1/30
      """;

  private static RouterTopology topology;

  @BeforeAll
  static void start() throws Exception {
    topology = new RouterTopology(CONFIG);
  }

  @AfterAll
  static void stop() {
    if (topology != null) {
      topology.close();
    }
  }

  @Test
  void curlFetchesAPageThroughGatehouse() throws Exception {
    ExecResult curl = topology.site.execInContainer("curl", "-sS", "--max-time", "10",
        "http://" + RouterTopology.ORIGIN_HOST + "/");
    assertEquals(0, curl.getExitCode(), curl.getStderr());
    assertEquals("gatehouse origin\n", curl.getStdout());

    // The origin saw the appliance, not the site: the flow was re-originated.
    ExecResult accessLog = topology.origin.execInContainer("tail", "-n", "1", "/var/log/nginx/access.log");
    assertTrue(accessLog.getStdout().startsWith(RouterTopology.APPLIANCE_ORIGIN_SIDE + " "), accessLog.getStdout());

    String record = awaitLogLine("\"Transport\":\"tcp\"", Duration.ofSeconds(10));
    assertTrue(record.contains("\"TunnelType\":\"tun\""), record);
    assertTrue(record.contains("\"SourceIP\":\"" + RouterTopology.SITE_HOST + "\""), record);
    assertTrue(record.contains("\"DestinationPort\":80"), record);
  }

  private static String awaitLogLine(String marker, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (String line : topology.appliance.getLogs(OutputFrame.OutputType.STDOUT).split("\n")) {
        if (line.contains(marker)) {
          return line;
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no activity record with " + marker + "; appliance output:\n"
        + topology.appliance.getLogs());
  }
}
