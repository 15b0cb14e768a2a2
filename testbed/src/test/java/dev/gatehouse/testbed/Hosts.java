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

  /** Waits until {@code condition}, a shell command on {@code host}, exits 0. */
  static void awaitShell(GenericContainer<?> host, String condition, Duration timeout) throws Exception {
    awaitShell(host, condition, timeout, "not within " + timeout + ": " + condition, "true");
  }

  /**
   * Waits until {@code condition} exits 0 on {@code host}; else fails with {@code failure}
   * and what {@code diagnostics}, another shell command there, prints.
   */
  static void awaitShell(GenericContainer<?> host, String condition, Duration timeout, String failure,
      String diagnostics) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (sh(host, condition).getExitCode() != 0) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(failure + "; " + sh(host, diagnostics).getStdout());
      }
      Thread.sleep(50);
    }
  }

  /**
   * Sends {@code bytes} of random data from {@code a} to {@code b} over one TCP connection
   * between the given addresses (socat on both ends, {@code b} listening on {@code port}),
   * and requires {@code b} to hold them exactly.
   */
  static void assertTcpTransfer(GenericContainer<?> a, String fromAddress, GenericContainer<?> b, String toAddress,
      int port, long bytes) throws Exception {
    Duration wait = Duration.ofSeconds(10);
    String diagnostics = "cat /tmp/socat.log; ss -tan";
    sh(b, "rm -f /tmp/received; socat -u TCP-LISTEN:" + port + ",bind=" + toAddress
        + ",reuseaddr OPEN:/tmp/received,creat,trunc > /tmp/socat.log 2>&1 &");
    awaitShell(b, "ss -Hltn 'sport = :" + port + "' | grep -q " + port, wait, "socat did not listen", diagnostics);
    ExecResult sent = sh(a, "head -c " + bytes + " /dev/urandom > /tmp/sent && socat -u"
        + " OPEN:/tmp/sent TCP:" + toAddress + ":" + port + ",bind=" + fromAddress);
    assertEquals(0, sent.getExitCode(), sent.getStderr());
    // socat on b ends when a's socat closed and the last byte is on disk
    awaitShell(b, "! ss -Htn 'sport = :" + port + "' | grep -q . && [ $(stat -c %s /tmp/received) -eq "
        + bytes + " ]", wait, "the receiver did not get " + bytes + " bytes", diagnostics);
    assertEquals(sha256(a, "/tmp/sent"), sha256(b, "/tmp/received"));
  }

  /**
   * Moves {@code bytes} of random data from the origin's web server to the site (curl) and
   * back to the origin over a new TCP connection (socat to port 9000), and requires both
   * copies to hash as the original.
   */
  static void assertByteExactBothWays(GenericContainer<?> site, GenericContainer<?> origin, String originAddress,
      long bytes) throws Exception {
    sh(origin, "head -c " + bytes + " /dev/urandom > /var/www/html/big.bin");
    String originSum = sha256(origin, "/var/www/html/big.bin");
    try {
      ExecResult download = sh(site, "curl -sS --max-time 300 -o /tmp/big.bin http://" + originAddress + "/big.bin");
      assertEquals(0, download.getExitCode(), download.getStderr());
      assertEquals(originSum, sha256(site, "/tmp/big.bin"), "download");

      sh(origin, "(socat -u TCP-LISTEN:9000,reuseaddr OPEN:/tmp/up.bin,creat,trunc"
          + " && sha256sum /tmp/up.bin > /tmp/up.sha) > /dev/null 2>&1 &");
      awaitShell(origin, "ss -Hltn 'sport = :9000' | grep -q 9000", Duration.ofSeconds(10));
      ExecResult upload = sh(site, "socat -u OPEN:/tmp/big.bin TCP:" + originAddress + ":9000");
      assertEquals(0, upload.getExitCode(), upload.getStderr());
      awaitShell(origin, "test -s /tmp/up.sha", Duration.ofSeconds(120));
      assertEquals(originSum, sh(origin, "cat /tmp/up.sha").getStdout().split(" ")[0], "upload");
    } finally {
      sh(origin, "rm -f /var/www/html/big.bin /tmp/up.bin /tmp/up.sha");
      sh(site, "rm -f /tmp/big.bin");
    }
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
