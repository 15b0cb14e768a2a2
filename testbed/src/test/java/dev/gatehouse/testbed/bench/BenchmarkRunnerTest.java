package dev.gatehouse.testbed.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.gatehouse.testbed.bench.BenchmarkRunner.Arguments;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class BenchmarkRunnerTest {
  private static final List<String> NAMES = List.of("tcp-throughput", "tcp-connections-per-second",
      "policy-decisions-10-rules", "policy-decisions-1000-rules");

  @Test
  void selectsEveryFigureIntoDocsWithoutArguments() {
    Arguments arguments = Arguments.parse();

    assertEquals(NAMES, arguments.select(NAMES, Function.identity()));
    assertEquals(Path.of("../docs"), arguments.directory());
  }

  @Test
  void selectsTheFiguresWhoseNamesStartWithAPrefix() {
    Arguments arguments = Arguments.parse("--only", "policy", "/tmp/report");

    assertEquals(List.of("policy-decisions-10-rules", "policy-decisions-1000-rules"),
        arguments.select(NAMES, Function.identity()));
    assertEquals(Path.of("/tmp/report"), arguments.directory());
  }

  @Test
  void takesPrefixesSeparatedByCommasOrRepeated() {
    Arguments arguments = Arguments.parse("--only", "tcp-throughput,policy-decisions-10-", "--only", "tcp-conn");

    assertEquals(List.of("tcp-throughput", "tcp-connections-per-second", "policy-decisions-10-rules"),
        arguments.select(NAMES, Function.identity()));
  }

  @Test
  void refusesOnlyWithoutAPrefixAndASecondDirectory() {
    IllegalArgumentException noPrefix = assertThrows(IllegalArgumentException.class,
        () -> Arguments.parse("--only"));
    IllegalArgumentException twoDirectories = assertThrows(IllegalArgumentException.class,
        () -> Arguments.parse("docs", "elsewhere"));

    assertEquals("--only needs a figure-name prefix after it", noPrefix.getMessage());
    assertEquals("unexpected argument 'elsewhere'", twoDirectories.getMessage());
  }

  @Test
  void groupsTheContainerFiguresByTheTopologyEachNeedsInTopologyOrder() {
    Benchmark gre = new GreTcpThroughputBenchmark();
    Benchmark wireguard = new WireGuardTcpThroughputBenchmark();
    Benchmark throughput = new TcpThroughputBenchmark();
    Benchmark connections = new ConnectionRateBenchmark();

    Map<Topology, List<Benchmark>> groups = BenchmarkRunner.byTopology(List.of(gre, wireguard, throughput,
        connections));

    assertEquals(List.of(Topology.TUN_ROUTER, Topology.WIREGUARD, Topology.GRE), List.copyOf(groups.keySet()));
    assertEquals(List.of(throughput, connections), groups.get(Topology.TUN_ROUTER));
    assertEquals(List.of(wireguard), groups.get(Topology.WIREGUARD));
    assertEquals(List.of(gre), groups.get(Topology.GRE));
  }

  @Test
  void startsNoTopologyThatNoSelectedFigureNeeds() {
    Arguments arguments = Arguments.parse("--only", "wireguard");
    List<Benchmark> selected = arguments.select(List.of(new TcpThroughputBenchmark(),
        new ConnectionRateBenchmark(), new WireGuardTcpThroughputBenchmark()), Benchmark::name);

    Map<Topology, List<Benchmark>> groups = BenchmarkRunner.byTopology(selected);

    assertEquals(List.of(Topology.WIREGUARD), List.copyOf(groups.keySet()));
    assertEquals(List.of("wireguard-tcp-throughput"), groups.get(Topology.WIREGUARD).stream()
        .map(Benchmark::name).toList());
    assertEquals(Map.of(), BenchmarkRunner.byTopology(List.of()));
  }

  @Test
  void startsOnlyTheGreTopologyForTheGreFigure() {
    Arguments arguments = Arguments.parse("--only", "gre");
    List<Benchmark> selected = arguments.select(List.of(new TcpThroughputBenchmark(),
        new ConnectionRateBenchmark(), new WireGuardTcpThroughputBenchmark(), new GreTcpThroughputBenchmark()),
        Benchmark::name);

    Map<Topology, List<Benchmark>> groups = BenchmarkRunner.byTopology(selected);

    assertEquals(List.of(Topology.GRE), List.copyOf(groups.keySet()));
    assertEquals(List.of("gre-tcp-throughput"), groups.get(Topology.GRE).stream().map(Benchmark::name).toList());
  }

  @Test
  void recordsRunsAfterOneWarmUpPerSideAlternatingTheSides() throws Exception {
    ScriptedBenchmark benchmark = new ScriptedBenchmark(Optional.empty());

    Figure figure = BenchmarkRunner.measure(benchmark);

    assertEquals(List.of("GATEHOUSE warm-up", "BASELINE warm-up", "GATEHOUSE run", "BASELINE run",
        "GATEHOUSE run", "BASELINE run", "GATEHOUSE run", "BASELINE run"), benchmark.calls);
    assertEquals(List.of(3.0, 5.0, 7.0), figure.gatehouse().samples());
    assertEquals(List.of(4.0, 6.0, 8.0), figure.baseline().samples());
    assertEquals("linear", figure.baseline().name());
    assertEquals(5.0 / 6.0, figure.ratio().orElseThrow(), 1e-12);
  }

  @Test
  void reportsASideThatFailedWithItsReasonAndStopsItsRuns() throws Exception {
    ScriptedBenchmark benchmark = new ScriptedBenchmark(Optional.of("verdicts differ"));

    Figure figure = BenchmarkRunner.measure(benchmark);

    assertEquals(Optional.of("warm-up: verdicts differ"), figure.gatehouse().failure());
    assertEquals(Optional.of("warm-up: verdicts differ"), figure.baseline().failure());
    assertEquals(2, benchmark.calls.size(), "no run after a failure");
  }

  /** Gives 1, 2, 3... in call order, or fails every call with {@code failure}. */
  private static final class ScriptedBenchmark implements InProcessBenchmark {
    private final Optional<String> failure;
    private final List<String> calls = new ArrayList<>();

    ScriptedBenchmark(Optional<String> failure) {
      this.failure = failure;
    }

    @Override
    public String name() {
      return "scripted";
    }

    @Override
    public String title() {
      return "Scripted";
    }

    @Override
    public String description() {
      return "values in call order";
    }

    @Override
    public String unit() {
      return "decisions/s";
    }

    @Override
    public String gatehouseName() {
      return "indexed";
    }

    @Override
    public String baselineName() {
      return "linear";
    }

    @Override
    public int runs() {
      return 3;
    }

    @Override
    public double runOnce(Route route, boolean warmUp) throws BenchmarkException {
      calls.add(route + (warmUp ? " warm-up" : " run"));
      if (failure.isPresent()) {
        throw new BenchmarkException(failure.get());
      }
      return calls.size();
    }
  }
}
