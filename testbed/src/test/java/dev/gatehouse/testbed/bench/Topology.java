package dev.gatehouse.testbed.bench;

import java.io.IOException;

/**
 * The topologies of containers the benchmarks run in; each {@link Benchmark} names the one
 * it needs, and the runner starts a topology only when a selected benchmark needs it, one
 * at a time, so that no idle container shares the CPUs with a measurement.
 */
public enum Topology {
  /** {@link BenchTopology}: the site routes to the appliance's TUN ingress, or connects to haproxy. */
  TUN_ROUTER {
    @Override
    RelayTopology start() throws IOException, InterruptedException {
      return BenchTopology.start(BenchmarkRunner.APPLIANCE_CONFIG);
    }
  },
  /** {@link WireGuardBenchTopology}: the site's wireguard-go to the appliance, or to wireguard-go and haproxy. */
  WIREGUARD {
    @Override
    RelayTopology start() throws IOException, InterruptedException {
      return WireGuardBenchTopology.start();
    }
  },
  /** {@link GreBenchTopology}: a site's Open vSwitch to the appliance, or to Open vSwitch and haproxy. */
  GRE {
    @Override
    RelayTopology start() throws IOException, InterruptedException {
      return GreBenchTopology.start();
    }
  };

  /** Starts every host; throws only when a baseline host fails. */
  abstract RelayTopology start() throws IOException, InterruptedException;
}
