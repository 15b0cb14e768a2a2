package dev.gatehouse.testbed;

import static dev.gatehouse.testbed.Hosts.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.testbed.bench.JsonTree;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;

/**
 * A site router whose GRE endpoint is Open vSwitch's user-space datapath attaches to the
 * appliance over plain IP-in-GRE with a key; its clients reach real origins through
 * Gatehouse, which terminates the tunnel on a raw protocol-47 socket and every flow in it.
 *
 * <pre>
 *   site 198.18.10.10 --(GRE, key 1001)--> appliance 198.18.10.2 ... 198.18.20.2 --> origin 198.18.20.10
 *   inner 198.18.40.1/31 and 2001:2:0:40::1/127, routes to the origins into the tunnel
 * </pre>
 */
class GreRouterIT {
  private static final String ORIGIN = RouterTopology.ORIGIN_HOST;
  private static final String ORIGIN_V6 = RouterTopology.ORIGIN_HOST_V6;
  private static final String APPLIANCE = RouterTopology.APPLIANCE_SITE_SIDE;
  private static final String SITE = RouterTopology.SITE_HOST;
  private static final String SITE_INNER = "198.18.40.1";
  private static final String SITE_INNER_V6 = "2001:2:0:40::1";
  private static final long KEY = 1001;
  /** 1476 less the key's four bytes: what both ends must agree on. */
  private static final int MTU_BYTES = 1472;
  private static final String CONFIG = """
      admin: { listen: 0.0.0.0:9090 }
      explicit-proxy: { enabled: false }
      proxy:
        udp: { idle-timeout: 2s }
      tunnels:
        - name: branch-1
          type: gre
          site: paris
          local: %s
          remote: %s
          key: %d
          interface-address: [198.18.40.0/31, 2001:2:0:40::/127]
          mtu: %d
          # request style: an echo request to the site's inner address, which its own
          # kernel answers; four a second, so that a test sees the states change soon
          health-check: { type: request, rate: high }
      """.formatted(APPLIANCE, SITE, KEY, MTU_BYTES);
  private static final URI STATUS = URI.create("http://" + APPLIANCE + ":9090/tunnels");
  /** What the crafted-packet test sends, three of each, and the counter each must raise. */
  private static final String CRAFTED = """
      from scapy.all import GRE, ICMP, IP, L3RawSocket, Raw, conf, send
      conf.verb = 0
      conf.L3socket = L3RawSocket  # the kernel routes and resolves; IP_HDRINCL keeps our headers
      A, S, K = "%s", "%s", %d
      inner = IP(src="198.18.40.1", dst="198.18.20.10") / ICMP()
      cases = {
          "in-wrong-key": IP(src=S, dst=A) / GRE(key_present=1, key=K + 1, proto=0x0800) / inner,
          "in-bad-checksum": IP(src=S, dst=A) / GRE(chksum_present=1, chksum=0x1234, key_present=1, key=K,
                                                    proto=0x0800) / inner,
          "in-bad-version": IP(src=S, dst=A) / GRE(version=1, key_present=1, key=K, proto=0x0800) / inner,
          "in-reserved-flags": IP(src=S, dst=A) / GRE(routing_present=1, key_present=1, key=K,
                                                      proto=0x0800) / inner,
          "in-truncated": IP(src=S, dst=A, proto=47) / Raw(b"\\x20\\x00"),
          "in-unknown-protocol-type": IP(src=S, dst=A) / GRE(key_present=1, key=K, proto=0x1234)
                                      / Raw(b"\\0" * 40),
          "in-not-ip": IP(src=S, dst=A) / GRE(key_present=1, key=K, proto=0x0800) / Raw(b"\\0" * 40),
          "in-unknown-remote": IP(src="198.18.10.99", dst=A) / GRE(key_present=1, key=K, proto=0x0800) / inner,
      }
      for name, packet in cases.items():
          send(packet, count=3)
          print(name)
      """.formatted(APPLIANCE, SITE, KEY);

  private static Network siteNet;
  private static Network originNet;
  private static GenericContainer<?> site;
  private static GenericContainer<?> appliance;
  private static GenericContainer<?> origin;
  private static GreSite siteGre;

  @BeforeAll
  static void start() throws Exception {
    TestImages.ensureBuilt();
    siteNet = RouterTopology.subnet(RouterTopology.SITE_SUBNET, RouterTopology.SITE_SUBNET_V6);
    originNet = RouterTopology.subnet(RouterTopology.ORIGIN_SUBNET, RouterTopology.ORIGIN_SUBNET_V6);
    origin = RouterTopology.originHost(originNet);
    appliance = RouterTopology.applianceHost(siteNet, CONFIG);
    site = GreSite.peerHost(siteNet, SITE, RouterTopology.SITE_HOST_V6);
    origin.start();
    appliance.start();
    RouterTopology.join(appliance, originNet, RouterTopology.APPLIANCE_ORIGIN_SIDE,
        RouterTopology.APPLIANCE_ORIGIN_SIDE_V6);
    site.start();
    siteGre = GreSite.create(site);
    siteGre.up(tunnel(OptionalLong.of(KEY)));
  }

  private static GreSite.Tunnel tunnel(OptionalLong key) {
    return new GreSite.Tunnel(APPLIANCE, key, List.of(SITE_INNER + "/31", SITE_INNER_V6 + "/127"),
        List.of(RouterTopology.ORIGIN_SUBNET, RouterTopology.ORIGIN_SUBNET_V6), MTU_BYTES);
  }

  @AfterAll
  static void stop() {
    Hosts.stopAll(Arrays.asList(site, appliance, origin), Arrays.asList(siteNet, originNet));
  }

  @Test
  void curlFetchesAPageThroughTheTunnel() throws Exception {
    ExecResult curl = sh(site, "curl -sS --max-time 10 http://" + ORIGIN + "/");
    assertEquals("gatehouse origin\n", curl.getStdout(), curl.getStderr() + siteGre.log());
    ExecResult accessLog = sh(origin, "tail -n 1 /var/log/nginx/access.log");
    assertTrue(accessLog.getStdout().startsWith(RouterTopology.APPLIANCE_ORIGIN_SIDE + " "), accessLog.getStdout());

    // the IPv6 test's flows go to port 80 as well: the address tells this one apart
    String record = awaitRecord("\"TunnelType\":\"gre\"", "\"DestinationIP\":\"" + ORIGIN + "\"",
        "\"DestinationPort\":80", "\"ConnectionCloseReason\":\"CLIENT_CLOSED\"");
    assertTrue(record.contains("\"Tunnel\":\"branch-1\""), record);
    assertTrue(record.contains("\"Site\":\"paris\""), record);
    assertTrue(record.contains("\"SourceIP\":\"" + SITE_INNER + "\""), record);
  }

  @Test
  void carriesIpv6UdpAndPing() throws Exception {
    ExecResult curl6 = sh(site, "curl -sS -g --max-time 10 'http://[" + ORIGIN_V6 + "]/'");
    assertEquals("gatehouse origin\n", curl6.getStdout(), curl6.getStderr());
    awaitRecord("\"TunnelType\":\"gre\"", "\"SourceIP\":\"" + SITE_INNER_V6 + "\"");

    ExecResult echo = sh(site, "echo gatehouse-gre-udp | socat -t 3 - UDP:" + ORIGIN + ":7");
    assertEquals("gatehouse-gre-udp\n", echo.getStdout(), echo.getStderr());
    ExecResult ping = sh(site, "ping -n -c 3 -i 0.2 -W 2 " + ORIGIN);
    assertTrue(ping.getStdout().contains("3 received"), ping.getStdout() + ping.getStderr());
    ExecResult ping6 = sh(site, "ping -6 -n -c 3 -i 0.2 -W 2 " + ORIGIN_V6);
    assertTrue(ping6.getStdout().contains("3 received"), ping6.getStdout() + ping6.getStderr());
  }

  @Test
  void movesOneGibibyteByteExactBothWays() throws Exception {
    Hosts.assertByteExactBothWays(site, origin, ORIGIN, 1L << 30);
  }

  @Test
  void tsharkDecodesTheAppliancesSideAsGreWithTheKey() throws Exception {
    Tshark capture = Tshark.start(site, "gre", "ip proto 47");
    ExecResult curl = sh(site, "curl -sS --max-time 10 http://" + ORIGIN + "/");
    capture.stop();
    assertEquals("gatehouse origin\n", curl.getStdout(), curl.getStderr());

    List<String> fromAppliance = capture.fields("gre && ip.src == " + APPLIANCE, "ip.dst", "gre.proto",
        "gre.flags.version", "gre.key", "tcp.srcport");
    assertFalse(fromAppliance.isEmpty(), "no GRE from the appliance in the capture");
    for (String line : fromAppliance) {
      String[] fields = line.split("\t", -1);
      assertEquals(SITE, fields[0].split(",")[0], line);
      assertEquals("0x0800", fields[1], line);
      assertEquals("0", fields[2], line);
      assertEquals(Long.toString(KEY), Long.toString(Long.decode(fields[3])), line);
    }
    // The origin's answer came back inside: TCP from port 80, in GRE.
    assertTrue(fromAppliance.stream().anyMatch(line -> line.endsWith("\t80")), String.join("\n", fromAppliance));
  }

  @Test
  void healthGoesDownWhenTheSiteStopsAnsweringAndComesBackWhenItReturns() throws Exception {
    awaitHealth("healthy", Duration.ofSeconds(60));
    siteGre.stop();
    try {
      awaitHealth("down", Duration.ofSeconds(15));
    } finally {
      siteGre.up(tunnel(OptionalLong.of(KEY)));
    }
    JsonTree back = awaitHealth("healthy", Duration.ofSeconds(60));
    List<String> history = back.array("health", "history").stream()
        .map(change -> change.string("state").orElse("?")).toList();
    assertTrue(history.contains("down"), "history: " + history);
    ExecResult curl = sh(site, "curl -sS --max-time 10 http://" + ORIGIN + "/");
    assertEquals("gatehouse origin\n", curl.getStdout(), curl.getStderr());
  }

  @Test
  void craftedPacketsAreDroppedAndCountedByReasonAndTheTunnelGoesOn() throws Exception {
    JsonTree before = greStatus();
    ExecResult scapy = site.execInContainer("python3", "-c", CRAFTED);
    assertEquals(0, scapy.getExitCode(), scapy.getStdout() + scapy.getStderr());
    List<String> reasons = scapy.getStdout().lines().toList();
    assertEquals(8, reasons.size(), scapy.getStdout());

    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    JsonTree after = greStatus();
    while (!allRose(before, after, reasons) && System.nanoTime() < deadline) {
      Thread.sleep(200);
      after = greStatus();
    }
    for (String reason : reasons) {
      assertEquals(3, counter(after, "drops." + reason) - counter(before, "drops." + reason), reason);
    }
    ExecResult curl = sh(site, "curl -sS --max-time 10 http://" + ORIGIN + "/");
    assertEquals("gatehouse origin\n", curl.getStdout(), curl.getStderr());
  }

  @Test
  void aSiteWithTheWrongKeyGetsNothingThrough() throws Exception {
    siteGre.up(tunnel(OptionalLong.of(KEY + 1)));
    try {
      ExecResult curl = sh(site, "curl -sS --max-time 3 http://" + ORIGIN + "/");
      assertFalse(curl.getExitCode() == 0, "a wrong key got through: " + curl.getStdout());
      ExecResult ping = sh(site, "ping -n -c 2 -i 0.2 -W 1 " + ORIGIN);
      assertTrue(ping.getStdout().contains(" 0 received"), ping.getStdout());
    } finally {
      siteGre.up(tunnel(OptionalLong.of(KEY)));
    }
    ExecResult curl = sh(site, "curl -sS --max-time 10 http://" + ORIGIN + "/");
    assertEquals("gatehouse origin\n", curl.getStdout(), curl.getStderr());
  }

  private static boolean allRose(JsonTree before, JsonTree after, List<String> reasons) {
    return reasons.stream().allMatch(r -> counter(after, "drops." + r) - counter(before, "drops." + r) >= 3);
  }

  /** The GRE tunnel's part of the admin endpoint's {@code GET /tunnels}. */
  private static JsonTree greStatus() throws Exception {
    try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
      HttpResponse<String> answer = client.send(HttpRequest.newBuilder(STATUS).timeout(Duration.ofSeconds(10))
          .GET().build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, answer.statusCode(), answer.body());
      return JsonTree.parse(answer.body()).array("tunnels").stream()
          .filter(t -> t.string("name").orElse("").equals("branch-1")).findFirst()
          .orElseThrow(() -> new AssertionError("no tunnel branch-1 in " + answer.body()));
    }
  }

  private static long counter(JsonTree tunnel, String name) {
    return tunnel.number("counters", name).orElseThrow(() -> new AssertionError("no counter " + name)).longValue();
  }

  private static JsonTree awaitHealth(String state, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    JsonTree status = greStatus();
    while (!status.string("health", "state").orElse("").equals(state)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("health never became " + state + " within " + timeout + ": "
            + status.string("health", "state").orElse("none") + "; " + siteGre.log());
      }
      Thread.sleep(250);
      status = greStatus();
    }
    return status;
  }

  private static String awaitRecord(String... markers) throws InterruptedException {
    return Hosts.awaitRecord(appliance, Duration.ofSeconds(15), markers);
  }
}
