package dev.gatehouse.testbed.bench;

import java.util.OptionalDouble;

/**
 * One line of the performance report: Gatehouse next to the baseline, same traffic, same
 * hosts, same run.
 *
 * @param name the key in performance.json
 * @param title the table's label
 * @param description what is measured and how
 * @param unit the unit of both values
 * @param gatehouse the figure through Gatehouse
 * @param baseline the figure through the baseline peer
 */
public record Figure(String name, String title, String description, String unit,
    Measurement gatehouse, Measurement baseline) {

  /** Gatehouse's value divided by the baseline's; empty unless both have one. */
  public OptionalDouble ratio() {
    OptionalDouble ours = gatehouse.value();
    OptionalDouble theirs = baseline.value();
    if (ours.isEmpty() || theirs.isEmpty() || theirs.getAsDouble() == 0) {
      return OptionalDouble.empty();
    }
    return OptionalDouble.of(ours.getAsDouble() / theirs.getAsDouble());
  }

  /** True when either side gave no value. */
  public boolean failed() {
    return gatehouse.value().isEmpty() || baseline.value().isEmpty();
  }
}
