package dev.gatehouse.testbed;

import static dev.gatehouse.testbed.Hosts.elapsedMillis;
import static dev.gatehouse.testbed.Hosts.sh;
import static dev.gatehouse.testbed.Hosts.sha256;
import static dev.gatehouse.testbed.Hosts.timed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.Container.ExecResult;

/**
 * Real Linux clients at a site, routed through the appliance's TUN ingress to real origins
 * (nginx, socat, a pingable host): Gatehouse terminates each flow and re-originates it from
 * its own sockets. The site's kernel TCP talks to Gatehouse's user-space TCP.
 */
class TunRouterIT {
  private static final String ORIGIN = RouterTopology.ORIGIN_HOST;
  private static final int CONNECT_TIMEOUT_MILLIS = 3_000;
  private static final String CONFIG = """
      admin: { listen: 0.0.0.0:9090 }
      explicit-proxy: { enabled: false }
      proxy:
        tcp: { connect-timeout: 3s }
        udp: { idle-timeout: 2s }
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
    ExecResult curl = sh(topology.site, "curl -sS --max-time 10 http://" + ORIGIN + "/");
    assertEquals(0, curl.getExitCode(), curl.getStderr());
    assertEquals("gatehouse origin\n", curl.getStdout());

    // The origin saw the appliance, not the site: the flow was re-originated.
    ExecResult accessLog = sh(topology.origin, "tail -n 1 /var/log/nginx/access.log");
    assertTrue(accessLog.getStdout().startsWith(RouterTopology.APPLIANCE_ORIGIN_SIDE + " "), accessLog.getStdout());

    String record = awaitRecord("\"DestinationIP\":\"" + ORIGIN + "\"", "\"DestinationPort\":80",
        "\"ConnectionCloseReason\":\"CLIENT_CLOSED\"");
    assertTrue(record.contains("\"TunnelType\":\"tun\""), record);
    assertTrue(record.contains("\"SourceIP\":\"" + RouterTopology.SITE_HOST + "\""), record);
    assertTrue(record.contains("\"EgressIP\":\"" + RouterTopology.APPLIANCE_ORIGIN_SIDE + "\""), record);
    assertTrue(record.contains("\"OriginTCPHandshakeDurationMs\""), record);
    assertTrue(record.contains("\"ClientTCPHandshakeDurationMs\""), record);
  }

  @Test
  void curlFetchesAPageOverIpv6ThroughGatehouse() throws Exception {
    String origin6 = RouterTopology.ORIGIN_HOST_V6;
    ExecResult curl = sh(topology.site, "curl -sS -g --max-time 10 'http://[" + origin6 + "]/'");
    assertEquals(0, curl.getExitCode(), curl.getStderr());
    assertEquals("gatehouse origin\n", curl.getStdout());
    ExecResult accessLog = sh(topology.origin, "tail -n 1 /var/log/nginx/access.log");
    assertTrue(accessLog.getStdout().startsWith(RouterTopology.APPLIANCE_ORIGIN_SIDE_V6 + " "), accessLog.getStdout());

    ExecResult echo = sh(topology.site, "echo gatehouse-udp6 | socat -t 3 - 'UDP6:[" + origin6 + "]:7'");
    assertEquals("gatehouse-udp6\n", echo.getStdout(), echo.getStderr());
    ExecResult ping = sh(topology.site, "ping -6 -c 2 -i 0.2 -W 2 " + origin6);
    assertTrue(ping.getStdout().contains("2 received"), ping.getStdout() + ping.getStderr());
    String record = awaitRecord("\"DestinationIP\":\"" + origin6 + "\"", "\"Transport\":\"tcp\"");
    assertTrue(record.contains("\"SourceIP\":\"" + RouterTopology.SITE_HOST_V6 + "\""), record);
  }

  @Test
  void movesOneGibibyteByteExactBothWays() throws Exception {
    sh(topology.origin, "head -c 1073741824 /dev/urandom > /var/www/html/big.bin");
    String originSum = sha256(topology.origin, "/var/www/html/big.bin");

    ExecResult download = sh(topology.site,
        "curl -sS --max-time 300 -o /tmp/big.bin http://" + ORIGIN + "/big.bin");
    assertEquals(0, download.getExitCode(), download.getStderr());
    assertEquals(originSum, sha256(topology.site, "/tmp/big.bin"), "download");

    assertEquals(originSum, upload("/tmp/big.bin", 9000), "upload");
    sh(topology.origin, "rm -f /var/www/html/big.bin /tmp/up-9000.bin");
    sh(topology.site, "rm -f /tmp/big.bin");
  }

  @Test
  void survivesLossOnThePathByteExact() throws Exception {
    // TESTBED.md: loss with nftables; 2 % of the site's TCP packets to and from the origin.
    sh(topology.site, "nft add table inet loss"
        + " && nft add chain inet loss out '{ type filter hook output priority 0; }'"
        + " && nft add chain inet loss in '{ type filter hook input priority 0; }'"
        + " && nft add rule inet loss out ip daddr " + ORIGIN + " meta l4proto tcp numgen random mod 100 '<' 2 drop"
        + " && nft add rule inet loss in ip saddr " + ORIGIN + " meta l4proto tcp numgen random mod 100 '<' 2 drop");
    try {
      sh(topology.origin, "head -c 16777216 /dev/urandom > /var/www/html/lossy.bin");
      String originSum = sha256(topology.origin, "/var/www/html/lossy.bin");
      ExecResult download = sh(topology.site,
          "curl -sS --max-time 300 -o /tmp/lossy.bin http://" + ORIGIN + "/lossy.bin");
      assertEquals(0, download.getExitCode(), download.getStderr());
      assertEquals(originSum, sha256(topology.site, "/tmp/lossy.bin"), "download under loss");
      assertEquals(originSum, upload("/tmp/lossy.bin", 9001), "upload under loss");
    } finally {
      sh(topology.site, "nft delete table inet loss");
    }
  }

  @Test
  void answersUdpRequests() throws Exception {
    ExecResult echo = sh(topology.site, "echo gatehouse-udp | socat -t 3 - UDP:" + ORIGIN + ":7");
    assertEquals(0, echo.getExitCode(), echo.getStderr());
    assertEquals("gatehouse-udp\n", echo.getStdout());
    String record = awaitRecord("\"Transport\":\"udp\"", "\"DestinationPort\":7");
    assertTrue(record.contains("\"BytesSent\":14"), record);
  }

  @Test
  void blocksQuicSoThatHttp3FallsBackAndLogsTheBlock() throws Exception {
    sh(topology.origin, "rm -f /tmp/udp443.bin; (socat -u UDP-RECV:443 OPEN:/tmp/udp443.bin,creat,append"
        + " > /dev/null 2>&1 &)");
    Thread.sleep(300);
    // A client's QUIC v1 Initial: long header, type Initial, version 1, DCID length 8,
    // padded to 1200 bytes (RFC 9000 §17.2.2, §14.1).
    // Written to a file first: socat sends what one read(2) returns as one datagram, and a
    // pipe fed by two writers may hand it the header and the padding apart.
    sh(topology.site, "{ printf '\\303\\000\\000\\000\\001\\010'; head -c 1194 /dev/zero; } > /tmp/initial.bin");
    for (int i = 0; i < 2; i++) {
      sh(topology.site, "socat -u OPEN:/tmp/initial.bin UDP:" + ORIGIN + ":443,sourceport=44300");
    }
    // Other UDP to 443 is not QUIC and goes through: it shows the origin was listening.
    sh(topology.site, "echo not-quic | socat -u - UDP:" + ORIGIN + ":443,sourceport=44301");
    Thread.sleep(500);
    assertEquals("not-quic\n", sh(topology.origin, "cat /tmp/udp443.bin").getStdout());

    String record = awaitRecord(Duration.ofSeconds(20), "\"SourcePort\":44300",
        "\"ConnectionCloseReason\":\"POLICY_BLOCKED\"");
    assertTrue(record.contains("\"DetectedProtocol\":\"quic\""), record);
    assertTrue(record.contains("\"PacketsSent\":2"), record);
  }

  @Test
  void pingsTheOrigin() throws Exception {
    ExecResult ping = sh(topology.site, "ping -c 3 -i 0.2 -W 2 " + ORIGIN);
    assertEquals(0, ping.getExitCode(), ping.getStdout() + ping.getStderr());
    assertTrue(ping.getStdout().contains("3 received"), ping.getStdout());
  }

  @Test
  void tracerouteShowsTheApplianceThenTheOrigin() throws Exception {
    // UDP probes (traceroute's default) and ICMP echo (-I): hop 1 is the appliance's kernel,
    // which forwards into the TUN; hop 2 is the origin, answered through Gatehouse.
    for (String mode : new String[] {"", "-I "}) {
      ExecResult trace = sh(topology.site, "traceroute -n -q 1 -w 2 -m 5 " + mode + ORIGIN);
      assertEquals(0, trace.getExitCode(), trace.getStderr());
      String[] hops = trace.getStdout().strip().split("\n");
      assertEquals(3, hops.length, trace.getStdout());
      assertTrue(hops[1].trim().startsWith("1  " + RouterTopology.APPLIANCE_SITE_SIDE + " "), trace.getStdout());
      assertTrue(hops[2].trim().startsWith("2  " + ORIGIN + " "), trace.getStdout());
    }
  }

  @Test
  void refusedOriginRefusesTheClientAtOnce() throws Exception {
    ExecResult curl = timed(topology.site, "curl -sS --max-time 10 http://" + ORIGIN + ":81/");
    // curl's exit code 7: it could not connect (the message words vary with its version).
    assertTrue(curl.getStdout().contains("rc=7"), curl.getStdout() + curl.getStderr());
    assertTrue(elapsedMillis(curl) < 1_000, "refused after " + elapsedMillis(curl) + " ms");
    awaitRecord("\"DestinationPort\":81", "\"ConnectionCloseReason\":\"PROXY_CONN_REFUSED\"");
  }

  @Test
  void silentOriginFailsTheClientAfterTheConnectTimeoutNotBefore() throws Exception {
    sh(topology.origin, "nft add table inet silent"
        + " && nft add chain inet silent in '{ type filter hook input priority 0; }'"
        + " && nft add rule inet silent in tcp dport 82 drop");
    try {
      ExecResult curl = timed(topology.site, "curl -sS --connect-timeout 30 http://" + ORIGIN + ":82/");
      long waited = elapsedMillis(curl);
      assertTrue(curl.getStdout().contains("rc=7"), curl.getStdout() + curl.getStderr());
      assertTrue(waited >= CONNECT_TIMEOUT_MILLIS, "failed after " + waited + " ms, before the timeout");
      assertTrue(waited < CONNECT_TIMEOUT_MILLIS + 2_000, "failed only after " + waited + " ms");
      awaitRecord("\"DestinationPort\":82", "\"ConnectionCloseReason\":\"ORIGIN_UNREACHABLE\"");
    } finally {
      sh(topology.origin, "nft delete table inet silent");
    }
  }

  /** Sends a site file to the origin over a new TCP connection; returns the received file's SHA-256. */
  private static String upload(String siteFile, int port) throws Exception {
    String received = "/tmp/up-" + port + ".bin";
    sh(topology.origin, "(socat -u TCP-LISTEN:" + port + ",reuseaddr OPEN:" + received + ",creat,trunc"
        + " && sha256sum " + received + " > " + received + ".sha) > /dev/null 2>&1 &");
    Thread.sleep(300);
    ExecResult send = sh(topology.site, "socat -u OPEN:" + siteFile + " TCP:" + ORIGIN + ":" + port);
    assertEquals(0, send.getExitCode(), send.getStderr());
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      ExecResult sum = sh(topology.origin, "cat " + received + ".sha 2>/dev/null");
      if (!sum.getStdout().isBlank()) {
        return sum.getStdout().split(" ")[0];
      }
      Thread.sleep(200);
    }
    throw new AssertionError("the origin never finished receiving " + received);
  }

  private static String awaitRecord(String... markers) throws InterruptedException {
    return awaitRecord(Duration.ofSeconds(10), markers);
  }

  private static String awaitRecord(Duration timeout, String... markers) throws InterruptedException {
    return Hosts.awaitRecord(topology.appliance, timeout, markers);
  }
}
