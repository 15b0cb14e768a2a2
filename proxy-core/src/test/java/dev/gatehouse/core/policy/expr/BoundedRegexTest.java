package dev.gatehouse.core.policy.expr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A pathological pattern costs bounded time per flow and says it could not decide. */
class BoundedRegexTest {
  private static final String CATASTROPHIC = "net.sni.host matches \"(.*a){12}b\"";

  private static Outcome eval(String text, FlowFacts facts) throws ExpressionException {
    return Expression.compile(text).evaluate(facts);
  }

  @Test
  void givesUpOnCatastrophicBacktrackingAsUnknown() {
    Facts facts = Facts.unknown().sni("a".repeat(60));

    Outcome outcome = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> eval(CATASTROPHIC, facts));

    assertEquals(Outcome.UNKNOWN, outcome);
  }

  @Test
  void stillDecidesTheSamePatternOnShortValues() throws ExpressionException {
    assertEquals(Outcome.MATCH, eval(CATASTROPHIC, Facts.unknown().sni("a".repeat(12) + "b")));
    assertEquals(Outcome.NO_MATCH, eval(CATASTROPHIC, Facts.unknown().sni("a".repeat(11) + "b")));
  }

  @Test
  void decidesOrdinaryPatternsOnTheLongestHostNames() throws ExpressionException {
    String label = "a".repeat(60) + ".";
    String host = label.repeat(3) + "b".repeat(50) + ".example.com";
    String text = "net.sni.host matches r\"^([a-z0-9-]+\\.)*example\\.com$\"";

    assertEquals(Outcome.MATCH, eval(text, Facts.unknown().sni(host)));
    assertEquals(Outcome.NO_MATCH, eval(text, Facts.unknown().sni(host + ".evil")));
  }

  @Test
  void letsAnotherSniDomainMatchWhenOneGaveUp() throws ExpressionException {
    String text = "any(net.sni.domains[*] matches r\"(.*a){12}b|^example\\.com$\")";
    Facts facts = Facts.unknown().sni("a".repeat(60) + ".example.com");

    assertEquals(Outcome.MATCH, eval(text, facts));
    assertEquals(Outcome.UNKNOWN, eval(text, Facts.unknown().sni("a".repeat(60) + ".example.org")));
  }
}
