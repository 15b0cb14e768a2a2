package dev.gatehouse.testbed.bench;

import java.io.IOException;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.testcontainers.containers.Container.ExecResult;

/**
 * New TCP connections per second from the site to the origin: ApacheBench fetches the
 * origin's small index page without keep-alive, so every request opens, uses and closes a
 * connection of its own, {@value #CONCURRENCY} at a time.
 */
public final class ConnectionRateBenchmark implements Benchmark {
  static final int HTTP_PORT = 80;
  static final int REQUESTS = 20_000;
  static final int WARM_UP_REQUESTS = 2_000;
  static final int CONCURRENCY = 32;
  private static final int SOCKET_TIMEOUT_SECONDS = 10;
  private static final int TIMEOUT_SECONDS = 180;
  private static final Pattern REQUESTS_PER_SECOND = Pattern.compile("(?m)^Requests per second:\\s+([0-9.]+)");
  private static final Pattern COMPLETE = Pattern.compile("(?m)^Complete requests:\\s+(\\d+)");
  private static final Pattern FAILED = Pattern.compile("(?m)^Failed requests:\\s+(\\d+)");
  private static final Pattern NON_2XX = Pattern.compile("(?m)^Non-2xx responses:\\s+(\\d+)");

  @Override
  public String name() {
    return "tcp-connections-per-second";
  }

  @Override
  public String title() {
    return "New TCP connections per second";
  }

  @Override
  public String description() {
    return "ApacheBench (ab) on the site host fetches the origin's index page (17 bytes, nginx) "
        + REQUESTS + " times per run, " + CONCURRENCY + " at a time, without keep-alive: each "
        + "request is a new TCP connection, opened, answered and closed. The value is ab's "
        + "requests per second; a run with any failed or non-2xx request counts as failed.";
  }

  @Override
  public String unit() {
    return "connections/s";
  }

  @Override
  public double runOnce(RelayTopology topology, Route route, boolean warmUp)
      throws BenchmarkException, IOException, InterruptedException {
    int requests = warmUp ? WARM_UP_REQUESTS : REQUESTS;
    String url = "http://" + topology.target(route) + ":" + HTTP_PORT + "/index.html";
    ExecResult result = topology.site(route).execInContainer("timeout", Integer.toString(TIMEOUT_SECONDS),
        "ab", "-q", "-n", Integer.toString(requests), "-c", Integer.toString(CONCURRENCY),
        "-s", Integer.toString(SOCKET_TIMEOUT_SECONDS), url);
    if (result.getExitCode() != 0) {
      throw new BenchmarkException("ab exited " + result.getExitCode() + ": " + result.getStderr().strip());
    }
    return requestsPerSecond(result.getStdout(), requests);
  }

  /** The rate from ab's report, when every one of {@code requests} completed with a 2xx. */
  static double requestsPerSecond(String report, int requests) throws BenchmarkException {
    long complete = count(COMPLETE, report)
        .orElseThrow(() -> new BenchmarkException("ab's report has no 'Complete requests' line"));
    if (complete != requests) {
      throw new BenchmarkException("ab completed " + complete + " of " + requests + " requests");
    }
    long failed = count(FAILED, report)
        .orElseThrow(() -> new BenchmarkException("ab's report has no 'Failed requests' line"));
    if (failed != 0) {
      throw new BenchmarkException("ab reports " + failed + " failed requests");
    }
    long non2xx = count(NON_2XX, report).orElse(0L);
    if (non2xx != 0) {
      throw new BenchmarkException("ab reports " + non2xx + " non-2xx responses");
    }
    Matcher rate = REQUESTS_PER_SECOND.matcher(report);
    if (!rate.find()) {
      throw new BenchmarkException("ab's report has no 'Requests per second' line");
    }
    return Double.parseDouble(rate.group(1));
  }

  private static Optional<Long> count(Pattern pattern, String report) {
    Matcher matcher = pattern.matcher(report);
    return matcher.find() ? Optional.of(Long.parseLong(matcher.group(1))) : Optional.empty();
  }
}
