package dev.gatehouse.testbed.quic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.inspect.QuicInitialInspector;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The probe against the origin on loopback, as issue #4's browser meets an origin: HTTP/3
 * when QUIC is answered, HTTP/2 over TCP when it is not, and nothing at all with
 * {@code --h3-only}.
 */
class Http3ProbeTest {
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  private static final long H3_TIMEOUT_MILLIS = 1000;
  /** What a JVM and Netty's native library take to start, on top of the probe's bound. */
  private static final long STARTUP_ALLOWANCE_MILLIS = 5000;
  private static final int PORT_PAIR_ATTEMPTS = 5;
  private static final Pattern H3_MILLIS = Pattern.compile(" h3-ms=(\\d+) ");

  @TempDir
  static Path certificateDirectory;
  private static TestCertificate certificate;

  private final ByteArrayOutputStream originLog = new ByteArrayOutputStream();
  private Http3Origin origin;
  private DatagramChannel blackHole;

  @BeforeAll
  static void makeCertificate() throws IOException, InterruptedException {
    certificate = TestCertificate.makeIn(certificateDirectory);
  }

  @AfterEach
  void stopPeers() throws IOException {
    if (origin != null) {
      origin.close();
    }
    if (blackHole != null) {
      blackHole.close();
    }
  }

  @Test
  void fetchesOverHttp3WhenTheOriginAnswersQuic() throws Exception {
    origin = startOrigin(0, false);
    int port = origin.udpPort();

    ProbeRun run = probe("--cacert", certificate.certificate().toString(),
        "--resolve", resolve(port), "--h3-timeout-ms", "3000", url(port));

    assertEquals(0, run.exitCode(), run.toString());
    assertTrue(run.line().startsWith("h3=ok h3-ms="), run.toString());
    assertTrue(run.line().endsWith(" status=200 body-bytes=20 body=\"gatehouse origin h3\\n\""), run.toString());
    assertTrue(originLog().contains("request proto=h3 peer=/127.0.0.1:"), originLog());
    assertTrue(originLog().contains(" method=GET authority=origin.test:" + port + " path=/page?q=1"), originLog());
  }

  @Test
  void fallsBackToHttp2WhenNothingAnswersQuic() throws Exception {
    int port = startHttp2OriginBehindBlackHole();

    ProbeRun run = probe("--cacert", certificate.certificate().toString(), "--resolve", resolve(port),
        "--h3-timeout-ms", Long.toString(H3_TIMEOUT_MILLIS), url(port));

    assertEquals(0, run.exitCode(), run.toString());
    assertTrue(run.line().startsWith("h3=failed reason=handshake-timeout h3-ms="), run.toString());
    assertTrue(run.line().endsWith(" fallback=h2 status=200 body-bytes=20 body=\"gatehouse origin h2\\n\""),
        run.toString());
    assertTrue(h3Millis(run.line()) >= H3_TIMEOUT_MILLIS, run.toString());
    assertTrue(originLog().contains("request proto=h2 peer=/127.0.0.1:"), originLog());
    assertEquals(TestCertificate.HOST, sniOfDatagramsIn(blackHole), "the QUIC Initials' SNI");
  }

  @Test
  void exitsNonZeroWithinItsTimeoutWithH3OnlyWhenNothingAnswersQuic() throws Exception {
    int port = startHttp2OriginBehindBlackHole();
    String[] command = ContainerJava.withNetty(Http3Probe.class).command("--insecure", "--h3-only",
        "--resolve", resolve(port), "--h3-timeout-ms", Long.toString(H3_TIMEOUT_MILLIS), url(port));

    long startedNanos = System.nanoTime();
    Process probe = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    boolean exited = probe.waitFor(H3_TIMEOUT_MILLIS + STARTUP_ALLOWANCE_MILLIS, TimeUnit.MILLISECONDS);
    long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
    if (!exited) {
      probe.destroyForcibly();
    }
    String out = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    assertTrue(exited, "the probe was still running after " + tookMillis + " ms");
    assertEquals(1, probe.exitValue(), out);
    assertTrue(out.matches("h3=failed reason=handshake-timeout h3-ms=\\d+ fallback=off\n"), out);
    assertTrue(h3Millis(out + " ") >= H3_TIMEOUT_MILLIS, out);
    assertFalse(originLog().contains("request "), "no fallback may have reached TCP: " + originLog());
  }

  @Test
  void failsHttp3WhenTheCertificateDoesNotNameTheHost() throws Exception {
    origin = startOrigin(0, false);
    int port = origin.udpPort();

    ProbeRun run = probe("--cacert", certificate.certificate().toString(), "--h3-only",
        "--resolve", "other.test:" + port + ":127.0.0.1", "https://other.test:" + port + "/");

    assertEquals(1, run.exitCode(), run.toString());
    assertTrue(run.line().matches("h3=failed reason=tls-failed h3-ms=\\d+ fallback=off"), run.toString());
    assertFalse(originLog().contains("request "), originLog());
  }

  private Http3Origin startOrigin(int port, boolean http2Only) throws Exception {
    OriginOptions options = new OriginOptions(certificate.certificate(), certificate.privateKey(),
        Optional.of(LOOPBACK), port, !http2Only, http2Only);
    return Http3Origin.start(options, new PrintStream(originLog, true, StandardCharsets.UTF_8));
  }

  /**
   * An HTTP/2 origin on a TCP port whose UDP twin receives and never answers, as when
   * Gatehouse drops QUIC. The kernel picks the UDP port; the TCP port of that number is
   * most often free, and another pair is tried when it is not.
   */
  private int startHttp2OriginBehindBlackHole() throws Exception {
    for (int attempt = 1; ; attempt++) {
      blackHole = DatagramChannel.open().bind(new InetSocketAddress(LOOPBACK, 0));
      int port = ((InetSocketAddress) blackHole.getLocalAddress()).getPort();
      try {
        origin = startOrigin(port, true);
        return port;
      } catch (BindException e) {
        blackHole.close();
        if (attempt == PORT_PAIR_ATTEMPTS) {
          throw e;
        }
      }
    }
  }

  /** Reads what reached the black hole as Gatehouse's inspector does. */
  private static String sniOfDatagramsIn(DatagramChannel channel) throws IOException {
    channel.configureBlocking(false);
    QuicInitialInspector inspector = new QuicInitialInspector(QuicInitialInspector.DEFAULT_MAX_CRYPTO_BYTES);
    ByteBuffer datagram = ByteBuffer.allocate(65_535);
    while (!inspector.decided() && channel.receive(datagram.clear()) != null) {
      ByteBuf bytes = Unpooled.wrappedBuffer(datagram.flip());
      try {
        inspector.offer(bytes, 0, bytes.readableBytes());
      } finally {
        bytes.release();
      }
    }
    assertTrue(inspector.datagramsSeen() > 0, "no datagram reached the black hole");
    return inspector.sniHost();
  }

  private static ProbeRun probe(String... args) throws InterruptedException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exitCode = Http3Probe.run(new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), args);
    return new ProbeRun(exitCode, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static long h3Millis(String line) {
    Matcher millis = H3_MILLIS.matcher(line);
    assertTrue(millis.find(), line);
    return Long.parseLong(millis.group(1));
  }

  private String originLog() {
    return originLog.toString(StandardCharsets.UTF_8);
  }

  private static String resolve(int port) {
    return TestCertificate.HOST + ":" + port + ":127.0.0.1";
  }

  private static String url(int port) {
    return "https://" + TestCertificate.HOST + ":" + port + "/page?q=1";
  }

  /** What one in-process run printed; {@link #line} is its single stdout line. */
  private record ProbeRun(int exitCode, String out, String err) {
    String line() {
      assertTrue(out.endsWith("\n") && out.indexOf('\n') == out.length() - 1, "not one line: " + out);
      return out.strip();
    }
  }
}
