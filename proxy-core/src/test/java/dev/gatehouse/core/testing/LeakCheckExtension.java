package dev.gatehouse.core.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty found a resource, a buffer most often, that was never
 * released. Every module's tests get it without naming it: the parent POM switches on
 * JUnit's extension autodetection, and this test jar registers it in
 * {@code META-INF/services/org.junit.jupiter.api.extension.Extension}.
 *
 * <p>The check runs after each class rather than after each test because it collects
 * garbage, which costs tens of milliseconds. Netty notices a leak only once the leaked
 * object is garbage, so a leak that stays reachable until a later class (held by an
 * event loop that was not shut down, say) fails that later class: the access records in
 * the message show where the buffer came from.
 */
public final class LeakCheckExtension implements BeforeAllCallback, AfterAllCallback {

  private static final Set<Class<?>> CHECKED_CLASSES = ConcurrentHashMap.newKeySet();

  private final RecordingLeakDetectors detectors;

  /**
   * Installs the recording detectors when JUnit loads the extension, which it does before
   * any test class runs, so that no buffer is made under Netty's plain detector.
   */
  public LeakCheckExtension() {
    detectors = RecordingLeakDetectors.install();
  }

  /**
   * Whether this extension checks {@code testClass}, which a test calls on its own class to
   * prove that the extension reaches classes that do not name it.
   */
  public static boolean checks(Class<?> testClass) {
    return CHECKED_CLASSES.contains(testClass);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    CHECKED_CLASSES.add(context.getRequiredTestClass());
  }

  @Override
  public void afterAll(ExtensionContext context) throws InterruptedException {
    List<String> leaks = detectors.collectLeaks();
    if (!leaks.isEmpty()) {
      // Netty reports leaks with identical access records once, hence "distinct"
      fail("Netty reported " + leaks.size() + " distinct leak(s) by the end of "
          + context.getRequiredTestClass().getName() + ":\n" + String.join("\n\n", leaks));
    }
  }
}
