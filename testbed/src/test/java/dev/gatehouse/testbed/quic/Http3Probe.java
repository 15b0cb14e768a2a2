package dev.gatehouse.testbed.quic;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.PrintStream;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Fetches an {@code https} URL the way a browser does when it knows the origin speaks
 * HTTP/3: over QUIC first, and over TLS/TCP with HTTP/2 when QUIC gives no answer in time.
 * Issue #4's end-to-end proof runs it behind Gatehouse, which blocks QUIC.
 *
 * <pre>
 * Http3Probe [--resolve HOST:PORT:ADDRESS] [--insecure | --cacert FILE]
 *            [--h3-timeout-ms N] [--timeout-ms N] [--h3-only] https://HOST[:PORT]/PATH
 * </pre>
 *
 * <ul>
 *   <li>{@code --resolve}: send to ADDRESS, not to what HOST resolves to, when the URL's host
 *       and port are HOST and PORT (as curl's option); the host name stays the TLS SNI and
 *       the {@code :authority} either way.
 *   <li>{@code --insecure} ({@code -k}): accept any certificate; {@code --cacert}: trust
 *       those in a PEM file instead of the JDK's. Otherwise the certificate must also name
 *       HOST.
 *   <li>{@code --h3-timeout-ms} (3000): the bound on the whole HTTP/3 attempt, handshake to
 *       last byte; {@code --timeout-ms} (10000): the same for HTTP/2.
 *   <li>{@code --h3-only}: no fallback, for showing that QUIC alone fails.
 * </ul>
 *
 * <p>It prints exactly one line on standard output, fields {@code key=value} separated by
 * single spaces, in this order:
 *
 * <pre>
 * h3=ok h3-ms=41 status=200 body-bytes=20 body="gatehouse origin h3\n"
 * h3=failed reason=handshake-timeout h3-ms=3002 fallback=h2 status=200 body-bytes=20 body="..."
 * h3=failed reason=handshake-timeout h3-ms=3002 fallback=failed fallback-reason=refused
 * h3=failed reason=handshake-timeout h3-ms=3002 fallback=off
 * </pre>
 *
 * <p>{@code reason} and {@code fallback-reason} are one word each: {@code handshake-timeout}
 * (no QUIC handshake in time), {@code response-timeout}, {@code timeout} (HTTP/2),
 * {@code tls-failed}, {@code refused}, {@code alpn} (the TCP server did not choose h2),
 * {@code closed}, {@code error}. {@code body} is always last: the first
 * {@value PageBody#KEPT_BYTES} bytes at most, in double quotes, with {@code \}, {@code "}
 * and every character outside printable ASCII escaped as in Java ({@code \n}, {@code \t},
 * {@code \r}, else {@code \}{@code uXXXX}); {@code body-bytes} is the whole body's length.
 * Details of failures go to standard error.
 *
 * <p>Exits 0 when a protocol fetched a response (whatever its status), 1 when none did, and
 * 2 on a usage error.
 */
public final class Http3Probe {
  private static final int FETCHED = 0;
  private static final int NOT_FETCHED = 1;
  private static final int USAGE_ERROR = 2;

  private Http3Probe() {}

  /** Entry point; see the type's description. */
  public static void main(String[] args) throws InterruptedException {
    System.exit(run(System.out, System.err, args));
  }

  /**
   * Does what {@link #main} does, printing the result line to {@code out} and details to
   * {@code err}, and returns the exit code instead of exiting.
   */
  public static int run(PrintStream out, PrintStream err, String... args) throws InterruptedException {
    ProbeArguments arguments;
    Target target;
    try {
      arguments = ProbeArguments.parse(args);
      target = Target.of(arguments.url(), arguments.resolve());
    } catch (IllegalArgumentException | UnknownHostException e) {
      err.println(e.getMessage());
      err.println(ProbeArguments.USAGE);
      return USAGE_ERROR;
    }
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try {
      return fetch(arguments, target, group, out, err);
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }
  }

  private static int fetch(ProbeArguments arguments, Target target, EventLoopGroup group,
      PrintStream out, PrintStream err) throws InterruptedException {
    List<String> fields = new ArrayList<>();
    long startedNanos = System.nanoTime();
    try {
      Page page = Http3Fetch.fetch(group, target, arguments.trust(), arguments.h3TimeoutMillis());
      fields.add("h3=ok");
      fields.add("h3-ms=" + millisSince(startedNanos));
      return printed(out, fields, page);
    } catch (FetchException e) {
      err.println("h3 attempt failed: " + e.getMessage());
      fields.add("h3=failed");
      fields.add("reason=" + e.reason());
      fields.add("h3-ms=" + millisSince(startedNanos));
    }
    if (arguments.h3Only()) {
      fields.add("fallback=off");
      return printed(out, fields, null);
    }
    try {
      Page page = Http2Fetch.fetch(group, target, arguments.trust(), arguments.fallbackTimeoutMillis());
      fields.add("fallback=" + page.protocol());
      return printed(out, fields, page);
    } catch (FetchException e) {
      err.println("h2 attempt failed: " + e.getMessage());
      fields.add("fallback=failed");
      fields.add("fallback-reason=" + e.reason());
      return printed(out, fields, null);
    }
  }

  /** Prints the line, with the page's fields when there is a page, and gives the exit code. */
  private static int printed(PrintStream out, List<String> fields, Page page) {
    if (page != null) {
      fields.add("status=" + page.status());
      fields.add("body-bytes=" + page.bodyBytes());
      fields.add("body=" + quoted(page.bodyText()));
    }
    out.println(String.join(" ", fields));
    out.flush();
    return page == null ? NOT_FETCHED : FETCHED;
  }

  /** {@code text} in double quotes, escaped so that it stays one printable ASCII line. */
  static String quoted(String text) {
    StringBuilder quoted = new StringBuilder(text.length() + 2).append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '\\' -> quoted.append("\\\\");
        case '"' -> quoted.append("\\\"");
        case '\n' -> quoted.append("\\n");
        case '\r' -> quoted.append("\\r");
        case '\t' -> quoted.append("\\t");
        default -> {
          if (c < 0x20 || c > 0x7e) {
            quoted.append(String.format("\\u%04x", (int) c));
          } else {
            quoted.append(c);
          }
        }
      }
    }
    return quoted.append('"').toString();
  }

  private static long millisSince(long startedNanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
  }
}
