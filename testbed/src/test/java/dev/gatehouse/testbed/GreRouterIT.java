package dev.gatehouse.testbed;

import static dev.gatehouse.testbed.Hosts.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
      """.formatted(APPLIANCE, SITE, KEY, MTU_BYTES);

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

  private static String awaitRecord(String... markers) throws InterruptedException {
    return Hosts.awaitRecord(appliance, Duration.ofSeconds(15), markers);
  }
}
