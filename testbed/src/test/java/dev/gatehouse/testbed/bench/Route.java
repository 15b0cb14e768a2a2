package dev.gatehouse.testbed.bench;

/** The two ways a benchmark's traffic goes from the site host to the origin host. */
public enum Route {
  /** Routed by the site to the appliance, whose TUN ingress hands it to Gatehouse. */
  GATEHOUSE,
  /** Addressed to the haproxy relay, which opens its own connection to the origin. */
  BASELINE
}
