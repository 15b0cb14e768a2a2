package dev.gatehouse.testbed.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TcpThroughputBenchmarkTest {
  @Test
  void readsWhatTheReceiverGotFromIperf3sReport() throws Exception {
    // A real iperf3 3.12 report (1 s through haproxy): sender 5.80 Gbit/s, receiver 5.73.
    double bitsPerSecond = TcpThroughputBenchmark.receivedBitsPerSecond(0, fixture("iperf3-report.json"), "");

    assertEquals(5_730_590_742.436297, bitsPerSecond, 0.001);
  }

  @Test
  void reportsIperf3sOwnErrorInsteadOfAFigure() throws Exception {
    String report = fixture("iperf3-error.json");

    BenchmarkException failure = assertThrows(BenchmarkException.class,
        () -> TcpThroughputBenchmark.receivedBitsPerSecond(1, report, ""));

    assertEquals("iperf3: unable to connect to server: No route to host", failure.getMessage());
  }

  @Test
  void reportsARunWithoutJsonWithItsExitCodeAndStderr() {
    BenchmarkException failure = assertThrows(BenchmarkException.class,
        () -> TcpThroughputBenchmark.receivedBitsPerSecond(124, "", "Terminated\n"));

    assertTrue(failure.getMessage().startsWith("iperf3 exited 124 without a JSON report"), failure.getMessage());
    assertTrue(failure.getMessage().endsWith("stderr: Terminated"), failure.getMessage());
  }

  @Test
  void refusesAReportWhereNothingArrived() {
    String report = "{\"end\": {\"sum_received\": {\"bits_per_second\": 0}}}";

    BenchmarkException failure = assertThrows(BenchmarkException.class,
        () -> TcpThroughputBenchmark.receivedBitsPerSecond(0, report, ""));

    assertEquals("iperf3 reports that the origin received nothing", failure.getMessage());
  }

  static String fixture(String name) throws IOException {
    return Files.readString(Path.of("src", "test", "resources", "bench", name));
  }
}
