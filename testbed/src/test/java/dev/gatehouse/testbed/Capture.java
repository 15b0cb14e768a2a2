package dev.gatehouse.testbed;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.testcontainers.containers.GenericContainer;

/**
 * A tcpdump capture on a test host: what really reached it, so that a test can show what
 * a policy kept away (no SYN, none of the client's bytes). Start it, make the traffic,
 * then {@link #stop()} and read the TCP packets it saw.
 */
final class Capture {
  /** tcpdump's line for a TCP packet: {@code IP a.b.c.d.p > e.f.g.h.q: Flags [S.], ..., length N}. */
  private static final Pattern TCP_LINE =
      Pattern.compile("IP6? (\\S+) > (\\S+): Flags \\[([^\\]]*)\\].*length (\\d+)");
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(10);

  /** One TCP packet as tcpdump decoded it; addresses end in {@code .port}. */
  record TcpPacket(String source, String destination, String flags, int payloadBytes) {
    boolean isSyn() {
      return flags.contains("S") && !flags.contains(".");
    }

    boolean isReset() {
      return flags.contains("R");
    }

    boolean to(String address, int port) {
      return destination.equals(address + "." + port);
    }
  }

  private final GenericContainer<?> host;
  private final String file;

  private Capture(GenericContainer<?> host, String name) {
    this.host = host;
    this.file = "/tmp/capture-" + name;
  }

  /** Starts tcpdump on every interface of {@code host} with a pcap {@code filter}; returns once it listens. */
  static Capture start(GenericContainer<?> host, String name, String filter) throws Exception {
    Capture capture = new Capture(host, name);
    // --immediate-mode: libpcap hands each packet over at once instead of when the kernel's
    // buffer block retires (up to a second later); -l writes each line as it comes. Together
    // they make a stop lose nothing that arrived before it.
    Hosts.sh(host, "rm -f " + capture.file + ".*; (tcpdump -i any -nn -l --immediate-mode '" + filter + "' > "
        + capture.file + ".txt 2> " + capture.file + ".err &)");
    Hosts.awaitShell(host, "grep -q 'listening on' " + capture.file + ".err", READY_TIMEOUT, "tcpdump did not start",
        "cat " + capture.file + ".err");
    return capture;
  }

  /** Stops tcpdump and returns the TCP packets it captured, in order. */
  List<TcpPacket> stop() throws Exception {
    List<TcpPacket> packets = new ArrayList<>();
    for (String line : lines()) {
      Matcher m = TCP_LINE.matcher(line);
      if (m.find()) {
        packets.add(new TcpPacket(m.group(1), m.group(2), m.group(3), Integer.parseInt(m.group(4))));
      }
    }
    return packets;
  }

  /** Stops tcpdump and returns every packet it captured as its one-line summary, in order. */
  List<String> lines() throws Exception {
    Hosts.sh(host, "pkill -INT -f 'tcpdump.*" + file + "'; while pgrep -f 'tcpdump.*" + file + "' >/dev/null;"
        + " do sleep 0.05; done");
    return Hosts.sh(host, "cat " + file + ".txt").getStdout().lines().filter(l -> !l.isBlank()).toList();
  }
}
