package dev.gatehouse.testbed.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PerformanceReportTest {
  private static final MachineFacts MACHINE = new MachineFacts(2, "Test CPU", 8L << 30, "6.1.0", "25");
  private static final Instant DATE = Instant.parse("2026-01-02T03:04:05.678Z");

  @Test
  void writesOneObjectPerFigureWithMedianRatioAndSpread() throws Exception {
    Figure throughput = new Figure("tcp-throughput", "TCP throughput", "what it means", "bit/s",
        new Measurement("Gatehouse", List.of(3e9, 1e9, 2e9), Optional.empty()),
        new Measurement("haproxy 2.6.12, TCP mode", List.of(4e9, 5e9, 4.5e9), Optional.empty()));
    PerformanceReport report = new PerformanceReport(List.of(throughput), DATE, MACHINE, "abc1234");

    List<JsonTree> figures = JsonTree.parse(report.json()).array();

    assertEquals(1, figures.size());
    JsonTree figure = figures.getFirst();
    assertEquals(Optional.of("tcp-throughput"), figure.string("name"));
    assertEquals(Optional.of(2e9), figure.number("value"));
    assertEquals(Optional.of("bit/s"), figure.string("unit"));
    assertEquals(Optional.of(3.0), figure.number("runs"));
    assertEquals(Optional.of(1e9), figure.number("spread", "min"));
    assertEquals(Optional.of(3e9), figure.number("spread", "max"));
    assertEquals(Optional.of("min..max"), figure.string("spread", "method"));
    assertEquals(Optional.of("haproxy 2.6.12, TCP mode"), figure.string("baseline", "name"));
    assertEquals(Optional.of(4.5e9), figure.number("baseline", "value"));
    assertEquals(Optional.of(2e9 / 4.5e9), figure.number("ratio"));
    assertEquals(Optional.of("2026-01-02T03:04:05Z"), figure.string("date"));
    assertEquals(Optional.of(2.0), figure.number("machine", "nproc"));
    assertEquals(Optional.of("abc1234"), figure.string("commit"));
    assertFalse(report.anyFailed());
    assertTrue(report.markdown().contains("| 3 / 3 | 1.00..3.00 Gbit/s / 4.00..5.00 Gbit/s |"), report.markdown());
  }

  @Test
  void writesAFailedSideWithoutAValueAndWithItsReason() throws Exception {
    Figure rate = new Figure("tcp-connections-per-second", "New TCP connections per second", "meaning",
        "connections/s", Measurement.failed("Gatehouse", "the appliance did not become healthy"),
        new Measurement("haproxy 2.6.12, TCP mode", List.of(8000.0, 9000.0), Optional.empty()));
    PerformanceReport report = new PerformanceReport(List.of(rate), DATE, MACHINE, "abc1234");

    JsonTree figure = JsonTree.parse(report.json()).array().getFirst();

    assertTrue(figure.at("value").isEmpty(), "a failed figure has a null value");
    assertTrue(figure.at("ratio").isEmpty(), "no ratio without both values");
    assertEquals(Optional.of("the appliance did not become healthy"), figure.string("failure"));
    assertEquals(Optional.of(8500.0), figure.number("baseline", "value"));
    assertTrue(report.anyFailed());
    String markdown = report.markdown();
    assertTrue(markdown.contains("| New TCP connections per second | **failed** | haproxy 2.6.12, TCP mode: "
        + "8500 connections/s | — |"), markdown);
    assertTrue(markdown.contains("the appliance did not become healthy"), markdown);
  }

  @Test
  void aFailureDiscardsTheRunsBeforeIt() {
    Measurement measurement = new Measurement("Gatehouse", List.of(1.0, 2.0), Optional.of("run 3: timeout"));

    assertTrue(measurement.value().isEmpty());
    assertTrue(measurement.min().isEmpty());
  }

  @Test
  void formatsBitRatesAndRatesForPeople() {
    assertEquals("5.73 Gbit/s", PerformanceReport.format(5_730_590_742.4, "bit/s"));
    assertEquals("940 Mbit/s", PerformanceReport.format(9.4e8, "bit/s"));
    assertEquals("8986 connections/s", PerformanceReport.format(8986.4, "connections/s"));
    assertEquals("0.42", PerformanceReport.format(0.4219, ""));
  }

  @Test
  void readsBackEveryFigureWithItsRun() throws Exception {
    PerformanceReport written = new PerformanceReport(List.of(throughput(), decisions()), DATE, MACHINE, "abc1234");

    PerformanceReport read = PerformanceReport.parse(written.json());

    assertEquals(written, read);
  }

  @Test
  void keepsEarlierFiguresWithTheirOwnRunAndReplacesTheOnesMeasuredAgain() throws Exception {
    Figure oldDecisions = new Figure("policy-decisions-1000-rules", "Policy decisions, 1,000 rules", "meaning",
        "decisions/s", new Measurement("Gatehouse", List.of(1e6), Optional.empty()),
        new Measurement("linear", List.of(1e5), Optional.empty()));
    PerformanceReport earlier = new PerformanceReport(List.of(throughput(), oldDecisions), DATE, MACHINE, "old1234");
    Instant later = DATE.plusSeconds(3600);
    Figure newFigure = new Figure("policy-decisions-10000-rules", "Policy decisions, 10,000 rules", "meaning",
        "decisions/s", new Measurement("Gatehouse", List.of(2e6), Optional.empty()),
        new Measurement("linear", List.of(2e4), Optional.empty()));
    PerformanceReport latest = new PerformanceReport(List.of(decisions(), newFigure), later, MACHINE, "new5678");

    PerformanceReport merged = PerformanceReport.merged(earlier, latest);

    assertEquals(List.of(throughput(), decisions(), newFigure), merged.figures());
    List<JsonTree> figures = JsonTree.parse(merged.json()).array();
    assertEquals(Optional.of("old1234"), figures.get(0).string("commit"));
    assertEquals(Optional.of("new5678"), figures.get(1).string("commit"));
    assertEquals(Optional.of("2026-01-02T04:04:05Z"), figures.get(2).string("date"));
    String markdown = merged.markdown();
    assertTrue(markdown.contains("The figures come from 2 runs"), markdown);
    assertTrue(markdown.contains("at commit `old1234` on 2 CPUs (Test CPU), 8 GiB, Linux 6.1.0, JDK 25: "
        + "`tcp-throughput`.\n"), markdown);
    assertTrue(markdown.contains("at commit `new5678` on 2 CPUs (Test CPU), 8 GiB, Linux 6.1.0, JDK 25: "
        + "`policy-decisions-1000-rules`, `policy-decisions-10000-rules`.\n"), markdown);
  }

  @Test
  void givesDecisionRatesWithTheTimeOfOneDecision() throws Exception {
    PerformanceReport report = new PerformanceReport(List.of(decisions()), DATE, MACHINE, "abc1234");

    JsonTree figure = JsonTree.parse(report.json()).array().getFirst();

    assertEquals(Optional.of(1e9 / 12_500_000), figure.number("nanosPerDecision"));
    assertEquals(Optional.of(1e9 / 25_000), figure.number("baseline", "nanosPerDecision"));
    assertEquals(Optional.of(500.0), figure.number("ratio"));
    assertTrue(report.markdown().contains("| Policy decisions, 1,000 rules | 12.50 M decisions/s (80 ns each) | "
        + "PolicySet.decideLinearly: 25000 decisions/s (40.0 µs each) | 500.00 |"), report.markdown());
    assertEquals("1.25 ms", PerformanceReport.duration(1_250_000));
  }

  @Test
  void refusesToKeepAReportItCannotRead(@TempDir Path directory) throws Exception {
    Files.writeString(directory.resolve("performance.json"), "[ { \"name\": \"tcp-throughput\" } ]");

    IOException failure = assertThrows(IOException.class, () -> PerformanceReport.read(directory));

    assertTrue(failure.getMessage().endsWith("is not a report this runner wrote: a figure has no string at title"),
        failure.getMessage());
  }

  private static Figure throughput() {
    return new Figure("tcp-throughput", "TCP throughput", "what it means", "bit/s",
        new Measurement("Gatehouse", List.of(3e9, 1e9, 2e9), Optional.empty()),
        new Measurement("haproxy 2.6.12, TCP mode", List.of(4e9, 5e9, 4.5e9), Optional.empty()));
  }

  private static Figure decisions() {
    return new Figure("policy-decisions-1000-rules", "Policy decisions, 1,000 rules", "what it means",
        "decisions/s", new Measurement("Gatehouse", List.of(12_500_000.0), Optional.empty()),
        new Measurement("PolicySet.decideLinearly", List.of(20_000.0, 25_000.0, 30_000.0),
            Optional.empty()));
  }
}
