package dev.gatehouse.core.policy.expr;

import static dev.gatehouse.core.policy.expr.Outcome.MATCH;
import static dev.gatehouse.core.policy.expr.Outcome.NO_MATCH;
import static dev.gatehouse.core.policy.expr.Outcome.UNKNOWN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ExpressionEvaluationTest {

  private static Outcome eval(String text, FlowFacts facts) {
    try {
      return Expression.compile(text).evaluate(facts);
    } catch (ExpressionException e) {
      throw new AssertionError("did not compile: " + text + ": " + e.getMessage(), e);
    }
  }

  private static final Facts SSH = Facts.firstPacket("198.18.0.10", 40000, "198.18.1.20", 22);

  @Nested
  class Precedence {
    @Test
    void bindsAndTighterThanOr() {
      // read as port==22 or (port==80 and port==443): true for port 22
      assertEquals(MATCH, eval("net.dst.port == 22 or net.dst.port == 80 and net.dst.port == 443", SSH));
      assertEquals(NO_MATCH, eval("(net.dst.port == 22 or net.dst.port == 80) and net.dst.port == 443", SSH));
    }

    @Test
    void bindsNotTighterThanAnd() {
      // read as (not port==80) and port==22
      assertEquals(MATCH, eval("not net.dst.port == 80 and net.dst.port == 22", SSH));
      assertEquals(NO_MATCH, eval("not (net.dst.port == 22 and net.dst.port == 22)", SSH));
    }

    @Test
    void acceptsNotWithParenthesesAndSymbolicSpellings() {
      assertEquals(NO_MATCH, eval("not(net.dst.port == 22)", SSH));
      assertEquals(MATCH, eval("!(net.dst.port == 80) && (net.src.port == 1 || net.dst.port == 22)", SSH));
      assertEquals(MATCH, eval("not not net.dst.port == 22", SSH));
    }

    @Test
    void acceptsWordOperators() {
      assertEquals(MATCH, eval("net.dst.port eq 22 and net.dst.port ne 23 and net.dst.port gt 21"
          + " and net.dst.port ge 22 and net.dst.port lt 23 and net.dst.port le 22", SSH));
    }

    @Test
    void ignoresWhitespaceAndNeedsNoneAroundSymbols() {
      assertEquals(MATCH, eval("(net.dst.port==22)and(net.protocol==\"tcp\")", SSH));
      assertEquals(MATCH, eval("\n\tnet.dst.port  ==\r\n 22 ", SSH));
    }
  }

  @Nested
  class Integers {
    @ParameterizedTest
    @CsvSource({
        "net.dst.port == 22, MATCH", "net.dst.port == 23, NO_MATCH",
        "net.dst.port != 22, NO_MATCH", "net.dst.port != 23, MATCH",
        "net.dst.port > 21, MATCH", "net.dst.port > 22, NO_MATCH",
        "net.dst.port >= 22, MATCH", "net.dst.port >= 23, NO_MATCH",
        "net.dst.port < 23, MATCH", "net.dst.port < 22, NO_MATCH",
        "net.dst.port <= 22, MATCH", "net.dst.port <= 21, NO_MATCH",
        "net.src.port == 40000, MATCH", "net.src.port in {1..39999}, NO_MATCH",
        "net.vnet_id == 0, MATCH", "net.vnet_id in {1 2 3}, NO_MATCH",
    })
    void comparesIntegerFields(String text, Outcome expected) {
      assertEquals(expected, eval(text, SSH));
    }

    @Test
    void findsPortsInSetsOfValuesAndRanges() {
      String text = "net.dst.port in {80 443 8000..8100 22}";
      for (int port : new int[] {22, 80, 443, 8000, 8050, 8100}) {
        assertEquals(MATCH, eval(text, Facts.unknown().dstPort(port)), "port " + port);
      }
      for (int port : new int[] {0, 21, 23, 444, 7999, 8101, 65535}) {
        assertEquals(NO_MATCH, eval(text, Facts.unknown().dstPort(port)), "port " + port);
      }
    }

    @Test
    void acceptsTheWholePortAndVnetRange() {
      assertEquals(MATCH, eval("net.dst.port in {0..65535}", Facts.unknown().dstPort(0)));
      assertEquals(MATCH, eval("net.vnet_id == 4294967295", Facts.unknown().vnet(4294967295L)));
    }

    @Test
    void neverMatchesPortsOfAFlowWithoutPorts() {
      Facts ping = Facts.unknown().protocol("icmp").srcPort(FlowFacts.NO_PORT).dstPort(FlowFacts.NO_PORT);
      assertEquals(NO_MATCH, eval("net.dst.port == 22", ping));
      assertEquals(NO_MATCH, eval("net.dst.port != 22", ping));
      assertEquals(NO_MATCH, eval("net.src.port in {0..65535}", ping));
      assertEquals(MATCH, eval("not net.dst.port == 22", ping));
    }
  }

  @Nested
  class Addresses {
    @Test
    void comparesSingleAddressesOfBothFamilies() {
      assertEquals(MATCH, eval("net.dst.ip == 198.18.1.20", SSH));
      assertEquals(NO_MATCH, eval("net.dst.ip != 198.18.1.20", SSH));
      assertEquals(MATCH, eval("net.src.ip != 198.18.1.20", SSH));
      Facts v6 = Facts.unknown().dst("2001:2::1");
      assertEquals(MATCH, eval("net.dst.ip == 2001:2:0::1", v6));
      assertEquals(NO_MATCH, eval("net.dst.ip == 198.18.1.20", v6));
    }

    @Test
    void findsAddressesInMixedCidrSets() {
      String text = "net.dst.ip in {198.18.0.0/24 2001:2::/48 198.19.0.5 2001:2:1::7}";
      for (String inside : new String[] {"198.18.0.0", "198.18.0.255", "198.19.0.5", "2001:2::",
          "2001:2:0:ffff:ffff:ffff:ffff:ffff", "2001:2:1::7"}) {
        assertEquals(MATCH, eval(text, Facts.unknown().dst(inside)), inside);
      }
      for (String outside : new String[] {"198.18.1.0", "198.17.255.255", "198.19.0.4", "198.19.0.6",
          "2001:2:1::", "2001:2:1::8", "2001:3::", "0.0.0.0"}) {
        assertEquals(NO_MATCH, eval(text, Facts.unknown().dst(outside)), outside);
      }
    }

    @Test
    void ignoresHostBitsOfACidrAndHandlesDefaultRoutes() {
      assertEquals(MATCH, eval("net.src.ip in {198.18.0.77/24}", Facts.unknown().src("198.18.0.1")));
      assertEquals(MATCH, eval("net.src.ip in {0.0.0.0/0}", Facts.unknown().src("198.18.252.9")));
      assertEquals(NO_MATCH, eval("net.src.ip in {0.0.0.0/0}", Facts.unknown().src("2001:2::1")));
      assertEquals(MATCH, eval("net.src.ip in {::/0}", Facts.unknown().src("2001:2::1")));
      assertEquals(MATCH, eval("net.src.ip in {2001:2::1/128}", Facts.unknown().src("2001:2::1")));
      assertEquals(NO_MATCH, eval("net.src.ip in {2001:2::1/128}", Facts.unknown().src("2001:2::2")));
    }
  }

  @Nested
  class Strings {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "net.protocol == \"tcp\" | MATCH",
        "net.protocol == \"TCP\" | MATCH",
        "net.protocol in {\"udp\" \"icmp\"} | NO_MATCH",
        "net.tunnel.name == \"gre-1\" | MATCH",
        "net.tunnel.name == \"GRE-1\" | NO_MATCH",
        "net.site != \"lab\" | NO_MATCH",
        "net.site in {\"lab\" \"edge\"} | MATCH",
        "net.tunnel.name matches \"^gre-[0-9]+$\" | MATCH",
        "net.tunnel.name matches \"^ipsec\" | NO_MATCH",
    })
    void comparesStringFields(String text, Outcome expected) {
      assertEquals(expected, eval(text, SSH));
    }

    @Test
    void comparesHostsWithoutRegardToCase() {
      Facts tls = Facts.unknown().sni("www.example.com").host("").detected("tls");
      assertEquals(MATCH, eval("net.sni.host == \"WWW.Example.com\"", tls));
      assertEquals(MATCH, eval("net.sni.host matches \"EXAMPLE\\\\.COM$\"", tls));
      assertEquals(MATCH, eval("net.sni.host matches r\"^www\\.\"", tls));
      assertEquals(NO_MATCH, eval("net.sni.host matches r\"^www\\.example\\.org\"", tls));
      assertEquals(MATCH, eval("net.detected_protocol == \"TLS\"", tls));
      assertEquals(MATCH, eval("http.request.host == \"\"", tls));
    }

    @Test
    void decodesEscapesInStrings() {
      assertEquals(MATCH, eval("net.site == \"a\\\"b\\\\c\\x41\\t\"", Facts.unknown().site("a\"b\\cA\t")));
    }

    @Test
    void findsSubstringsWithMatchesUnlessAnchored() {
      Facts facts = Facts.unknown().host("cdn.video.example");
      assertEquals(MATCH, eval("http.request.host matches \"video\"", facts));
      assertEquals(NO_MATCH, eval("http.request.host matches \"^video\"", facts));
    }
  }

  @Nested
  class SniDomains {
    private static final String RULE = "any(net.sni.domains[*] == \"example.com\")";

    @Test
    void matchesTheDomainAndItsSubdomains() {
      assertEquals(MATCH, eval(RULE, Facts.unknown().sni("example.com")));
      assertEquals(MATCH, eval(RULE, Facts.unknown().sni("a.b.example.com")));
      assertEquals(NO_MATCH, eval(RULE, Facts.unknown().sni("notexample.com")));
      assertEquals(NO_MATCH, eval(RULE, Facts.unknown().sni("example.com.evil")));
    }

    @Test
    void includesTheTopLevelDomain() {
      assertEquals(MATCH, eval("any(net.sni.domains[*] == \"com\")", Facts.unknown().sni("a.example.com")));
    }

    @Test
    void isEmptyWithoutSniAndUnknownBeforeTheClientHello() {
      assertEquals(NO_MATCH, eval(RULE, Facts.unknown().sni("")));
      assertEquals(UNKNOWN, eval(RULE, Facts.unknown()));
    }

    @Test
    void supportsEveryStringOperatorOnElements() {
      Facts facts = Facts.unknown().sni("api.eu.example.net");
      assertEquals(MATCH, eval("any(net.sni.domains[*] in {\"example.org\" \"eu.example.net\"})", facts));
      assertEquals(MATCH, eval("any(net.sni.domains[*] matches \"^example\\\\.\")", facts));
      assertEquals(NO_MATCH, eval("any(net.sni.domains[*] matches \"^eu$\")", facts));
      assertEquals(MATCH, eval("any(net.sni.domains[*] != \"net\")", facts));
      assertEquals(NO_MATCH, eval("any(net.sni.domains[*] != \"x\")", Facts.unknown().sni("")));
    }
  }

  @Nested
  class ThreeValuedLogic {
    private static final Facts BEFORE_CLIENT_HELLO = Facts.firstPacket("198.18.0.10", 40000, "198.18.1.20", 22);

    @Test
    void decidesOrOnAKnownTrueOperand() {
      assertEquals(MATCH, eval("net.dst.port == 22 or net.sni.host == \"x\"", BEFORE_CLIENT_HELLO));
      assertEquals(MATCH, eval("net.sni.host == \"x\" or net.dst.port == 22", BEFORE_CLIENT_HELLO));
      assertEquals(UNKNOWN, eval("net.dst.port == 80 or net.sni.host == \"x\"", BEFORE_CLIENT_HELLO));
    }

    @Test
    void decidesAndOnAKnownFalseOperand() {
      assertEquals(NO_MATCH, eval("net.dst.port == 80 and net.sni.host == \"x\"", BEFORE_CLIENT_HELLO));
      assertEquals(NO_MATCH, eval("net.sni.host == \"x\" and net.dst.port == 80", BEFORE_CLIENT_HELLO));
      assertEquals(UNKNOWN, eval("net.dst.port == 22 and net.sni.host == \"x\"", BEFORE_CLIENT_HELLO));
    }

    @Test
    void keepsNotOfUnknownUnknown() {
      assertEquals(UNKNOWN, eval("not net.sni.host == \"x\"", BEFORE_CLIENT_HELLO));
      assertEquals(UNKNOWN, eval("net.sni.host != \"x\"", BEFORE_CLIENT_HELLO));
      assertEquals(UNKNOWN, eval("not (net.dst.port == 80 or http.request.host == \"x\")", BEFORE_CLIENT_HELLO));
    }

    @Test
    void reportsEveryFieldUnknownWhenNothingIsKnown() {
      for (String text : new String[] {"net.src.ip == 198.18.0.1", "net.dst.ip in {198.18.0.0/15}",
          "net.src.port == 1", "net.dst.port in {1}", "net.protocol == \"tcp\"", "net.sni.host == \"a\"",
          "http.request.host == \"a\"", "net.detected_protocol == \"tls\"", "net.tunnel.name == \"a\"",
          "net.site == \"a\"", "net.vnet_id == 1", "any(net.sni.domains[*] == \"a\")"}) {
        assertEquals(UNKNOWN, eval(text, Facts.unknown()), text);
      }
    }

    @Test
    void followsKleeneTablesExactly() {
      Outcome[] all = Outcome.values();
      for (Outcome a : all) {
        for (Outcome b : all) {
          assertEquals(a.and(b), b.and(a));
          assertEquals(a.or(b), a.not().and(b.not()).not(), "De Morgan for " + a + ", " + b);
        }
      }
      assertEquals(UNKNOWN, MATCH.and(UNKNOWN));
      assertEquals(NO_MATCH, NO_MATCH.and(UNKNOWN));
      assertEquals(MATCH, MATCH.or(UNKNOWN));
      assertEquals(UNKNOWN, NO_MATCH.or(UNKNOWN));
      assertEquals(UNKNOWN, UNKNOWN.not());
    }
  }

  @Nested
  class Fields {
    @Test
    void listsTheFieldsAnExpressionReads() throws ExpressionException {
      Expression expression = Expression.compile(
          "net.dst.port == 22 or (net.dst.ip in {198.18.0.0/24} and any(net.sni.domains[*] == \"a\"))");
      assertEquals(EnumSet.of(Field.NET_DST_PORT, Field.NET_DST_IP, Field.NET_SNI_DOMAINS),
          expression.fields());
      assertTrue(expression.needsInspection());
    }

    @Test
    void needsNoInspectionForFirstPacketFields() throws ExpressionException {
      Expression expression = Expression.compile("net.src.ip == 198.18.0.1 and net.tunnel.name == \"t\""
          + " and net.site == \"s\" and net.vnet_id == 3 and net.protocol == \"udp\" and net.src.port == 5");
      assertEquals(Set.of(Field.NET_SRC_IP, Field.NET_TUNNEL_NAME, Field.NET_SITE, Field.NET_VNET_ID,
          Field.NET_PROTOCOL, Field.NET_SRC_PORT), expression.fields());
      assertFalse(expression.needsInspection());
    }

    @Test
    void marksExactlyThePostInspectionFields() {
      Set<Field> inspected = EnumSet.noneOf(Field.class);
      for (Field field : Field.values()) {
        if (field.needsInspection()) {
          inspected.add(field);
        }
      }
      assertEquals(EnumSet.of(Field.NET_SNI_HOST, Field.NET_SNI_DOMAINS, Field.HTTP_REQUEST_HOST,
          Field.NET_DETECTED_PROTOCOL), inspected);
    }
  }
}
