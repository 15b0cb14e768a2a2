package dev.gatehouse.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.output.OutputFrame;

/** Shell commands on the test hosts and the appliance's activity records, for end-to-end tests. */
final class Hosts {
  private Hosts() {}

  /** Runs {@code command} with {@code sh -c} on {@code host}; the caller judges its exit code. */
  static ExecResult sh(GenericContainer<?> host, String command) throws Exception {
    return host.execInContainer("sh", "-c", command);
  }

  /** Runs {@code command} in a shell and prints {@code rc=N ms=M} after it on stdout. */
  static ExecResult timed(GenericContainer<?> host, String command) throws Exception {
    return sh(host, "start=$(date +%s%N); " + command + "; rc=$?; end=$(date +%s%N);"
        + " echo; echo rc=$rc ms=$(( (end - start) / 1000000 ))");
  }

  /** The milliseconds {@link #timed} printed. */
  static long elapsedMillis(ExecResult timed) {
    String out = timed.getStdout();
    return Long.parseLong(out.substring(out.lastIndexOf("ms=") + 3).trim());
  }

  static String sha256(GenericContainer<?> host, String file) throws Exception {
    ExecResult sum = sh(host, "sha256sum " + file);
    assertEquals(0, sum.getExitCode(), sum.getStderr());
    return sum.getStdout().split(" ")[0];
  }

  /** Waits for an activity record (a line on the appliance's stdout) holding every marker. */
  static String awaitRecord(GenericContainer<?> appliance, Duration timeout, String... markers)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (String line : appliance.getLogs(OutputFrame.OutputType.STDOUT).split("\n")) {
        if (holdsAll(line, markers)) {
          return line;
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no activity record with " + String.join(" and ", markers)
        + "; appliance output:\n" + appliance.getLogs());
  }

  /** Stops the containers, then closes the networks; skips those never made (null). */
  static void stopAll(List<GenericContainer<?>> containers, List<Network> networks) {
    for (GenericContainer<?> container : containers) {
      if (container != null) {
        container.stop();
      }
    }
    for (Network network : networks) {
      if (network != null) {
        network.close();
      }
    }
  }

  private static boolean holdsAll(String line, String... markers) {
    for (String marker : markers) {
      if (!line.contains(marker)) {
        return false;
      }
    }
    return true;
  }
}
