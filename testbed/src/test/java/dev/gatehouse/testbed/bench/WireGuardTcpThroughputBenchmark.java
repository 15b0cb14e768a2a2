package dev.gatehouse.testbed.bench;

import java.io.IOException;

/**
 * TCP throughput from the site to the origin over WireGuard: the same iperf3 run as
 * {@link TcpThroughputBenchmark}, in {@link WireGuardBenchTopology}, where the site's
 * wireguard-go reaches either the appliance's WireGuard tunnel or a wireguard-go edge with
 * haproxy behind it (issue #5's comparison).
 */
public final class WireGuardTcpThroughputBenchmark implements Benchmark {
  @Override
  public String name() {
    return "wireguard-tcp-throughput";
  }

  @Override
  public String title() {
    return "TCP throughput, site to origin over WireGuard";
  }

  @Override
  public String description() {
    return "One iperf3 TCP stream from the site host to the origin host's iperf3 server (port "
        + TcpThroughputBenchmark.IPERF3_PORT + "), " + TcpThroughputBenchmark.SECONDS + " s per run after "
        + TcpThroughputBenchmark.OMIT_SECONDS + " s left out for slow start; the value is the bit rate the "
        + "origin received. The site sends through a WireGuard tunnel (Debian's wireguard-go, MTU "
        + WireGuardBenchTopology.MTU_BYTES + ", one interface per edge). Through Gatehouse the tunnel ends in "
        + "the appliance's `type: wireguard` tunnel and the site sends to the origin's address: Gatehouse "
        + "decrypts, terminates the TCP flow and opens its own to the origin. Through the baseline the tunnel "
        + "ends in a second wireguard-go on an edge host and the site connects to haproxy on that edge's "
        + "tunnel address, which relays to the origin.";
  }

  @Override
  public String unit() {
    return "bit/s";
  }

  @Override
  public Topology topology() {
    return Topology.WIREGUARD;
  }

  @Override
  public double runOnce(RelayTopology topology, Route route, boolean warmUp)
      throws BenchmarkException, IOException, InterruptedException {
    return TcpThroughputBenchmark.iperf3(topology, route, warmUp);
  }
}
