package dev.gatehouse.testbed.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs every benchmark in one topology and writes the report. {@code scripts/bench} is how
 * to call it; its arguments are the directory for the report (default {@code ../docs},
 * from the testbed module) and, as the system property {@code gatehouse.bench.commit},
 * the commit measured. Exits 1 when any figure failed, after writing the report anyway.
 */
public final class BenchmarkRunner {
  /** Router mode with a TUN tunnel on the device the topology routes the site into. */
  static final String APPLIANCE_CONFIG = """
      admin: { listen: 0.0.0.0:9090 }
      explicit-proxy: { enabled: false }
      log: { activity: { sink: "off" } }
      tunnels:
        - name: site
          type: tun
          device: gh-site
          address: 198.18.30.1/30
      """;
  private static final String GATEHOUSE = "Gatehouse";
  private static final Logger LOG = LoggerFactory.getLogger(BenchmarkRunner.class);

  private BenchmarkRunner() {}

  /** Entry point; see the type's description for arguments. */
  public static void main(String[] args) throws IOException, InterruptedException {
    Path directory = Path.of(args.length > 0 ? args[0] : "../docs");
    String commit = System.getProperty("gatehouse.bench.commit", "unknown");
    List<Benchmark> benchmarks = List.of(new TcpThroughputBenchmark(), new ConnectionRateBenchmark());
    Instant started = Instant.now();

    List<Figure> figures = new ArrayList<>();
    try (BenchTopology topology = BenchTopology.start(APPLIANCE_CONFIG)) {
      topology.applianceFailure().ifPresent(reason -> LOG.warn("gatehouse cannot be measured: {}", reason));
      for (Benchmark benchmark : benchmarks) {
        figures.add(measure(benchmark, topology));
      }
    }

    PerformanceReport report = new PerformanceReport(figures, started, MachineFacts.ofThisMachine(), commit);
    report.write(directory);
    LOG.info("report written dir={} figures={} failed={} tookSeconds={}", directory.toAbsolutePath().normalize(),
        figures.size(), figures.stream().filter(Figure::failed).count(),
        Duration.between(started, Instant.now()).toSeconds());
    System.exit(report.anyFailed() ? 1 : 0);
  }

  /** One warm-up run per route, then the recorded runs, alternating the routes. */
  static Figure measure(Benchmark benchmark, BenchTopology topology) throws IOException, InterruptedException {
    Side gatehouse = new Side(benchmark, topology, Route.GATEHOUSE, topology.applianceFailure());
    Side baseline = new Side(benchmark, topology, Route.BASELINE, Optional.empty());
    gatehouse.run(true);
    baseline.run(true);
    for (int run = 0; run < benchmark.runs(); run++) {
      gatehouse.run(false);
      baseline.run(false);
    }
    return new Figure(benchmark.name(), benchmark.title(), benchmark.description(), benchmark.unit(),
        gatehouse.result(GATEHOUSE), baseline.result(topology.baselineName()));
  }

  /** The runs of one route for one benchmark; the first failure ends them. */
  private static final class Side {
    private final Benchmark benchmark;
    private final BenchTopology topology;
    private final Route route;
    private final List<Double> samples = new ArrayList<>();
    private Optional<String> failure;

    Side(Benchmark benchmark, BenchTopology topology, Route route, Optional<String> failure) {
      this.benchmark = benchmark;
      this.topology = topology;
      this.route = route;
      this.failure = failure;
    }

    void run(boolean warmUp) throws IOException, InterruptedException {
      if (failure.isPresent()) {
        return;
      }
      String label = warmUp ? "warm-up" : "run " + (samples.size() + 1);
      try {
        double value = benchmark.runOnce(topology, route, warmUp);
        LOG.info("benchmark={} route={} {} value=\"{}\"", benchmark.name(), route, label,
            PerformanceReport.format(value, benchmark.unit()));
        if (!warmUp) {
          samples.add(value);
        }
      } catch (BenchmarkException e) {
        LOG.warn("benchmark={} route={} {} failed: {}", benchmark.name(), route, label, e.getMessage());
        failure = Optional.of(label + ": " + e.getMessage());
      }
    }

    Measurement result(String name) {
      return new Measurement(name, samples, failure);
    }
  }
}
