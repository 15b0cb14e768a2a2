package dev.gatehouse.testbed.bench;

import static dev.gatehouse.testbed.bench.TcpThroughputBenchmarkTest.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ConnectionRateBenchmarkTest {
  @Test
  void readsRequestsPerSecondWhenEveryRequestCompleted() throws Exception {
    // A real ab 2.3 report: 100 requests, 4 at a time, through haproxy.
    double rate = ConnectionRateBenchmark.requestsPerSecond(fixture("ab-report.txt"), 100);

    assertEquals(4449.98, rate, 0.001);
  }

  @Test
  void failsARunThatCompletedFewerRequestsThanAsked() throws Exception {
    String report = fixture("ab-report.txt");

    BenchmarkException failure = assertThrows(BenchmarkException.class,
        () -> ConnectionRateBenchmark.requestsPerSecond(report, 200));

    assertEquals("ab completed 100 of 200 requests", failure.getMessage());
  }

  @Test
  void failsARunWithFailedRequests() throws Exception {
    String report = fixture("ab-report.txt").replace("Failed requests:        0",
        "Failed requests:        3\n   (Connect: 0, Receive: 0, Length: 3, Exceptions: 0)");

    BenchmarkException failure = assertThrows(BenchmarkException.class,
        () -> ConnectionRateBenchmark.requestsPerSecond(report, 100));

    assertEquals("ab reports 3 failed requests", failure.getMessage());
  }

  @Test
  void failsARunWithNon2xxResponses() throws Exception {
    String report = fixture("ab-report.txt").replace("Total transferred:",
        "Non-2xx responses:      100\nTotal transferred:");

    BenchmarkException failure = assertThrows(BenchmarkException.class,
        () -> ConnectionRateBenchmark.requestsPerSecond(report, 100));

    assertEquals("ab reports 100 non-2xx responses", failure.getMessage());
  }

  @Test
  void failsWhenTheReportIsNotAbs() {
    BenchmarkException failure = assertThrows(BenchmarkException.class,
        () -> ConnectionRateBenchmark.requestsPerSecond("apr_socket_recv: Connection refused (111)\n", 100));

    assertEquals("ab's report has no 'Complete requests' line", failure.getMessage());
  }
}
