package dev.gatehouse.testbed;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.testing.LeakCheckExtension;
import org.junit.jupiter.api.Test;

/**
 * The testbed's test classes leak-check without naming the check, since the HTTP/3 probe
 * and origin here move Netty buffers: proxy-core's test jar registers it and the parent POM
 * switches on JUnit's extension autodetection.
 */
class LeakCheckCoverageTest {

  @Test
  void checksTestbedTestClassesForLeakedBuffers() {
    assertTrue(LeakCheckExtension.checks(LeakCheckCoverageTest.class));
  }
}
