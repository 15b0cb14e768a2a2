package dev.gatehouse.testbed.bench;

import java.io.IOException;

/**
 * One figure: a measurement the runner takes through Gatehouse and through the baseline,
 * alternately, {@link #runs()} times each after one warm-up run each, in the
 * {@link #topology()} it names.
 */
public interface Benchmark {
  /** The figure's key in performance.json, for example {@code tcp-throughput}. */
  String name();

  /** A short human title for the table. */
  String title();

  /** What is measured and how, for PERFORMANCE.md. */
  String description();

  /** The unit of every value, for example {@code bit/s}. */
  String unit();

  /** The containers the figure runs in; the runner starts them for it. */
  default Topology topology() {
    return Topology.TUN_ROUTER;
  }

  /** How many recorded runs each route gets. */
  default int runs() {
    return 3;
  }

  /**
   * Measures once over {@code route}; a warm-up run may be shorter and is not recorded.
   *
   * @throws BenchmarkException when the run produced no trustworthy value
   */
  double runOnce(RelayTopology topology, Route route, boolean warmUp)
      throws BenchmarkException, IOException, InterruptedException;
}
