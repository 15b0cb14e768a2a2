package dev.gatehouse.core.policy;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The policy set the appliance runs now, replaced whole on reload. Flows read
 * {@link #current()} when they decide, so a new set applies to every flow decided after the
 * replacement; flows decided before keep their verdict unless the new set ends them
 * ({@link PolicySet#endsEstablished}), which listeners registered with {@link #onReplace}
 * carry out.
 *
 * <p>Thread-safe: one writer (the reload) and any number of readers (event loops).
 */
public final class Policies {

  /** How long a flow waits for the client's first bytes when not configured. Chosen. */
  public static final Duration DEFAULT_INSPECTION_TIMEOUT = Duration.ofSeconds(3);

  private final List<Consumer<PolicySet>> listeners = new CopyOnWriteArrayList<>();
  private volatile PolicySet current;
  private volatile Duration inspectionTimeout;

  /**
   * @param initial the set to run first
   * @param inspectionTimeout how long a flow whose verdict is pending waits for the client's
   *     first bytes before it is decided on what is known
   */
  public Policies(PolicySet initial, Duration inspectionTimeout) {
    this.current = Objects.requireNonNull(initial, "initial");
    this.inspectionTimeout = Objects.requireNonNull(inspectionTimeout, "inspectionTimeout");
  }

  /** Everything allowed, nothing inspected. */
  public static Policies allowAll() {
    return new Policies(PolicySet.ALLOW_ALL, DEFAULT_INSPECTION_TIMEOUT);
  }

  /** The set flows decide by now. */
  public PolicySet current() {
    return current;
  }

  /** How long a flow whose verdict is pending waits for the client's first bytes. */
  public Duration inspectionTimeout() {
    return inspectionTimeout;
  }

  /** Runs the appliance on {@code next} from now on and tells the listeners. */
  public void replace(PolicySet next) {
    replace(next, inspectionTimeout);
  }

  /**
   * Runs the appliance on {@code next}, and waits {@code nextInspectionTimeout} for the first
   * bytes of flows that start from now on, and tells the listeners.
   */
  public void replace(PolicySet next, Duration nextInspectionTimeout) {
    Objects.requireNonNull(next, "next");
    inspectionTimeout = Objects.requireNonNull(nextInspectionTimeout, "nextInspectionTimeout");
    current = next;
    for (Consumer<PolicySet> listener : listeners) {
      listener.accept(next);
    }
  }

  /** Calls {@code listener} with each set that replaces the current one, on the replacing thread. */
  public void onReplace(Consumer<PolicySet> listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }
}
