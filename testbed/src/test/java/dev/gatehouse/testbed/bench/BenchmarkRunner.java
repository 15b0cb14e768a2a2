package dev.gatehouse.testbed.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the benchmarks and writes the report. {@code scripts/bench} is how to call it; its
 * arguments are {@code [--only PREFIX[,PREFIX...]]... [DIRECTORY]}: the figures whose names
 * start with a prefix (all when there is no {@code --only}) and the directory for the report
 * (default {@code ../docs}, from the testbed module); the system property
 * {@code gatehouse.bench.commit} names the commit measured. The containers start only when a
 * selected benchmark needs them. After a selection, the report keeps the other figures of
 * the report already in the directory, each with its own date and commit. Exits 1 when a
 * figure measured now failed, after writing the report anyway, and 2 on bad arguments.
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
  private static final String ONLY = "--only";
  private static final Logger LOG = LoggerFactory.getLogger(BenchmarkRunner.class);

  private BenchmarkRunner() {}

  /** Entry point; see the type's description for arguments. */
  public static void main(String[] args) throws IOException, InterruptedException {
    Arguments arguments;
    try {
      arguments = Arguments.parse(args);
    } catch (IllegalArgumentException e) {
      LOG.error("{}; usage: BenchmarkRunner [--only PREFIX[,PREFIX...]]... [DIRECTORY]", e.getMessage());
      System.exit(2);
      return;
    }
    String commit = System.getProperty("gatehouse.bench.commit", "unknown");
    List<Benchmark> inContainers = arguments.select(
        List.of(new TcpThroughputBenchmark(), new ConnectionRateBenchmark(), new WireGuardTcpThroughputBenchmark(),
            new GreTcpThroughputBenchmark()),
        Benchmark::name);
    List<InProcessBenchmark> inProcess = arguments.select(PolicyDecisionBenchmark.all(), InProcessBenchmark::name);
    if (inContainers.isEmpty() && inProcess.isEmpty()) {
      LOG.error("no figure's name starts with any of {}", arguments.prefixes());
      System.exit(2);
      return;
    }
    // read before measuring, so that a report we could not keep fails the run early
    PerformanceReport earlier = arguments.prefixes().isEmpty()
        ? new PerformanceReport(List.of()) : PerformanceReport.read(arguments.directory());
    Instant started = Instant.now();

    List<Figure> figures = new ArrayList<>();
    for (InProcessBenchmark benchmark : inProcess) {
      figures.add(measure(benchmark));
    }
    for (Map.Entry<Topology, List<Benchmark>> group : byTopology(inContainers).entrySet()) {
      LOG.info("starting topology={} for figures={}", group.getKey(),
          group.getValue().stream().map(Benchmark::name).toList());
      try (RelayTopology topology = group.getKey().start()) {
        topology.applianceFailure().ifPresent(reason -> LOG.warn("gatehouse cannot be measured in {}: {}",
            group.getKey(), reason));
        for (Benchmark benchmark : group.getValue()) {
          figures.add(measure(benchmark, topology));
        }
      }
    }

    PerformanceReport latest = new PerformanceReport(figures, started, MachineFacts.ofThisMachine(), commit);
    PerformanceReport.merged(earlier, latest).write(arguments.directory());
    LOG.info("report written dir={} figures={} failed={} tookSeconds={}",
        arguments.directory().toAbsolutePath().normalize(), figures.size(),
        figures.stream().filter(Figure::failed).count(), Duration.between(started, Instant.now()).toSeconds());
    System.exit(latest.anyFailed() ? 1 : 0);
  }

  /**
   * The benchmarks grouped by the topology each needs, in {@link Topology}'s order, each
   * group in the benchmarks' order; a topology no benchmark needs is absent.
   */
  static Map<Topology, List<Benchmark>> byTopology(List<Benchmark> benchmarks) {
    Map<Topology, List<Benchmark>> groups = new EnumMap<>(Topology.class);
    for (Benchmark benchmark : benchmarks) {
      groups.computeIfAbsent(benchmark.topology(), topology -> new ArrayList<>()).add(benchmark);
    }
    return groups;
  }

  /** One warm-up run per route, then the recorded runs, alternating the routes. */
  static Figure measure(Benchmark benchmark, RelayTopology topology) throws IOException, InterruptedException {
    Side gatehouse = new Side(benchmark.name(), benchmark.unit(), Route.GATEHOUSE, topology.applianceFailure(),
        warmUp -> benchmark.runOnce(topology, Route.GATEHOUSE, warmUp));
    Side baseline = new Side(benchmark.name(), benchmark.unit(), Route.BASELINE, Optional.empty(),
        warmUp -> benchmark.runOnce(topology, Route.BASELINE, warmUp));
    alternate(gatehouse, baseline, benchmark.runs());
    return new Figure(benchmark.name(), benchmark.title(), benchmark.description(), benchmark.unit(),
        gatehouse.result(GATEHOUSE), baseline.result(topology.baselineName()));
  }

  /** The same for two code paths in this JVM. */
  static Figure measure(InProcessBenchmark benchmark) throws IOException, InterruptedException {
    Side gatehouse = new Side(benchmark.name(), benchmark.unit(), Route.GATEHOUSE, Optional.empty(),
        warmUp -> benchmark.runOnce(Route.GATEHOUSE, warmUp));
    Side baseline = new Side(benchmark.name(), benchmark.unit(), Route.BASELINE, Optional.empty(),
        warmUp -> benchmark.runOnce(Route.BASELINE, warmUp));
    alternate(gatehouse, baseline, benchmark.runs());
    return new Figure(benchmark.name(), benchmark.title(), benchmark.description(), benchmark.unit(),
        gatehouse.result(benchmark.gatehouseName()), baseline.result(benchmark.baselineName()));
  }

  private static void alternate(Side gatehouse, Side baseline, int runs) throws IOException, InterruptedException {
    gatehouse.run(true);
    baseline.run(true);
    for (int run = 0; run < runs; run++) {
      gatehouse.run(false);
      baseline.run(false);
    }
  }

  /**
   * The command line.
   *
   * @param prefixes the figure-name prefixes selected; empty for every figure
   * @param directory where the report goes
   */
  record Arguments(List<String> prefixes, Path directory) {
    static Arguments parse(String... args) {
      List<String> prefixes = new ArrayList<>();
      Path directory = null;
      for (int i = 0; i < args.length; i++) {
        if (args[i].equals(ONLY)) {
          if (i + 1 == args.length || args[i + 1].isBlank()) {
            throw new IllegalArgumentException(ONLY + " needs a figure-name prefix after it");
          }
          prefixes.addAll(List.of(args[++i].split(",")));
        } else if (directory == null && !args[i].startsWith("-")) {
          directory = Path.of(args[i]);
        } else {
          throw new IllegalArgumentException("unexpected argument '" + args[i] + "'");
        }
      }
      return new Arguments(List.copyOf(prefixes), directory == null ? Path.of("../docs") : directory);
    }

    /** The benchmarks whose name starts with a selected prefix, in order. */
    <T> List<T> select(List<T> benchmarks, Function<T, String> name) {
      return benchmarks.stream().filter(benchmark -> prefixes.isEmpty()
          || prefixes.stream().anyMatch(prefix -> name.apply(benchmark).startsWith(prefix))).toList();
    }
  }

  /** One measurement of one side; a warm-up is not recorded. */
  @FunctionalInterface
  private interface Sampler {
    double sample(boolean warmUp) throws BenchmarkException, IOException, InterruptedException;
  }

  /** The runs of one route for one benchmark; the first failure ends them. */
  private static final class Side {
    private final String benchmarkName;
    private final String unit;
    private final Route route;
    private final Sampler sampler;
    private final List<Double> samples = new ArrayList<>();
    private Optional<String> failure;

    Side(String benchmarkName, String unit, Route route, Optional<String> failure, Sampler sampler) {
      this.benchmarkName = benchmarkName;
      this.unit = unit;
      this.route = route;
      this.failure = failure;
      this.sampler = sampler;
    }

    void run(boolean warmUp) throws IOException, InterruptedException {
      if (failure.isPresent()) {
        return;
      }
      String label = warmUp ? "warm-up" : "run " + (samples.size() + 1);
      try {
        double value = sampler.sample(warmUp);
        LOG.info("benchmark={} route={} {} value=\"{}\"", benchmarkName, route, label,
            PerformanceReport.format(value, unit));
        if (!warmUp) {
          samples.add(value);
        }
      } catch (BenchmarkException e) {
        LOG.warn("benchmark={} route={} {} failed: {}", benchmarkName, route, label, e.getMessage());
        failure = Optional.of(label + ": " + e.getMessage());
      }
    }

    Measurement result(String name) {
      return new Measurement(name, samples, failure);
    }
  }
}
