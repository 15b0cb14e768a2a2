package dev.gatehouse.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * The packaged appliance, as users run it: a container on a network with an origin host.
 * It must start, report healthy (to Docker's health check and on its admin port), proxy a
 * real client's request, and log the flow.
 */
class ApplianceContainerIT {
  private static Network network;
  private static GenericContainer<?> appliance;
  private static GenericContainer<?> origin;

  @BeforeAll
  static void startTopology() {
    TestImages.ensureBuilt();
    network = Network.newNetwork();
    origin = new GenericContainer<>(TestImages.ORIGIN)
        .withNetwork(network)
        .withNetworkAliases("origin")
        .waitingFor(Wait.forListeningPort())
        .withExposedPorts(80);
    appliance = new GenericContainer<>(TestImages.APPLIANCE)
        .withNetwork(network)
        .withNetworkAliases("gatehouse")
        .withExposedPorts(3128, 9090)
        .waitingFor(Wait.forHealthcheck().withStartupTimeout(Duration.ofSeconds(60)));
    origin.start();
    appliance.start();
  }

  @AfterAll
  static void stopTopology() {
    if (appliance != null) {
      appliance.stop();
    }
    if (origin != null) {
      origin.stop();
    }
    if (network != null) {
      network.close();
    }
  }

  @Test
  void reportsHealthyToDockerAndOnItsAdminPort() throws Exception {
    String health = appliance.getCurrentContainerInfo().getState().getHealth().getStatus();
    assertEquals("healthy", health);

    HttpClient client = HttpClient.newHttpClient();
    URI uri = URI.create("http://" + appliance.getHost() + ":" + appliance.getMappedPort(9090) + "/healthz");
    HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode());
    assertTrue(response.body().contains("\"ok\""), response.body());
  }

  @Test
  void proxiesARealClientAndLogsTheFlow() throws Exception {
    ExecResult curl = origin.execInContainer(List.of("curl", "-sS", "--max-time", "10",
        "-x", "http://gatehouse:3128", "http://origin/").toArray(String[]::new));
    assertEquals(0, curl.getExitCode(), curl.getStderr());
    assertEquals("gatehouse origin\n", curl.getStdout());

    // The activity log is the container's standard output: one JSON line per flow.
    String endRecord = awaitLogLine("\"Event\":\"SESSION_END\"", Duration.ofSeconds(10));
    assertTrue(endRecord.contains("\"DestinationHost\":\"origin\""), endRecord);
    assertTrue(endRecord.contains("\"DestinationPort\":80"), endRecord);
    assertTrue(endRecord.contains("\"TunnelType\":\"explicit-proxy\""), endRecord);
  }

  private static String awaitLogLine(String marker, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (String line : appliance.getLogs(org.testcontainers.containers.output.OutputFrame.OutputType.STDOUT)
          .split("\n")) {
        if (line.contains(marker)) {
          return line;
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no log line with " + marker + " within " + timeout + "; stdout was:\n"
        + appliance.getLogs(org.testcontainers.containers.output.OutputFrame.OutputType.STDOUT));
  }
}
