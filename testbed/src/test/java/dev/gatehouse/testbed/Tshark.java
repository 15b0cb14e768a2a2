package dev.gatehouse.testbed;

import java.time.Duration;
import java.util.List;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;

/**
 * A tshark capture on a test host, decoded afterwards by tshark itself: an independent
 * reading of what crossed the wire. Start it, make the traffic, {@link #stop()}, then
 * {@link #decode} the file with the dissectors a test names.
 */
final class Tshark {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
  /**
   * The kernel buffer dumpcap captures into (its default is 2 MiB) and how much of each
   * packet it keeps. On a loaded machine a multi-megabyte transfer overran the default
   * buffer and the capture lost a third of the packets; headers are all the tests read.
   */
  private static final int BUFFER_MIB = 64;
  private static final int SNAP_BYTES = 256;
  /** Twice dumpcap's 250 ms read timeout, the longest a captured packet waits in a block. */
  private static final long BLOCK_RETIRE_WAIT_MILLIS = 500;

  private final GenericContainer<?> host;
  private final String file;

  private Tshark(GenericContainer<?> host, String name) {
    this.host = host;
    this.file = "/tmp/tshark-" + name;
  }

  /** Captures on every interface of {@code host} with a pcap {@code filter}; returns once it captures. */
  static Tshark start(GenericContainer<?> host, String name, String filter) throws Exception {
    Tshark capture = new Tshark(host, name);
    Hosts.sh(host, "rm -f " + capture.file + ".*; tshark -i any -B " + BUFFER_MIB + " -s " + SNAP_BYTES
        + " -f '" + filter + "' -w " + capture.file + ".pcap > /dev/null 2> " + capture.file + ".err & echo $! > "
        + capture.file + ".pid");
    // tshark says "Capturing on" before dumpcap captures; "Capture started." comes after.
    capture.await("Capture started.", READY_TIMEOUT, "tshark did not start");
    return capture;
  }

  /**
   * Stops the capture; tshark writes what it holds and says how many packets it saw. It
   * first waits out dumpcap's read timeout (250 ms): on Linux the kernel hands captured
   * packets over in blocks that retire only when full or when that timeout passes, and
   * dumpcap, unlike tcpdump, has no immediate mode. Stopped sooner, it loses the last
   * block (seen here: a short capture of a handshake came back empty).
   */
  void stop() throws Exception {
    Thread.sleep(BLOCK_RETIRE_WAIT_MILLIS);
    Hosts.sh(host, "kill -INT $(cat " + file + ".pid)");
    await("captured", STOP_TIMEOUT, "tshark did not stop");
  }

  /** The capture's one-line summaries, decoded with tshark's {@code -d} rules such as {@code udp.port==51820,wg}. */
  List<String> decode(String... decodeAs) throws Exception {
    StringBuilder command = new StringBuilder("tshark -n -r " + file + ".pcap");
    for (String rule : decodeAs) {
      command.append(" -d '").append(rule).append('\'');
    }
    ExecResult decoded = Hosts.sh(host, command + " 2>/dev/null");
    if (decoded.getExitCode() != 0) {
      throw new AssertionError("tshark could not read " + file + ".pcap: " + decoded.getStderr());
    }
    return decoded.getStdout().lines().toList();
  }

  /**
   * The named {@code fields} of every packet {@code displayFilter} matches, one line each, tab
   * between fields and comma between a field's occurrences (an outer and an inner
   * {@code ip.src}, say).
   */
  List<String> fields(String displayFilter, String... fields) throws Exception {
    StringBuilder command = new StringBuilder("tshark -n -r " + file + ".pcap -Y '" + displayFilter + "' -T fields");
    for (String field : fields) {
      command.append(" -e ").append(field);
    }
    ExecResult decoded = Hosts.sh(host, command + " 2>/dev/null");
    if (decoded.getExitCode() != 0) {
      throw new AssertionError("tshark could not read " + file + ".pcap: " + decoded.getStderr());
    }
    return decoded.getStdout().lines().toList();
  }

  private void await(String marker, Duration timeout, String failure) throws Exception {
    Hosts.awaitShell(host, "grep -qF '" + marker + "' " + file + ".err", timeout, failure, "cat " + file + ".err");
  }
}
