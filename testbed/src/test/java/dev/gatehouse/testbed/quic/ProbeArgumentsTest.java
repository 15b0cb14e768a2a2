package dev.gatehouse.testbed.quic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How the probe reads its command line and writes a body into its one output line. */
class ProbeArgumentsTest {

  @Test
  void resolveSendsToTheAddressButKeepsTheHostName() throws Exception {
    Target target = Target.of(URI.create("https://origin.test:8443/a/b?c=d"), Optional.of("origin.test:8443:[::1]"));

    assertEquals(new Target("origin.test", 8443, "/a/b?c=d",
        new InetSocketAddress(InetAddress.ofLiteral("::1"), 8443)), target);
    assertEquals("origin.test:8443", target.authority());
  }

  @Test
  void resolveForAnotherPortIsIgnored() throws Exception {
    // localhost comes from the hosts file: no name server is asked
    Target target = Target.of(URI.create("https://localhost/"), Optional.of("localhost:8443:198.18.253.1"));

    assertTrue(target.address().getAddress().isLoopbackAddress(), target.toString());
  }

  @Test
  void defaultsToPort443AndRootPath() throws Exception {
    Target target = Target.of(URI.create("https://origin.test"), Optional.of("origin.test:443:127.0.0.1"));

    assertEquals("/", target.pathAndQuery());
    assertEquals("origin.test", target.authority());
  }

  @Test
  void refusesAResolveEntryThatIsNotAnAddress() {
    assertThrows(IllegalArgumentException.class,
        () -> Target.of(URI.create("https://origin.test/"), Optional.of("origin.test:443:example.com")));
  }

  @Test
  void refusesACaFileWithoutCertificates() {
    assertThrows(IllegalArgumentException.class,
        () -> ProbeArguments.parse("--cacert", "/dev/null", "https://origin.test/"));
  }

  @Test
  void refusesInsecureTogetherWithACaFile() {
    assertThrows(IllegalArgumentException.class,
        () -> ProbeArguments.parse("--insecure", "--cacert", "/dev/null", "https://origin.test/"));
  }

  @Test
  void quotesABodyIntoOnePrintableLine() {
    assertEquals("\"a \\\"b\\\" \\\\ c\\n\\r\\t\\u0001\\u00e9\"", Http3Probe.quoted("a \"b\" \\ c\n\r\t\u0001\u00e9"));
  }
}
