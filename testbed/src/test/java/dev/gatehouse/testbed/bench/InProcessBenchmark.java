package dev.gatehouse.testbed.bench;

/**
 * One figure measured inside the runner's JVM, without containers: Gatehouse's code path
 * and a baseline code path doing the same work, alternately, {@link #runs()} times each
 * after one warm-up run each. Runs only when selected, never need a topology.
 */
public interface InProcessBenchmark {
  /** The figure's key in performance.json, for example {@code policy-decisions-1000-rules}. */
  String name();

  /** A short human title for the table. */
  String title();

  /** What is measured and how, for PERFORMANCE.md. */
  String description();

  /** The unit of every value, for example {@code decisions/s}. */
  String unit();

  /** What the {@link Route#GATEHOUSE} side runs, for the log. */
  String gatehouseName();

  /** What the {@link Route#BASELINE} side runs, for the table. */
  String baselineName();

  /** How many recorded runs each side gets. */
  default int runs() {
    return 5;
  }

  /**
   * Measures once on {@code route}'s code path; a warm-up run gives the JIT compiler time
   * and is not recorded.
   *
   * @throws BenchmarkException when the run produced no trustworthy value
   */
  double runOnce(Route route, boolean warmUp) throws BenchmarkException;
}
