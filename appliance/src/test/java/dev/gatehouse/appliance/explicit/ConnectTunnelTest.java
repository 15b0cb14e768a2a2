package dev.gatehouse.appliance.explicit;

import static dev.gatehouse.appliance.testing.HttpWire.ascii;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.appliance.testing.Background;
import dev.gatehouse.appliance.testing.Curl;
import dev.gatehouse.appliance.testing.HttpWire;
import dev.gatehouse.core.testing.FlowTestKit.RecordingActivityLog;
import dev.gatehouse.appliance.testing.TestOrigin;
import dev.gatehouse.core.log.ActivityEvent;
import dev.gatehouse.core.log.ActivityRecord;
import dev.gatehouse.core.log.CloseReason;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** CONNECT tunnels through the explicit proxy, with real sockets on loopback. */
class ConnectTunnelTest {

  private static final String LISTENER = "explicit-proxy-test";
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final int MIB = 1024 * 1024;

  private RecordingActivityLog log;
  private ExplicitProxyServer proxy;
  private InetSocketAddress proxyAddress;

  @BeforeEach
  void startProxy() {
    log = new RecordingActivityLog();
    proxy = new ExplicitProxyServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
        CONNECT_TIMEOUT, Duration.ofMinutes(5), log, LISTENER);
    proxyAddress = proxy.start();
  }

  @AfterEach
  void stopProxy() {
    proxy.close();
  }

  @Test
  void tunnelsMegabytesBothWaysExactlyAndPassesEachFinOn() throws Exception {
    byte[] upload = randomBytes(4 * MIB, 1);
    byte[] downloadBeforeClientFin = randomBytes(MIB, 2);
    byte[] downloadAfterClientFin = randomBytes(2 * MIB, 3);
    CompletableFuture<byte[]> originReceived = new CompletableFuture<>();

    try (TestOrigin origin = new TestOrigin(connection -> {
      OutputStream out = connection.getOutputStream();
      Future<Void> early = Background.run("origin-writer", () -> out.write(downloadBeforeClientFin));
      originReceived.complete(connection.getInputStream().readAllBytes());
      early.get();
      // Only the client's direction is closed: ours still carries data.
      out.write(downloadAfterClientFin);
      connection.shutdownOutput();
    })) {
      byte[] downloaded;
      InetSocketAddress clientAddress;
      try (Socket client = openTunnel("127.0.0.1:" + origin.port())) {
        clientAddress = (InetSocketAddress) client.getLocalSocketAddress();
        Future<Void> sending = Background.run("client-writer", () -> {
          client.getOutputStream().write(upload);
          client.shutdownOutput();
        });
        downloaded = client.getInputStream().readAllBytes();
        sending.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      }

      assertArrayEquals(sha256(upload), sha256(originReceived.get(WAIT.toSeconds(), TimeUnit.SECONDS)));
      assertArrayEquals(sha256(downloadBeforeClientFin, downloadAfterClientFin), sha256(downloaded));

      ActivityRecord end = log.awaitEnd(WAIT);
      assertEquals(CloseReason.CLIENT_CLOSED, end.closeReason());
      assertEquals(upload.length, end.bytesSent());
      assertEquals(downloadBeforeClientFin.length + downloadAfterClientFin.length, end.bytesReceived());
      assertTrue(end.packetsSent() > 0 && end.packetsReceived() > 0, end.toString());
      assertEquals(origin.address(), end.destination());
      assertNull(end.destinationHost(), "an IP literal names no host");
      assertEquals(clientAddress, end.source());
      assertEquals(clientAddress.getAddress(), end.sourceInternal());
      assertNotNull(end.egress());
      assertTrue(end.egress().getAddress().isLoopbackAddress(), end.toString());
      assertEquals("tcp", end.transport());
      assertEquals(LISTENER, end.tunnel());
      assertEquals("explicit-proxy", end.tunnelType());
      assertNull(end.site(), "a listener serves no site");
      assertNull(end.policyAction(), "explicit proxying applies no policies");
      assertEquals(0, end.virtualNetwork());
      assertEquals(-1, end.clientHandshakeMillis());
      assertTrue(end.originHandshakeMillis() >= 0, end.toString());
      assertTrue(!end.endTime().isBefore(end.startTime()), end.toString());

      List<ActivityRecord> starts = log.starts();
      assertEquals(1, starts.size());
      assertEquals(end.sessionId(), starts.get(0).sessionId());
      assertEquals(0, starts.get(0).bytesSent());
      assertNull(starts.get(0).closeReason());
      assertEquals(1, log.ends().size());
    }
  }

  @Test
  void carriesBytesTheClientSentBeforeTheAnswer() throws Exception {
    try (TestOrigin origin = new TestOrigin(connection -> {
      byte[] hello = connection.getInputStream().readNBytes(5);
      connection.getOutputStream().write(new String(hello, StandardCharsets.US_ASCII)
          .toUpperCase().getBytes(StandardCharsets.US_ASCII));
      connection.getInputStream().readAllBytes();
    })) {
      try (Socket client = new Socket(proxyAddress.getAddress(), proxyAddress.getPort())) {
        // One write: the tunnel's first bytes travel in the same segment as the request.
        client.getOutputStream().write(ascii(
            "CONNECT 127.0.0.1:" + origin.port() + " HTTP/1.1\r\nHost: x\r\n\r\nhello"));
        InputStream in = client.getInputStream();
        assertEquals(200, HttpWire.readHead(in).status());
        assertEquals("HELLO", new String(in.readNBytes(5), StandardCharsets.US_ASCII));
      }
      assertEquals(5, log.awaitEnd(WAIT).bytesSent());
    }
  }

  @Test
  void readsConnectRequestThatArrivesInPieces() throws Exception {
    try (TestOrigin origin = new TestOrigin(connection -> connection.getInputStream().readAllBytes())) {
      try (Socket client = new Socket(proxyAddress.getAddress(), proxyAddress.getPort())) {
        client.setTcpNoDelay(true);
        client.setSoTimeout((int) WAIT.toMillis());
        String request = connect("127.0.0.1:" + origin.port());
        for (int offset = 0; offset < request.length(); offset += 10) {
          client.getOutputStream().write(ascii(request.substring(offset, Math.min(request.length(), offset + 10))));
          Thread.sleep(20);
        }
        assertEquals(200, HttpWire.readHead(client.getInputStream()).status());
      }
    }
  }

  @Test
  void answersBadGatewayAtOnceWhenOriginRefuses() throws Exception {
    int closedPort = closedPort();
    long startNanos = System.nanoTime();
    try (Socket client = connectRequest("127.0.0.1:" + closedPort)) {
      HttpWire.Head head = HttpWire.readHead(client.getInputStream());
      long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);

      assertEquals(502, head.status());
      assertTrue(elapsedMillis < CONNECT_TIMEOUT.toMillis() / 2, "took " + elapsedMillis + " ms");
      HttpWire.readBody(client.getInputStream(), head);
      assertEquals(-1, client.getInputStream().read(), "the connection closes after the error");
    }

    ActivityRecord end = log.awaitEnd(WAIT);
    assertEquals(CloseReason.PROXY_CONN_REFUSED, end.closeReason());
    assertEquals(new InetSocketAddress("127.0.0.1", closedPort), end.destination());
    assertEquals(0, end.bytesSent());
    assertEquals(0, end.bytesReceived());
    assertEquals(-1, end.originHandshakeMillis());
    assertNull(end.egress());
    assertTrue(log.starts().isEmpty(), "a flow that never connected has no start record");
  }

  @Test
  void answersBadRequestToConnectWithoutPort() throws Exception {
    try (Socket client = connectRequest("example.invalid")) {
      HttpWire.Head head = HttpWire.readHead(client.getInputStream());
      assertEquals(400, head.status());
    }
    Thread.sleep(100);
    assertTrue(log.records().isEmpty(), "no flow was started: " + log.records());
  }

  @Test
  void resolvesHostNameAndRecordsBothNameAndAddress() throws Exception {
    try (TestOrigin origin = new TestOrigin(connection -> connection.getInputStream().readAllBytes())) {
      try (Socket client = openTunnel("localhost:" + origin.port())) {
        client.shutdownOutput();
        client.getInputStream().readAllBytes();
      }
      ActivityRecord end = log.awaitEnd(WAIT);
      assertEquals("localhost", end.destinationHost());
      assertEquals(origin.address(), end.destination());
    }
  }

  @Test
  void tunnelsToAnIpv6Origin() throws Exception {
    InetAddress ipv6Loopback = InetAddress.getByName("::1");
    try (TestOrigin origin = new TestOrigin(ipv6Loopback, connection -> {
      connection.getOutputStream().write(connection.getInputStream().readAllBytes());
    })) {
      try (Socket client = openTunnel("[::1]:" + origin.port())) {
        client.getOutputStream().write(ascii("over six"));
        client.shutdownOutput();
        assertEquals("over six", new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
      }
      ActivityRecord end = log.awaitEnd(WAIT);
      assertEquals(new InetSocketAddress(ipv6Loopback, origin.port()), end.destination());
      assertEquals(ipv6Loopback, end.egress().getAddress());
    }
  }

  @Test
  void recordsOriginClosedWhenOriginClosesFirst() throws Exception {
    try (TestOrigin origin = new TestOrigin(connection -> connection.getOutputStream().write(ascii("bye")))) {
      try (Socket client = openTunnel("127.0.0.1:" + origin.port())) {
        assertEquals("bye", new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
      }
      ActivityRecord end = log.awaitEnd(WAIT);
      assertEquals(CloseReason.ORIGIN_CLOSED, end.closeReason());
      assertEquals(3, end.bytesReceived());
    }
  }

  @Test
  void stopsReadingOriginWhileClientDoesNotRead() throws Exception {
    long total = 192L * MIB;
    long stallLimit = 96L * MIB;
    AtomicLong originWrote = new AtomicLong();
    try (TestOrigin origin = new TestOrigin(connection -> {
      byte[] piece = randomBytes(64 * 1024, 4);
      OutputStream out = connection.getOutputStream();
      for (long sent = 0; sent < total; sent += piece.length) {
        out.write(piece);
        originWrote.addAndGet(piece.length);
      }
      connection.shutdownOutput();
    })) {
      try (Socket client = openTunnel("127.0.0.1:" + origin.port())) {
        long stalledAt = awaitStall(originWrote);
        assertTrue(stalledAt < stallLimit,
            "the origin wrote " + stalledAt + " bytes while the client read nothing");

        long received = drain(client.getInputStream());
        assertEquals(total, received);
      }
    }
  }

  @Test
  void closesIdleTunnelAndRecordsIdleTimeout() throws Exception {
    Duration idleTimeout = Duration.ofMillis(300);
    RecordingActivityLog idleLog = new RecordingActivityLog();
    try (ExplicitProxyServer idleProxy = new ExplicitProxyServer(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            CONNECT_TIMEOUT, idleTimeout, idleLog, LISTENER);
        TestOrigin origin = new TestOrigin(connection -> connection.getInputStream().readAllBytes())) {
      InetSocketAddress address = idleProxy.start();
      try (Socket client = new Socket(address.getAddress(), address.getPort())) {
        client.getOutputStream().write(ascii(connect("127.0.0.1:" + origin.port())));
        assertEquals(200, HttpWire.readHead(client.getInputStream()).status());
        long quietSince = System.nanoTime();

        client.setSoTimeout((int) WAIT.toMillis());
        assertEquals(-1, client.getInputStream().read());
        long quietMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - quietSince);
        // The timer started when the 200 was written, a moment before we read it.
        assertTrue(quietMillis >= idleTimeout.toMillis() - 50, "closed after " + quietMillis + " ms");
      }
      assertEquals(CloseReason.CLIENT_IDLE_TIMEOUT, idleLog.awaitEnd(WAIT).closeReason());
    }
  }

  @Test
  void closingTheServerEndsOpenTunnelsWithProxyShutdown() throws Exception {
    try (TestOrigin origin = new TestOrigin(connection -> connection.getInputStream().readAllBytes())) {
      try (Socket client = openTunnel("127.0.0.1:" + origin.port())) {
        proxy.close();

        List<ActivityRecord> ends = log.ends();
        assertEquals(1, ends.size(), "the record is written before close() returns");
        assertEquals(CloseReason.PROXY_SHUTDOWN, ends.get(0).closeReason());
        client.setSoTimeout((int) WAIT.toMillis());
        assertEquals(-1, client.getInputStream().read());
      }
      Thread.sleep(100);
      assertEquals(1, log.ends().size(), "exactly one end record per flow");
    }
  }

  @Test
  void curlFetchesThroughTunnel() throws Exception {
    Curl.requireInstalled();
    try (TestOrigin origin = new TestOrigin(connection -> {
      InputStream in = connection.getInputStream();
      HttpWire.Head request = HttpWire.readHead(in);
      assertEquals("GET /through-tunnel HTTP/1.1", request.startLine());
      connection.getOutputStream().write(ascii(
          "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\ntunnelled"));
    })) {
      Curl.Result result = Curl.run("-sS", "--proxytunnel", "-x", "http://127.0.0.1:" + proxyAddress.getPort(),
          "http://127.0.0.1:" + origin.port() + "/through-tunnel");
      assertEquals(0, result.exitCode(), result.stderr());
      assertEquals("tunnelled", result.stdout());

      ActivityRecord end = log.awaitEnd(WAIT);
      assertEquals(origin.address(), end.destination());
      assertTrue(end.bytesSent() > 0 && end.bytesReceived() > 0, end.toString());
      assertEquals(ActivityEvent.SESSION_END, end.event());
    }
  }

  // --- helpers --------------------------------------------------------------------------

  private Socket openTunnel(String authority) throws IOException {
    Socket client = connectRequest(authority);
    HttpWire.Head head = HttpWire.readHead(client.getInputStream());
    assertEquals("HTTP/1.1 200 Connection established", head.startLine());
    assertNull(head.header("content-length"), "RFC 9110 §9.3.6: no Content-Length in a 2xx to CONNECT");
    assertNull(head.header("transfer-encoding"));
    return client;
  }

  private Socket connectRequest(String authority) throws IOException {
    Socket client = new Socket(proxyAddress.getAddress(), proxyAddress.getPort());
    client.setSoTimeout((int) WAIT.toMillis() * 2);
    client.getOutputStream().write(ascii(connect(authority)));
    return client;
  }

  private static String connect(String authority) {
    return "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n";
  }

  static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return socket.getLocalPort();
    }
  }

  /** Waits until the counter stops moving for a while, and returns where it stopped. */
  private static long awaitStall(AtomicLong counter) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    long last = -1;
    int unchanged = 0;
    while (System.nanoTime() < deadline) {
      Thread.sleep(200);
      long now = counter.get();
      unchanged = now == last ? unchanged + 1 : 0;
      last = now;
      if (unchanged == 3) {
        return now;
      }
    }
    return counter.get();
  }

  private static long drain(InputStream in) throws IOException {
    byte[] buffer = new byte[256 * 1024];
    long total = 0;
    for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
      total += n;
    }
    return total;
  }

  static byte[] randomBytes(int length, long seed) {
    byte[] bytes = new byte[length];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private static byte[] sha256(byte[]... parts) throws NoSuchAlgorithmException {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    for (byte[] part : parts) {
      digest.update(part);
    }
    return digest.digest();
  }
}
