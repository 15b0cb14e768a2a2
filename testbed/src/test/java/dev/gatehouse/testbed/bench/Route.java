package dev.gatehouse.testbed.bench;

/**
 * The two sides of every figure. For a {@link Benchmark}, the two ways its traffic goes from
 * the site host to the origin host; for an {@link InProcessBenchmark}, the two code paths.
 */
public enum Route {
  /** Routed by the site to the appliance, whose TUN ingress hands it to Gatehouse; or Gatehouse's code path. */
  GATEHOUSE,
  /** Addressed to the haproxy relay, which opens its own connection to the origin; or the baseline code path. */
  BASELINE
}
