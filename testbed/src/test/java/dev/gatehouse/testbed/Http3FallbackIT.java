package dev.gatehouse.testbed;

import static dev.gatehouse.testbed.Hosts.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.testbed.quic.ContainerJava;
import dev.gatehouse.testbed.quic.Http3Origin;
import dev.gatehouse.testbed.quic.Http3Probe;
import java.time.Duration;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;

/**
 * HTTP/3 behind Gatehouse, with a real QUIC client and server (Netty's, run on the host's
 * JDK inside the site and origin containers: Debian has no QUIC client). With the UDP proxy
 * on, QUIC to 443 is blocked so that the client falls back to HTTP/2 over TCP, where SNI
 * and Host can be inspected; elsewhere QUIC is proxied unless a policy names it, here by
 * its SNI on port 8443.
 */
class Http3FallbackIT {
  private static final String ORIGIN = RouterTopology.ORIGIN_HOST;
  private static final String CONFIG = """
      admin: { listen: 0.0.0.0:9090 }
      explicit-proxy: { enabled: false }
      proxy:
        udp: { idle-timeout: 2s }
      policies:
        rules:
          - name: no-quic-to-blocked
            traffic: 'net.dst.port == 8443 and net.detected_protocol == "quic"
              and any(net.sni.domains[*] == "blocked.test")'
            action: block
      tunnels:
        - name: site
          type: tun
          device: gh-site
          address: 198.18.30.1/30
      """;
  private static final ContainerJava PROBE = ContainerJava.withNetty(Http3Probe.class);
  private static final ContainerJava QUIC_ORIGIN = ContainerJava.withNetty(Http3Origin.class);

  private static Network siteNet;
  private static Network originNet;
  private static GenericContainer<?> site;
  private static GenericContainer<?> appliance;
  private static GenericContainer<?> origin;

  @BeforeAll
  static void start() throws Exception {
    TestImages.ensureBuilt();
    siteNet = RouterTopology.subnet(RouterTopology.SITE_SUBNET, RouterTopology.SITE_SUBNET_V6);
    originNet = RouterTopology.subnet(RouterTopology.ORIGIN_SUBNET, RouterTopology.ORIGIN_SUBNET_V6);
    origin = QUIC_ORIGIN.mountInto(RouterTopology.originHost(originNet));
    appliance = RouterTopology.applianceHost(siteNet, CONFIG);
    site = PROBE.mountInto(RouterTopology.siteHost(siteNet));
    origin.start();
    appliance.start();
    RouterTopology.join(appliance, originNet, RouterTopology.APPLIANCE_ORIGIN_SIDE,
        RouterTopology.APPLIANCE_ORIGIN_SIDE_V6);
    site.start();
    RouterTopology.routeSiteThroughAppliance(site, appliance);
    // nginx answers HTTPS over TCP on both ports; these answer QUIC on them.
    startQuicOrigin(443);
    startQuicOrigin(8443);
  }

  @AfterAll
  static void stop() {
    Hosts.stopAll(Arrays.asList(site, appliance, origin), Arrays.asList(siteNet, originNet));
  }

  @Test
  void quicToAPortNoPolicyNamesIsProxied() throws Exception {
    String line = probe(site, "--h3-only", "--resolve", "origin.test:8443:" + ORIGIN, "https://origin.test:8443/");
    assertTrue(line.startsWith("h3=ok "), line);
    assertTrue(line.endsWith("body=\"gatehouse origin h3\\n\""), line);
    // The origin's QUIC server saw the appliance, not the site: the flow was re-originated.
    String fromAppliance = "peer=/" + RouterTopology.APPLIANCE_ORIGIN_SIDE + ":";
    assertTrue(quicRequests(8443).stream().anyMatch(r -> r.contains(fromAppliance)
        && r.contains("authority=origin.test")), "requests: " + quicRequests(8443));

    String record = awaitRecord("\"Transport\":\"udp\"", "\"DestinationPort\":8443", "\"SNI\":\"origin.test\"");
    assertTrue(record.contains("\"DetectedProtocol\":\"quic\""), record);
    assertTrue(record.contains("\"PolicyAction\":\"allow\""), record);
    assertFalse(record.contains("POLICY_BLOCKED"), record);
  }

  @Test
  void quicTo443IsBlockedAndTheClientFallsBackToHttp2() throws Exception {
    // The origin's QUIC on 443 works: asked directly, it answers over HTTP/3.
    String direct = probe(origin, "--h3-only", "--resolve", "origin.test:443:127.0.0.1", "https://origin.test/");
    assertTrue(direct.startsWith("h3=ok "), direct);
    int answeredBefore = quicRequests(443).size();

    Capture capture = Capture.start(origin, "quic-443", "udp port 443 and not host 127.0.0.1");
    String line = probe(site, "--h3-timeout-ms", "2000", "--resolve", "origin.test:443:" + ORIGIN,
        "https://origin.test/");
    List<String> seen = capture.lines();

    assertTrue(line.startsWith("h3=failed "), line);
    assertTrue(line.contains(" fallback=h2 status=200 "), line);
    assertTrue(line.endsWith("body=\"gatehouse origin\\n\""), line);
    assertEquals(List.of(), seen, "QUIC reached the origin");
    assertEquals(answeredBefore, quicRequests(443).size());

    String record = awaitRecord("\"Transport\":\"udp\"", "\"DestinationPort\":443",
        "\"ConnectionCloseReason\":\"POLICY_BLOCKED\"");
    assertTrue(record.contains("\"DetectedProtocol\":\"quic\""), record);
    assertTrue(record.contains("\"PolicyName\":\"proxy.udp.block-quic\""), record);
    // The fallback went over TCP, where the SNI is visible.
    awaitRecord("\"Transport\":\"tcp\"", "\"DestinationPort\":443", "\"SNI\":\"origin.test\"");
  }

  @Test
  void aPolicyBlocksQuicBySniOnAnyPortAndTheClientFallsBack() throws Exception {
    Capture capture = Capture.start(origin, "quic-8443", "udp port 8443");
    String line = probe(site, "--h3-timeout-ms", "2000", "--resolve", "blocked.test:8443:" + ORIGIN,
        "https://blocked.test:8443/");
    List<String> seen = capture.lines();

    assertTrue(line.startsWith("h3=failed "), line);
    assertTrue(line.contains(" fallback=h2 status=200 "), line);
    assertEquals(List.of(), seen, "QUIC for blocked.test reached the origin");
    assertFalse(quicRequests(8443).stream().anyMatch(r -> r.contains("authority=blocked.test")));

    String record = awaitRecord("\"Transport\":\"udp\"", "\"SNI\":\"blocked.test\"",
        "\"ConnectionCloseReason\":\"POLICY_BLOCKED\"");
    assertTrue(record.contains("\"PolicyName\":\"no-quic-to-blocked\""), record);
    assertTrue(record.contains("\"DetectedProtocol\":\"quic\""), record);
  }

  /** Runs the probe on {@code host} and returns its one result line. */
  private static String probe(GenericContainer<?> host, String... args) throws Exception {
    List<String> withTrust = new ArrayList<>(List.of("--insecure"));
    withTrust.addAll(List.of(args));
    ExecResult run = host.execInContainer(PROBE.command(withTrust.toArray(String[]::new)));
    return run.getStdout().strip() + (run.getExitCode() == 0 ? "" : " exit=" + run.getExitCode()
        + " stderr=" + run.getStderr());
  }

  private static void startQuicOrigin(int port) throws Exception {
    String log = "/tmp/quic-origin-" + port + ".log";
    sh(origin, "(" + String.join(" ", QUIC_ORIGIN.command("--cert", "/etc/origin-tls/cert.pem",
        "--key", "/etc/origin-tls/key.pem", "--port", Integer.toString(port))) + " > " + log + " 2>&1 &)");
    Hosts.awaitShell(origin, "grep -q 'listening proto=h3' " + log, Duration.ofSeconds(30),
        "the QUIC origin on " + port + " did not start", "cat " + log);
  }

  /** The requests the QUIC origin on {@code port} has answered, one line each. */
  private static List<String> quicRequests(int port) throws Exception {
    return sh(origin, "cat /tmp/quic-origin-" + port + ".log").getStdout().lines()
        .filter(line -> line.startsWith("request proto=h3 ")).toList();
  }

  private static String awaitRecord(String... markers) throws InterruptedException {
    return Hosts.awaitRecord(appliance, Duration.ofSeconds(15), markers);
  }
}
