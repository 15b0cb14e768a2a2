package dev.gatehouse.testbed.bench;

import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * What one route gave for one figure: the value of every recorded run, or the reason it
 * gave none. A measurement with a failure has no value, whatever runs came before it.
 *
 * @param name what was measured: Gatehouse, or the baseline peer with its version
 * @param samples the recorded runs, in order
 * @param failure why there is no value, when there is none
 */
public record Measurement(String name, List<Double> samples, Optional<String> failure) {
  /** Copies the samples. */
  public Measurement {
    samples = List.copyOf(samples);
  }

  /** A measurement that could not be taken at all. */
  public static Measurement failed(String name, String reason) {
    return new Measurement(name, List.of(), Optional.of(reason));
  }

  /** The median of the runs; empty when the measurement failed or has no runs. */
  public OptionalDouble value() {
    if (failure.isPresent() || samples.isEmpty()) {
      return OptionalDouble.empty();
    }
    List<Double> sorted = samples.stream().sorted().toList();
    int middle = sorted.size() / 2;
    return OptionalDouble.of(sorted.size() % 2 == 1
        ? sorted.get(middle)
        : (sorted.get(middle - 1) + sorted.get(middle)) / 2);
  }

  /** The smallest run, when there is a value. */
  public OptionalDouble min() {
    return value().isPresent() ? samples.stream().mapToDouble(Double::doubleValue).min() : OptionalDouble.empty();
  }

  /** The largest run, when there is a value. */
  public OptionalDouble max() {
    return value().isPresent() ? samples.stream().mapToDouble(Double::doubleValue).max() : OptionalDouble.empty();
  }
}
