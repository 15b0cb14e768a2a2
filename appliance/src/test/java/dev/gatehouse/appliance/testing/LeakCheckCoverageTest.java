package dev.gatehouse.appliance.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.testing.LeakCheckExtension;
import org.junit.jupiter.api.Test;

/**
 * The appliance's test classes leak-check without naming the check: proxy-core's test jar
 * registers it and the parent POM switches on JUnit's extension autodetection.
 */
class LeakCheckCoverageTest {

  @Test
  void checksApplianceTestClassesForLeakedBuffers() {
    assertTrue(LeakCheckExtension.checks(LeakCheckCoverageTest.class));
  }
}
