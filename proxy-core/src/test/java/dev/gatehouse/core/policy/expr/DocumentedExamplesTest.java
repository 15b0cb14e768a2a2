package dev.gatehouse.core.policy.expr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The examples of docs/POLICY-EXPRESSIONS.md behave as the page says. */
class DocumentedExamplesTest {

  private static Outcome eval(String text, FlowFacts facts) throws ExpressionException {
    return Expression.compile(text).evaluate(facts);
  }

  @Test
  void matchesSshToTheLabNetworks() throws ExpressionException {
    String text = "net.dst.ip in {198.18.0.0/24 2001:2::/48} and net.dst.port in {22 3389}";
    assertEquals(Outcome.MATCH, eval(text, Facts.firstPacket("198.19.0.1", 5000, "2001:2::9", 3389)));
    assertEquals(Outcome.NO_MATCH, eval(text, Facts.firstPacket("198.19.0.1", 5000, "198.18.1.9", 22)));
  }

  @Test
  void matchesPlaintextHttpUnderADomain() throws ExpressionException {
    String text = "http.request.host matches r\"(^|\\.)example\\.net$\"";
    assertEquals(Outcome.MATCH, eval(text, Facts.unknown().host("example.net")));
    assertEquals(Outcome.MATCH, eval(text, Facts.unknown().host("a.example.net")));
    assertEquals(Outcome.NO_MATCH, eval(text, Facts.unknown().host("badexample.net")));
  }

  @Test
  void matchesQuicOffPort443FromOneTunnel() throws ExpressionException {
    String text = "net.protocol == \"udp\" and net.detected_protocol == \"quic\" and not net.dst.port == 443\n"
        + "  and net.tunnel.name == \"branch-gre\"";
    Facts quic = Facts.firstPacket("198.18.0.2", 5000, "198.18.1.2", 8443).protocol("udp")
        .tunnel("branch-gre");
    assertEquals(Outcome.UNKNOWN, eval(text, quic));
    assertEquals(Outcome.MATCH, eval(text, quic.detected("quic")));
    assertEquals(Outcome.NO_MATCH, eval(text, quic.dstPort(443)));
  }

  @Test
  void excludesDnsFromOneVirtualNetwork() throws ExpressionException {
    String text = "net.vnet_id == 7 and not (net.protocol == \"udp\" and net.dst.port == 53)";
    Facts dns = Facts.firstPacket("198.18.0.2", 5000, "198.18.1.2", 53).protocol("udp").vnet(7);
    assertEquals(Outcome.NO_MATCH, eval(text, dns));
    assertEquals(Outcome.MATCH, eval(text, dns.protocol("tcp")));
  }

  @Test
  void keepsFamiliesApartButReadsAnIpv4MappedLiteralAsIpv4() throws ExpressionException {
    assertEquals(Outcome.MATCH, eval("net.dst.ip == ::ffff:198.18.0.1", Facts.unknown().dst("198.18.0.1")));
    assertEquals(Outcome.NO_MATCH, eval("net.dst.ip in {::/0}", Facts.unknown().dst("198.18.0.1")));
    assertEquals(Outcome.NO_MATCH, eval("net.dst.ip in {0.0.0.0/0}", Facts.unknown().dst("2001:2::1")));
  }

  @Test
  void givesTheDocumentedMessages() {
    String[][] cases = {
        {"net.dst.prt == 22", "column 1: unknown field 'net.dst.prt'"},
        {"net.dst.port == 70000", "column 17: value 70000 is outside net.dst.port's range 0..65535"},
    };
    for (String[] c : cases) {
      ExpressionException e = assertThrows(ExpressionException.class,
          () -> Expression.compile(c[0]));
      assertEquals(c[1], e.getMessage());
    }
  }
}
