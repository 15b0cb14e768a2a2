package dev.gatehouse.testbed;

import static dev.gatehouse.testbed.Hosts.elapsedMillis;
import static dev.gatehouse.testbed.Hosts.sh;
import static dev.gatehouse.testbed.Hosts.sha256;
import static dev.gatehouse.testbed.Hosts.timed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.testbed.Capture.TcpPacket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.images.builder.Transferable;

/**
 * Network policies end to end, in router mode: real clients at the site, Gatehouse deciding
 * each flow by the rules in its file, and a capture at the origin showing what a decision
 * let through. A block on the first packet must cost the origin not even a SYN; a block
 * after inspection (SNI, HTTP Host) resets both sides before the origin sees one byte of
 * what the client sent.
 */
class PolicyRouterIT {
  private static final String ORIGIN = RouterTopology.ORIGIN_HOST;
  /** A second origin, where the override rule sends the flows it matches. */
  private static final String OTHER_ORIGIN = "198.18.20.11";
  private static final String OTHER_ORIGIN_V6 = "2001:2:0:20::11";
  private static final String EGRESS = RouterTopology.APPLIANCE_ORIGIN_SIDE;
  private static final String CONFIG_PATH = "/etc/gatehouse/gatehouse.yaml";
  private static final String TUNNEL = """
      tunnels:
        - name: site
          type: tun
          device: gh-site
          address: 198.18.30.1/30
      """;
  private static final String RULES = """
      policies:
        inspection-timeout: 2s
        rules:
          - name: no-port-8023
            traffic: 'net.dst.port == 8023'
            action: block
          - name: to-other-origin
            traffic: 'net.dst.ip == 198.18.20.10 and net.dst.port == 8080'
            action: override
            override: 198.18.20.11:80
          - name: no-blocked-sni
            traffic: 'net.dst.port == 443 and any(net.sni.domains[*] == "blocked.test")'
            action: block
          - name: no-blocked-host
            traffic: 'net.dst.port == 80 and http.request.host == "blocked.test"'
            action: block
      """;
  /** What the reload test adds in front of {@link #RULES}' rules. */
  private static final String RELOADED_RULE = """
          - name: no-http-after-reload
            traffic: 'net.dst.port == 80'
            action: block
      """;
  private static final String CONFIG = """
      admin: { listen: 0.0.0.0:9090 }
      explicit-proxy: { enabled: false }
      proxy:
        tcp: { connect-timeout: 3s }
      """ + RULES + TUNNEL;

  private static RouterTopology topology;
  private static GenericContainer<?> otherOrigin;

  @BeforeAll
  static void start() throws Exception {
    topology = new RouterTopology(CONFIG);
    otherOrigin = RouterTopology.originHost(topology.originNet, OTHER_ORIGIN, OTHER_ORIGIN_V6);
    otherOrigin.start();
    sh(otherOrigin, "printf 'gatehouse other origin\\n' > /var/www/html/index.html");
  }

  @AfterAll
  static void stop() {
    if (otherOrigin != null) {
      otherOrigin.stop();
    }
    if (topology != null) {
      topology.close();
    }
  }

  @Test
  void blockedPortIsResetAtOnceAndTheOriginSeesNoSyn() throws Exception {
    for (int port : new int[] {8023, 8024}) {
      sh(topology.origin, "(socat TCP-LISTEN:" + port + ",fork,reuseaddr EXEC:cat > /dev/null 2>&1 &)");
      Hosts.awaitShell(topology.origin, "ss -Hltn 'sport = :" + port + "' | grep -q " + port, Duration.ofSeconds(10));
    }
    Capture capture = Capture.start(topology.origin, "port-block", "tcp port 8023 or tcp port 8024");

    ExecResult blocked = timed(topology.site, "echo hello | socat -t 2 - TCP:" + ORIGIN + ":8023");
    // The unblocked neighbour shows the path and the capture work.
    ExecResult open = sh(topology.site, "echo hello | socat -t 2 - TCP:" + ORIGIN + ":8024");
    List<TcpPacket> seen = capture.stop();

    assertTrue(blocked.getStderr().contains("Connection refused"), blocked.getStdout() + blocked.getStderr());
    assertTrue(elapsedMillis(blocked) < 1_000, "refused after " + elapsedMillis(blocked) + " ms");
    assertEquals("hello\n", open.getStdout(), open.getStderr());
    assertTrue(seen.stream().anyMatch(p -> p.isSyn() && p.to(ORIGIN, 8024)), "no SYN to 8024 in " + seen);
    assertFalse(seen.stream().anyMatch(p -> p.destination().endsWith(".8023")),
        "the blocked port's origin saw " + seen);

    String record = awaitRecord("\"DestinationPort\":8023", "\"ConnectionCloseReason\":\"POLICY_BLOCKED\"");
    assertTrue(record.contains("\"PolicyName\":\"no-port-8023\""), record);
    assertTrue(record.contains("\"PolicyAction\":\"block\""), record);
    assertFalse(record.contains("\"EgressIP\""), record);
  }

  @Test
  void blockedSniIsResetAfterTheClientHelloAndTheOriginGetsNoneOfIt() throws Exception {
    for (String name : new String[] {"blocked.test", "www.blocked.test"}) {
      Capture capture = Capture.start(topology.origin, "sni-" + name, "tcp port 443");
      ExecResult curl = sh(topology.site, "curl -sS -k --max-time 10 --resolve " + name + ":443:" + ORIGIN
          + " https://" + name + "/");
      List<TcpPacket> seen = capture.stop();

      // curl's 35: the TLS handshake failed, here because the connection was reset.
      assertEquals(35, curl.getExitCode(), curl.getStderr());
      assertTrue(curl.getStderr().contains("reset"), curl.getStderr());
      assertHeldFromTheOrigin(seen, 443);

      String record = awaitRecord("\"SNI\":\"" + name + "\"", "\"ConnectionCloseReason\":\"POLICY_BLOCKED\"");
      assertTrue(record.contains("\"PolicyName\":\"no-blocked-sni\""), record);
      assertTrue(record.contains("\"DetectedProtocol\":\"tls\""), record);
      assertTrue(record.contains("\"BytesReceived\":0"), record);
    }

    // Another name on the same origin is inspected, allowed, and gets the page over HTTP/2.
    Capture capture = Capture.start(topology.origin, "sni-allowed", "tcp port 443");
    ExecResult allowed = sh(topology.site, "curl -sS -k --max-time 10 -w '%{http_version}' --resolve origin.test:443:"
        + ORIGIN + " https://origin.test/");
    List<TcpPacket> seen = capture.stop();
    assertEquals("gatehouse origin\n2", allowed.getStdout(), allowed.getStderr());
    assertTrue(seen.stream().anyMatch(p -> p.to(ORIGIN, 443) && p.payloadBytes() > 0), "no bytes in " + seen);
    String record = awaitRecord("\"SNI\":\"origin.test\"", "\"ConnectionCloseReason\":\"CLIENT_CLOSED\"");
    assertTrue(record.contains("\"PolicyAction\":\"allow\""), record);
  }

  @Test
  void blockedHostIsResetAfterTheRequestAndTheOriginGetsNoneOfIt() throws Exception {
    int requestsBefore = accessLogLines(topology.origin);
    Capture capture = Capture.start(topology.origin, "host-block", "tcp port 80");
    ExecResult curl = sh(topology.site, "curl -sS --max-time 10 -H 'Host: blocked.test' http://" + ORIGIN + "/");
    List<TcpPacket> seen = capture.stop();

    // curl's 56: receiving failed, here because the connection was reset.
    assertEquals(56, curl.getExitCode(), curl.getStdout() + curl.getStderr());
    assertTrue(curl.getStderr().contains("reset"), curl.getStderr());
    assertHeldFromTheOrigin(seen, 80);
    assertEquals(requestsBefore, accessLogLines(topology.origin), "nginx logged a request");

    String record = awaitRecord("\"HTTPHost\":\"blocked.test\"", "\"ConnectionCloseReason\":\"POLICY_BLOCKED\"");
    assertTrue(record.contains("\"PolicyName\":\"no-blocked-host\""), record);
    assertTrue(record.contains("\"DetectedProtocol\":\"http\""), record);

    ExecResult allowed = sh(topology.site, "curl -sS --max-time 10 -H 'Host: origin.test' http://" + ORIGIN + "/");
    assertEquals("gatehouse origin\n", allowed.getStdout(), allowed.getStderr());
    assertEquals(requestsBefore + 1, accessLogLines(topology.origin));
  }

  @Test
  void overrideLandsOnTheOtherOrigin() throws Exception {
    int requestsBefore = accessLogLines(otherOrigin);
    ExecResult curl = sh(topology.site, "curl -sS --max-time 10 http://" + ORIGIN + ":8080/");
    assertEquals("gatehouse other origin\n", curl.getStdout(), curl.getStderr());
    assertEquals(requestsBefore + 1, accessLogLines(otherOrigin));
    ExecResult accessLog = sh(otherOrigin, "tail -n 1 /var/log/nginx/access.log");
    assertTrue(accessLog.getStdout().startsWith(EGRESS + " "), accessLog.getStdout());

    String record = awaitRecord("\"DestinationPort\":8080", "\"PolicyAction\":\"override\"",
        "\"ConnectionCloseReason\":\"CLIENT_CLOSED\"");
    assertTrue(record.contains("\"DestinationIP\":\"" + ORIGIN + "\""), record);
    assertTrue(record.contains("\"OverrideIP\":\"" + OTHER_ORIGIN + "\""), record);
    assertTrue(record.contains("\"OverridePort\":80"), record);
    assertTrue(record.contains("\"PolicyName\":\"to-other-origin\""), record);
  }

  @Test
  void reloadChangesDecisionsForNewFlowsWithoutBreakingARunningTransfer() throws Exception {
    sh(topology.origin, "head -c 25165824 /dev/urandom > /var/www/html/reload.bin");
    String originSum = sha256(topology.origin, "/var/www/html/reload.bin");
    // About 6 s at 4 MB/s: long enough to be running across the reload.
    sh(topology.site, "rm -f /tmp/reload.*; (curl -sS --max-time 60 --limit-rate 4M -o /tmp/reload.bin http://"
        + ORIGIN + "/reload.bin; echo $? > /tmp/reload.rc) > /dev/null 2>&1 &");
    Hosts.awaitShell(topology.site, "test -s /tmp/reload.bin", Duration.ofSeconds(10));

    try {
      assertEquals(200, reload(CONFIG.replace("  rules:\n", "  rules:\n" + RELOADED_RULE)));
      ExecResult refused = sh(topology.site, "curl -sS --max-time 10 http://" + ORIGIN + "/");
      assertEquals(7, refused.getExitCode(), "a new flow was not refused: " + refused.getStdout());
      awaitRecord("\"PolicyName\":\"no-http-after-reload\"", "\"ConnectionCloseReason\":\"POLICY_BLOCKED\"");

      Hosts.awaitShell(topology.site, "test -s /tmp/reload.rc", Duration.ofSeconds(60));
      ExecResult rc = sh(topology.site, "cat /tmp/reload.rc");
      assertEquals("0", rc.getStdout().strip(), "the running transfer failed");
      assertEquals(originSum, sha256(topology.site, "/tmp/reload.bin"), "the running transfer's bytes");
      // 24 MiB and nginx's response head of a few hundred bytes, allowed by the rules it began under.
      String record = awaitRecord("\"BytesReceived\":25166", "\"ConnectionCloseReason\":\"CLIENT_CLOSED\"");
      assertTrue(record.contains("\"PolicyAction\":\"allow\""), record);
    } finally {
      assertEquals(200, reload(CONFIG));
      sh(topology.origin, "rm -f /var/www/html/reload.bin");
    }
    ExecResult again = sh(topology.site, "curl -sS --max-time 10 http://" + ORIGIN + "/");
    assertEquals("gatehouse origin\n", again.getStdout(), again.getStderr());
  }

  /**
   * A flow inspected and then blocked: the origin was dialed (origin first, so there is a
   * SYN) and reset, and not one packet toward it carried a byte.
   */
  private static void assertHeldFromTheOrigin(List<TcpPacket> seen, int port) {
    Predicate<TcpPacket> toOrigin = p -> p.to(ORIGIN, port);
    assertTrue(seen.stream().anyMatch(toOrigin.and(TcpPacket::isSyn)), "no SYN in " + seen);
    assertTrue(seen.stream().anyMatch(toOrigin.and(TcpPacket::isReset)), "no RST in " + seen);
    assertFalse(seen.stream().anyMatch(toOrigin.and(p -> p.payloadBytes() > 0)), "bytes reached the origin: " + seen);
  }

  /** Writes {@code config} over the appliance's file and asks the admin endpoint to reload it. */
  private static int reload(String config) throws Exception {
    topology.appliance.copyFileToContainer(Transferable.of(config), CONFIG_PATH);
    URI uri = URI.create("http://" + RouterTopology.APPLIANCE_SITE_SIDE + ":9090/policies/reload");
    try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
      HttpResponse<String> answer = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
          .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
      assertTrue(answer.body().contains("\"reloaded\""), answer.body());
      return answer.statusCode();
    }
  }

  private static int accessLogLines(GenericContainer<?> origin) throws Exception {
    return Integer.parseInt(sh(origin, "wc -l < /var/log/nginx/access.log").getStdout().strip());
  }

  private static String awaitRecord(String... markers) throws InterruptedException {
    return Hosts.awaitRecord(topology.appliance, Duration.ofSeconds(10), markers);
  }
}
