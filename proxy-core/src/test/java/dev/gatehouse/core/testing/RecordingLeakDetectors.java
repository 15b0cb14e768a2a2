package dev.gatehouse.core.testing;

import io.netty.buffer.AbstractByteBuf;
import io.netty.buffer.ByteBuf;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.lang.invoke.MethodHandles;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Netty's leak detectors for this JVM, made to keep every leak they find so that a test
 * can fail on it; Netty itself only logs a leak.
 *
 * <p>Netty finds a leak late: a tracked resource that was never released is noticed once
 * the garbage collector has cleared it, and reported the next time its detector tracks
 * something. {@link #collectLeaks()} makes both happen now.
 *
 * <p>Each Netty class that tracks a resource asks the factory for its detector once, in
 * its static initializer, so {@link #install()} must run before the first buffer is made.
 */
public final class RecordingLeakDetectors extends ResourceLeakDetectorFactory {

  private static final int COLLECTION_ROUNDS = 3;
  private static final long GC_WAIT_MILLIS = 2_000;

  private static RecordingLeakDetectors installed;

  private final List<RecordingDetector<?>> detectors = new CopyOnWriteArrayList<>();
  private final Queue<String> leaks = new ConcurrentLinkedQueue<>();

  private RecordingLeakDetectors() {}

  /**
   * Makes every Netty leak detector created from now on a recording one, once per JVM,
   * and returns the factory that keeps their reports.
   *
   * @throws IllegalStateException when Netty's buffers already had their detector, which
   *     means buffers in this JVM would go unchecked
   */
  public static synchronized RecordingLeakDetectors install() {
    if (installed == null) {
      RecordingLeakDetectors factory = new RecordingLeakDetectors();
      ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(factory);
      initialize(AbstractByteBuf.class);
      if (!factory.tracks(ByteBuf.class)) {
        throw new IllegalStateException("Netty's ByteBuf leak detector was created before "
            + "RecordingLeakDetectors.install(): install it before the first buffer is made");
      }
      installed = factory;
    }
    return installed;
  }

  /** Whether a recording detector watches resources of {@code resourceType}. */
  public boolean tracks(Class<?> resourceType) {
    return detectors.stream().anyMatch(detector -> detector.resourceType == resourceType);
  }

  /**
   * Collects garbage, has every detector look for cleared resources, and returns the
   * leaks reported since the last call (each with its access records when the detection
   * level is advanced or paranoid), forgetting them.
   *
   * @throws IllegalStateException when no garbage collection could be observed
   */
  public List<String> collectLeaks() throws InterruptedException {
    for (int round = 0; round < COLLECTION_ROUNDS; round++) {
      collectGarbage();
      detectors.forEach(RecordingDetector::poll);
    }
    List<String> found = new ArrayList<>();
    for (String leak; (leak = leaks.poll()) != null; ) {
      found.add(leak);
    }
    return found;
  }

  @Override
  public <T> ResourceLeakDetector<T> newResourceLeakDetector(
      Class<T> resource, int samplingInterval) {
    RecordingDetector<T> detector = new RecordingDetector<>(this, resource, samplingInterval);
    detectors.add(detector);
    return detector;
  }

  /** Netty's abstract form, deprecated there; Netty ignores {@code maxActive}, as we do. */
  @Deprecated
  @Override
  public <T> ResourceLeakDetector<T> newResourceLeakDetector(
      Class<T> resource, int samplingInterval, long maxActive) {
    return newResourceLeakDetector(resource, samplingInterval);
  }

  /** Runs a collection and waits until the JVM has processed its cleared references. */
  private static void collectGarbage() throws InterruptedException {
    ReferenceQueue<Object> cleared = new ReferenceQueue<>();
    WeakReference<Object> sentinel = new WeakReference<>(new Object(), cleared);
    System.gc();
    if (cleared.remove(GC_WAIT_MILLIS) == null) {
      throw new IllegalStateException("System.gc() cleared no weak reference within "
          + GC_WAIT_MILLIS + " ms; is -XX:+DisableExplicitGC set for the test JVM?");
    }
    Reference.reachabilityFence(sentinel);
  }

  private static void initialize(Class<?> type) {
    try {
      MethodHandles.lookup().ensureInitialized(type);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("cannot initialize " + type.getName(), e);
    }
  }

  /** A Netty leak detector that hands each report to its factory, then logs it as usual. */
  private static final class RecordingDetector<T> extends ResourceLeakDetector<T> {

    private final RecordingLeakDetectors factory;
    private final Class<T> resourceType;

    RecordingDetector(RecordingLeakDetectors factory, Class<T> resourceType,
        int samplingInterval) {
      super(resourceType, samplingInterval);
      this.factory = factory;
      this.resourceType = resourceType;
    }

    /**
     * Tracks and at once releases a throwaway object: tracking is when Netty drains the
     * references the collector cleared and reports the leaked ones.
     */
    @SuppressWarnings("unchecked") // the probe is only tracked and closed, never used as T
    void poll() {
      T probe = (T) new Object();
      trackForcibly(probe).close(probe);
    }

    /** Reports even when logging is off: Netty's default asks whether ERROR is enabled. */
    @Override
    protected boolean needReport() {
      return true;
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
      factory.leaks.add(resourceType + ".release() was not called before it was "
          + "garbage-collected." + records);
      super.reportTracedLeak(resourceType, records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
      factory.leaks.add(resourceType + ".release() was not called before it was "
          + "garbage-collected (no access records: the leak detection level is below "
          + "advanced).");
      super.reportUntracedLeak(resourceType);
    }
  }
}
