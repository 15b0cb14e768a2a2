package dev.gatehouse.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.opentest4j.AssertionFailedError;

/**
 * Runs test classes that leak or release a pooled buffer through a JUnit engine of their
 * own, registered the way the build registers {@link LeakCheckExtension} for every module,
 * and checks which of them fails. Netty logs the deliberate leak at ERROR as it would any
 * other: that line in the build output is expected.
 */
class LeakCheckExtensionTest {

  /** Set only for the engine runs below, so that the fixtures never run with the suite. */
  private static final String RUN_FIXTURES = "gatehouse.test.leakCheckFixtures";

  @Test
  void failsTheClassThatLeakedAPooledBuffer() {
    EngineExecutionResults results = runFixture(LeaksAPooledBuffer.class);

    results.testEvents().assertStatistics(stats -> stats.succeeded(1).failed(0));
    TestExecutionResult classResult = classResult(results);
    assertEquals(TestExecutionResult.Status.FAILED, classResult.getStatus());
    String message = assertInstanceOf(AssertionFailedError.class,
        classResult.getThrowable().orElseThrow()).getMessage();
    assertTrue(message.contains("reported 1 distinct leak(s) by the end of "
        + LeaksAPooledBuffer.class.getName()), message);
    assertTrue(message.contains("ByteBuf.release() was not called"), message);
    // the access records name the method that made the buffer
    assertTrue(message.contains("LeaksAPooledBuffer.leavesAPooledBufferUnreleased"), message);
  }

  @Test
  void passesTheClassThatReleasedItsPooledBuffer() {
    EngineExecutionResults results = runFixture(ReleasesAPooledBuffer.class);

    results.testEvents().assertStatistics(stats -> stats.succeeded(1).failed(0));
    assertEquals(TestExecutionResult.Status.SUCCESSFUL, classResult(results).getStatus());
  }

  @Test
  void checksThisClassThoughItDoesNotNameTheExtension() {
    assertTrue(LeakCheckExtension.checks(LeakCheckExtensionTest.class));
  }

  /** Whether the fixtures may run: only when a test here runs them. */
  static boolean fixturesRequested(ExtensionContext context) {
    return context.getConfigurationParameter(RUN_FIXTURES).isPresent();
  }

  private static EngineExecutionResults runFixture(Class<?> fixture) {
    return EngineTestKit.engine("junit-jupiter")
        .configurationParameter("junit.jupiter.extensions.autodetection.enabled", "true")
        .configurationParameter("junit.jupiter.extensions.autodetection.include", "dev.gatehouse.*")
        .configurationParameter(RUN_FIXTURES, "true")
        .selectors(selectClass(fixture))
        .execute();
  }

  /** How the fixture class itself finished: its after-all callbacks decide that. */
  private static TestExecutionResult classResult(EngineExecutionResults results) {
    List<Event> finished = results.containerEvents().finished()
        .filter(event -> event.getTestDescriptor().getSource()
            .filter(ClassSource.class::isInstance)
            .isPresent())
        .toList();
    assertEquals(1, finished.size(), () -> "class containers finished: " + finished);
    return finished.getFirst().getRequiredPayload(TestExecutionResult.class);
  }

  @EnabledIf("dev.gatehouse.core.testing.LeakCheckExtensionTest#fixturesRequested")
  static class LeaksAPooledBuffer {

    @Test
    void leavesAPooledBufferUnreleased() {
      ByteBuf buffer = PooledByteBufAllocator.DEFAULT.directBuffer(64);
      buffer.writeLong(0x0102030405060708L);
    }
  }

  @EnabledIf("dev.gatehouse.core.testing.LeakCheckExtensionTest#fixturesRequested")
  static class ReleasesAPooledBuffer {

    @Test
    void releasesItsPooledBuffer() {
      ByteBuf buffer = PooledByteBufAllocator.DEFAULT.directBuffer(64);
      try {
        buffer.writeLong(0x0102030405060708L);
      } finally {
        buffer.release();
      }
    }
  }
}
