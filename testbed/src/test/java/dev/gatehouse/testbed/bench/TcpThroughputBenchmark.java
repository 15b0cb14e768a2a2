package dev.gatehouse.testbed.bench;

import java.io.IOException;
import org.testcontainers.containers.Container.ExecResult;

/**
 * TCP throughput from the site to the origin: one iperf3 stream of 5 s, the first second
 * left out of the result so that slow start does not count ({@code --omit 1}). The figure
 * is what the origin received ({@code end.sum_received.bits_per_second}).
 */
public final class TcpThroughputBenchmark implements Benchmark {
  static final int IPERF3_PORT = 5201;
  static final int SECONDS = 5;
  private static final int WARM_UP_SECONDS = 2;
  static final int OMIT_SECONDS = 1;
  /** Long enough for connect, omit and test together; a hung relay ends the run here. */
  private static final int TIMEOUT_SECONDS = 30;

  @Override
  public String name() {
    return "tcp-throughput";
  }

  @Override
  public String title() {
    return "TCP throughput, site to origin";
  }

  @Override
  public String description() {
    return "One iperf3 TCP stream from the site host to the origin host's iperf3 server (port "
        + IPERF3_PORT + "), " + SECONDS + " s per run after " + OMIT_SECONDS + " s left out for slow "
        + "start; the value is the bit rate the origin received. Through Gatehouse the site "
        + "sends to the origin's address and the appliance's TUN ingress takes the packets; "
        + "through the baseline the site connects to haproxy, which relays to the origin.";
  }

  @Override
  public String unit() {
    return "bit/s";
  }

  @Override
  public double runOnce(RelayTopology topology, Route route, boolean warmUp)
      throws BenchmarkException, IOException, InterruptedException {
    return iperf3(topology, route, warmUp);
  }

  /** One iperf3 run from the site to {@code route}'s target, as this figure takes it. */
  static double iperf3(RelayTopology topology, Route route, boolean warmUp)
      throws BenchmarkException, IOException, InterruptedException {
    int seconds = warmUp ? WARM_UP_SECONDS : SECONDS;
    ExecResult result = topology.site(route).execInContainer("timeout", Integer.toString(TIMEOUT_SECONDS),
        "iperf3", "--client", topology.target(route), "--port", Integer.toString(IPERF3_PORT),
        "--time", Integer.toString(seconds), "--omit", Integer.toString(OMIT_SECONDS),
        "--connect-timeout", "5000", "--json");
    return receivedBitsPerSecond(result.getExitCode(), result.getStdout(), result.getStderr());
  }

  /** The receiver's bit rate from an iperf3 {@code --json} report, or why there is none. */
  static double receivedBitsPerSecond(int exitCode, String report, String stderr) throws BenchmarkException {
    JsonTree tree;
    try {
      tree = JsonTree.parse(report);
    } catch (IOException e) {
      throw new BenchmarkException("iperf3 exited " + exitCode + " without a JSON report ("
          + e.getMessage() + "); stderr: " + stderr.strip());
    }
    var error = tree.string("error");
    if (error.isPresent()) {
      throw new BenchmarkException("iperf3: " + error.get());
    }
    if (exitCode != 0) {
      throw new BenchmarkException("iperf3 exited " + exitCode + "; stderr: " + stderr.strip());
    }
    double bitsPerSecond = tree.number("end", "sum_received", "bits_per_second")
        .orElseThrow(() -> new BenchmarkException("iperf3's report has no end.sum_received.bits_per_second"));
    if (bitsPerSecond <= 0) {
      throw new BenchmarkException("iperf3 reports that the origin received nothing");
    }
    return bitsPerSecond;
  }
}
