package dev.gatehouse.appliance.admin;

import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * A liveness or readiness check, asked on every probe. It runs on an event loop, so it
 * must answer from state already at hand and never block.
 */
@FunctionalInterface
public interface Health {

  /** The current answer. */
  Status check();

  /**
   * One answer of a check.
   *
   * @param healthy whether the probe should succeed
   * @param reason why not, for the 503 body; {@code null} when healthy
   */
  record Status(boolean healthy, String reason) {

    private static final Status OK = new Status(true, null);

    public Status {
      if (!healthy && (reason == null || reason.isBlank())) {
        throw new IllegalArgumentException("an unhealthy status needs a reason");
      }
    }

    /** Healthy. */
    public static Status ok() {
      return OK;
    }

    /** Not healthy, for {@code reason}. */
    public static Status failing(String reason) {
      return new Status(false, reason);
    }
  }

  /** A check that always passes: the process answering is all it proves. */
  static Health alwaysHealthy() {
    return Status::ok;
  }

  /** Adapts a yes/no check; {@code reasonWhenFalse} explains a "no". */
  static Health of(BooleanSupplier check, String reasonWhenFalse) {
    Objects.requireNonNull(check, "check");
    Status failing = Status.failing(reasonWhenFalse);
    return () -> check.getAsBoolean() ? Status.ok() : failing;
  }
}
