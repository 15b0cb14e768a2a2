package dev.gatehouse.testbed.bench;

import java.io.IOException;

/**
 * TCP throughput from the site to the origin over GRE: the same iperf3 run as
 * {@link TcpThroughputBenchmark}, in {@link GreBenchTopology}, where a site's Open vSwitch
 * reaches either the appliance's GRE tunnel or an Open vSwitch edge with haproxy behind it
 * (issue #6's comparison).
 */
public final class GreTcpThroughputBenchmark implements Benchmark {
  @Override
  public String name() {
    return "gre-tcp-throughput";
  }

  @Override
  public String title() {
    return "TCP throughput, site to origin over GRE";
  }

  @Override
  public String description() {
    return "One iperf3 TCP stream from a site host to the origin host's iperf3 server (port "
        + TcpThroughputBenchmark.IPERF3_PORT + "), " + TcpThroughputBenchmark.SECONDS + " s per run after "
        + TcpThroughputBenchmark.OMIT_SECONDS + " s left out for slow start; the value is the bit rate the "
        + "origin received. The site sends through plain IPv4-in-GRE over IPv4 with a key (Debian's Open "
        + "vSwitch, user-space datapath, MTU " + GreBenchTopology.MTU_BYTES + "); its GRE endpoint carries "
        + "one tunnel, so each route has a site host of its own, both alike. Through Gatehouse the tunnel "
        + "ends in the appliance's `type: gre` tunnel and the site sends to the origin's address: Gatehouse "
        + "decapsulates, terminates the TCP flow and opens its own to the origin. Through the baseline the "
        + "tunnel ends in a second Open vSwitch on an edge host and the site connects to haproxy on that "
        + "edge's tunnel address, which relays to the origin.";
  }

  @Override
  public String unit() {
    return "bit/s";
  }

  @Override
  public Topology topology() {
    return Topology.GRE;
  }

  @Override
  public double runOnce(RelayTopology topology, Route route, boolean warmUp)
      throws BenchmarkException, IOException, InterruptedException {
    return TcpThroughputBenchmark.iperf3(topology, route, warmUp);
  }
}
