package dev.gatehouse.appliance.explicit;

import static dev.gatehouse.appliance.testing.HttpWire.ascii;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.appliance.testing.Curl;
import dev.gatehouse.appliance.testing.HttpWire;
import dev.gatehouse.core.testing.FlowTestKit.RecordingActivityLog;
import dev.gatehouse.appliance.testing.TestOrigin;
import dev.gatehouse.core.log.ActivityRecord;
import dev.gatehouse.core.log.CloseReason;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Plain HTTP forwarding of absolute-form requests, with real sockets on loopback. */
class AbsoluteFormForwardingTest {

  private static final String LISTENER = "explicit-proxy-test";
  private static final Duration WAIT = Duration.ofSeconds(10);

  /** What an origin saw of one request. */
  record Received(HttpWire.Head head, byte[] body) {}

  private RecordingActivityLog log;
  private ExplicitProxyServer proxy;
  private InetSocketAddress proxyAddress;

  @BeforeEach
  void startProxy() {
    log = new RecordingActivityLog();
    proxy = new ExplicitProxyServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
        Duration.ofSeconds(10), Duration.ofMinutes(5), log, LISTENER);
    proxyAddress = proxy.start();
  }

  @AfterEach
  void stopProxy() {
    proxy.close();
  }

  @Test
  void forwardsBodyBothWaysWithoutHopByHopFieldsAndWithVia() throws Exception {
    byte[] requestBody = ConnectTunnelTest.randomBytes(300_000, 5);
    byte[] responseBody = ConnectTunnelTest.randomBytes(200_000, 6);
    BlockingQueue<Received> received = new LinkedBlockingQueue<>();

    try (TestOrigin origin = new TestOrigin(connection -> {
      InputStream in = connection.getInputStream();
      HttpWire.Head head = HttpWire.readHead(in);
      received.add(new Received(head, HttpWire.readBody(in, head)));
      OutputStream out = connection.getOutputStream();
      out.write(ascii("HTTP/1.1 201 Created\r\n"
          + "Transfer-Encoding: chunked\r\n"
          + "Connection: keep-alive, X-Origin-Hop\r\n"
          + "X-Origin-Hop: for the proxy only\r\n"
          + "Keep-Alive: timeout=5\r\n"
          + "Proxy-Authenticate: Basic realm=\"origin\"\r\n"
          + "X-End-To-End: kept\r\n\r\n"));
      writeChunked(out, responseBody, 70_000);
      in.readAllBytes();
    })) {
      String target = "http://127.0.0.1:" + origin.port() + "/upload?name=x";
      try (Socket client = openClient()) {
        client.getOutputStream().write(ascii("POST " + target + " HTTP/1.1\r\n"
            + "Host: wrong.example\r\n"
            + "Content-Length: " + requestBody.length + "\r\n"
            + "Connection: keep-alive, X-Client-Hop\r\n"
            + "X-Client-Hop: for the proxy only\r\n"
            + "Proxy-Connection: keep-alive\r\n"
            + "Keep-Alive: 300\r\n"
            + "Proxy-Authorization: Basic c2VjcmV0OnNlY3JldA==\r\n"
            + "TE: trailers\r\n"
            + "Upgrade: websocket\r\n"
            + "X-End-To-End: kept\r\n\r\n"));
        client.getOutputStream().write(requestBody);

        InputStream in = client.getInputStream();
        HttpWire.Head response = HttpWire.readHead(in);
        assertEquals("HTTP/1.1 201 Created", response.startLine());
        assertEquals("1.1 gatehouse", response.header("via"));
        assertEquals("kept", response.header("x-end-to-end"));
        for (String hop : List.of("x-origin-hop", "keep-alive", "proxy-authenticate", "connection")) {
          assertFalse(response.names().contains(hop), hop + " reached the client: " + response);
        }
        assertEquals("chunked", response.header("transfer-encoding"));
        assertArrayEquals(responseBody, HttpWire.readBody(in, response));
      }

      Received request = received.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertEquals("POST /upload?name=x HTTP/1.1", request.head().startLine());
      assertEquals("127.0.0.1:" + origin.port(), request.head().header("host"));
      assertEquals("1.1 gatehouse", request.head().header("via"));
      assertEquals("kept", request.head().header("x-end-to-end"));
      for (String hop : List.of("connection", "x-client-hop", "proxy-connection", "keep-alive",
          "proxy-authorization", "te", "upgrade")) {
        assertFalse(request.head().names().contains(hop), hop + " reached the origin: " + request.head());
      }
      assertArrayEquals(requestBody, request.body());

      ActivityRecord end = log.awaitEnd(WAIT);
      assertEquals(CloseReason.CLIENT_CLOSED, end.closeReason());
      assertEquals(origin.address(), end.destination());
      assertTrue(end.bytesSent() > requestBody.length, end.toString());
      assertTrue(end.bytesReceived() > responseBody.length, end.toString());
      assertEquals("explicit-proxy", end.tunnelType());
      assertEquals(1, log.starts().size());
    }
  }

  @Test
  void keepsClientConnectionAndRedialsWhenTheOriginChanges() throws Exception {
    try (TestOrigin first = new TestOrigin(AbsoluteFormForwardingTest::answerEachRequest);
        TestOrigin second = new TestOrigin(AbsoluteFormForwardingTest::answerEachRequest)) {
      try (Socket client = openClient()) {
        InputStream in = client.getInputStream();
        assertEquals("/a", exchange(client, in, "http://127.0.0.1:" + first.port() + "/a"));
        assertEquals("/b", exchange(client, in, "http://127.0.0.1:" + first.port() + "/b"));
        assertEquals(0, log.ends().size(), "the first origin's flow is still open");

        assertEquals("/c", exchange(client, in, "http://127.0.0.1:" + second.port() + "/c"));
        ActivityRecord firstEnd = log.awaitEnd(WAIT);
        assertEquals(first.address(), firstEnd.destination());
        assertEquals(CloseReason.CLIENT_CLOSED, firstEnd.closeReason(), "the client moved on");
      }

      List<ActivityRecord> ends = log.awaitEnds(2, WAIT);
      assertEquals(second.address(), ends.get(1).destination());
      assertEquals(1, first.acceptedConnections(), "both requests to the first origin shared one connection");
      assertEquals(1, second.acceptedConnections());
      assertEquals(2, log.starts().size());
    }
  }

  @Test
  void forwardsToAnIpv6OriginWithABracketedHost() throws Exception {
    BlockingQueue<HttpWire.Head> received = new LinkedBlockingQueue<>();
    try (TestOrigin origin = new TestOrigin(InetAddress.getByName("::1"), connection -> {
      received.add(HttpWire.readHead(connection.getInputStream()));
      connection.getOutputStream().write(ascii("HTTP/1.1 204 No Content\r\n\r\n"));
      connection.getInputStream().readAllBytes();
    })) {
      try (Socket client = openClient()) {
        client.getOutputStream().write(ascii("GET http://[::1]:" + origin.port() + "/six HTTP/1.1\r\n"
            + "Host: x\r\n\r\n"));
        assertEquals(204, HttpWire.readHead(client.getInputStream()).status());
      }
      assertEquals("[::1]:" + origin.port(), received.poll(WAIT.toSeconds(), TimeUnit.SECONDS).header("host"));
    }
  }

  @Test
  void readsRequestHeadThatArrivesInPieces() throws Exception {
    try (TestOrigin origin = new TestOrigin(AbsoluteFormForwardingTest::answerEachRequest)) {
      try (Socket client = openClient()) {
        client.setTcpNoDelay(true);
        String request = "GET http://127.0.0.1:" + origin.port() + "/slow HTTP/1.1\r\nHost: x\r\n"
            + "X-Padding: " + "p".repeat(3000) + "\r\n\r\n";
        for (int offset = 0; offset < request.length(); offset += 700) {
          client.getOutputStream().write(ascii(request.substring(offset, Math.min(request.length(), offset + 700))));
          client.getOutputStream().flush();
          Thread.sleep(30);
        }
        HttpWire.Head head = HttpWire.readHead(client.getInputStream());
        assertEquals(200, head.status());
        assertEquals("/slow", new String(HttpWire.readBody(client.getInputStream(), head),
            StandardCharsets.US_ASCII));
      }
    }
  }

  @Test
  void answersBadRequestToOriginFormRequestAndCloses() throws Exception {
    try (Socket client = openClient()) {
      client.getOutputStream().write(ascii("GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
      HttpWire.Head head = HttpWire.readHead(client.getInputStream());
      assertEquals(400, head.status());
      assertEquals("close", head.header("connection"));
      HttpWire.readBody(client.getInputStream(), head);
      assertEquals(-1, client.getInputStream().read());
    }
    assertTrue(log.records().isEmpty(), "no flow was started: " + log.records());
  }

  @Test
  void answersBadRequestToMalformedRequestAndCloses() throws Exception {
    try (Socket client = openClient()) {
      client.getOutputStream().write(ascii(
          "GET http://127.0.0.1:1/ HTTP/1.1\r\nHost: 127.0.0.1\r\nno colon here\r\n\r\n"));
      HttpWire.Head head = HttpWire.readHead(client.getInputStream());
      assertEquals(400, head.status());
      HttpWire.readBody(client.getInputStream(), head);
      assertEquals(-1, client.getInputStream().read());
    }
  }

  @Test
  void answersUriTooLongToOversizedRequestLine() throws Exception {
    String longPath = "/" + "a".repeat(ExplicitProxyServer.MAX_INITIAL_LINE_BYTES);
    try (Socket client = openClient()) {
      client.getOutputStream().write(ascii(
          "GET http://127.0.0.1:1" + longPath + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
      assertEquals(414, HttpWire.readHead(client.getInputStream()).status());
    }
  }

  @Test
  void answersBadGatewayWhenOriginRefusesAndRecordsIt() throws Exception {
    int closedPort = ConnectTunnelTest.closedPort();
    try (Socket client = openClient()) {
      client.getOutputStream().write(ascii("GET http://127.0.0.1:" + closedPort + "/ HTTP/1.1\r\n"
          + "Host: 127.0.0.1\r\n\r\n"));
      assertEquals(502, HttpWire.readHead(client.getInputStream()).status());
    }
    ActivityRecord end = log.awaitEnd(WAIT);
    assertEquals(CloseReason.PROXY_CONN_REFUSED, end.closeReason());
    assertEquals(new InetSocketAddress("127.0.0.1", closedPort), end.destination());
  }

  @Test
  void endsBodyByClosingWhenTheOriginDelimitsItByClosing() throws Exception {
    try (TestOrigin origin = new TestOrigin(connection -> {
      HttpWire.readHead(connection.getInputStream());
      // RFC 9112 §6.3 (8): no length and no chunking, so the body runs to the close.
      connection.getOutputStream().write(ascii("HTTP/1.1 200 OK\r\n\r\nuntil the end"));
    })) {
      try (Socket client = openClient()) {
        client.getOutputStream().write(ascii("GET http://127.0.0.1:" + origin.port() + "/ HTTP/1.1\r\n"
            + "Host: x\r\n\r\n"));
        InputStream in = client.getInputStream();
        HttpWire.Head head = HttpWire.readHead(in);
        assertEquals("close", head.header("connection"));
        assertEquals("until the end", new String(in.readAllBytes(), StandardCharsets.US_ASCII));
      }
      assertEquals(CloseReason.ORIGIN_CLOSED, log.awaitEnd(WAIT).closeReason());
    }
  }

  @Test
  void sendsHttp10ClientTheBodyWithoutChunksAndCloses() throws Exception {
    try (TestOrigin origin = new TestOrigin(connection -> {
      HttpWire.Head request = HttpWire.readHead(connection.getInputStream());
      assertEquals("GET /old HTTP/1.1", request.startLine());
      OutputStream out = connection.getOutputStream();
      out.write(ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
      writeChunked(out, ascii("chunks for an old client"), 7);
      connection.getInputStream().readAllBytes();
    })) {
      try (Socket client = openClient()) {
        client.getOutputStream().write(ascii("GET http://127.0.0.1:" + origin.port() + "/old HTTP/1.0\r\n\r\n"));
        InputStream in = client.getInputStream();
        HttpWire.Head head = HttpWire.readHead(in);
        assertNull(head.header("transfer-encoding"), "RFC 9112 §6.1: no chunks to HTTP/1.0");
        assertEquals("chunks for an old client", new String(in.readAllBytes(), StandardCharsets.US_ASCII));
      }
    }
  }

  @Test
  void curlGetsThroughTheProxyWithoutProxyHeadersReachingTheOrigin() throws Exception {
    Curl.requireInstalled();
    BlockingQueue<HttpWire.Head> received = new LinkedBlockingQueue<>();
    try (TestOrigin origin = new TestOrigin(connection -> {
      HttpWire.Head head = HttpWire.readHead(connection.getInputStream());
      received.add(head);
      connection.getOutputStream().write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nplain!"));
      connection.getInputStream().readAllBytes();
    })) {
      Curl.Result result = Curl.run("-sS", "-x", "http://127.0.0.1:" + proxyAddress.getPort(),
          "-H", "Proxy-Connection: keep-alive", "http://127.0.0.1:" + origin.port() + "/page");
      assertEquals(0, result.exitCode(), result.stderr());
      assertEquals("plain!", result.stdout());

      HttpWire.Head head = received.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertEquals("GET /page HTTP/1.1", head.startLine());
      assertFalse(head.names().contains("proxy-connection"), head.toString());
      assertEquals("1.1 gatehouse", head.header("via"));
      assertEquals(CloseReason.CLIENT_CLOSED, log.awaitEnd(WAIT).closeReason());
    }
  }

  @Test
  void recordsExactlyTheBytesTheOriginSawEachWay() throws Exception {
    CompletableFuture<long[]> originCounts = new CompletableFuture<>();
    try (TestOrigin origin = new TestOrigin(connection -> {
      CountingInputStream in = new CountingInputStream(connection.getInputStream());
      long written = 0;
      for (HttpWire.Head head = HttpWire.readHead(in); head != null; head = HttpWire.readHead(in)) {
        HttpWire.readBody(in, head);
        byte[] response = ascii("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone");
        connection.getOutputStream().write(response);
        written += response.length;
      }
      originCounts.complete(new long[] {in.count, written});
    })) {
      try (Socket client = openClient()) {
        InputStream in = client.getInputStream();
        for (int i = 0; i < 3; i++) {
          client.getOutputStream().write(ascii("PUT http://127.0.0.1:" + origin.port() + "/" + i
              + " HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789"));
          HttpWire.Head head = HttpWire.readHead(in);
          assertEquals("done", new String(HttpWire.readBody(in, head), StandardCharsets.US_ASCII));
        }
      }

      long[] counts = originCounts.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      ActivityRecord end = log.awaitEnd(WAIT);
      assertEquals(counts[0], end.bytesSent(), "bytes the origin read");
      assertEquals(counts[1], end.bytesReceived(), "bytes the origin wrote");
      assertTrue(end.packetsSent() >= 3 && end.packetsReceived() >= 3, end.toString());
    }
  }

  @Test
  void relaysInterimContinueBeforeTheClientSendsItsBody() throws Exception {
    try (TestOrigin origin = new TestOrigin(connection -> {
      InputStream in = connection.getInputStream();
      HttpWire.Head head = HttpWire.readHead(in);
      assertEquals("100-continue", head.header("expect"));
      connection.getOutputStream().write(ascii("HTTP/1.1 100 Continue\r\n\r\n"));
      byte[] body = HttpWire.readBody(in, head);
      connection.getOutputStream().write(ascii("HTTP/1.1 200 OK\r\nContent-Length: " + body.length
          + "\r\n\r\n"));
      connection.getOutputStream().write(body);
      in.readAllBytes();
    })) {
      try (Socket client = openClient()) {
        InputStream in = client.getInputStream();
        client.getOutputStream().write(ascii("POST http://127.0.0.1:" + origin.port() + "/ HTTP/1.1\r\n"
            + "Host: x\r\nExpect: 100-continue\r\nContent-Length: 7\r\n\r\n"));
        assertEquals(100, HttpWire.readHead(in).status(), "the body waits for the 100");
        client.getOutputStream().write(ascii("payload"));
        HttpWire.Head head = HttpWire.readHead(in);
        assertEquals(200, head.status());
        assertEquals("payload", new String(HttpWire.readBody(in, head), StandardCharsets.US_ASCII));
      }
    }
  }

  @Test
  void answersBadGatewayWhenOriginClosesWithoutAnswering() throws Exception {
    try (TestOrigin origin = new TestOrigin(connection -> HttpWire.readHead(connection.getInputStream()))) {
      try (Socket client = openClient()) {
        client.getOutputStream().write(ascii("GET http://127.0.0.1:" + origin.port() + "/ HTTP/1.1\r\n"
            + "Host: x\r\n\r\n"));
        assertEquals(502, HttpWire.readHead(client.getInputStream()).status());
      }
      assertEquals(CloseReason.ORIGIN_CLOSED, log.awaitEnd(WAIT).closeReason());
    }
  }

  @Test
  void closesTheClientWhenTheOriginCutsItsResponseShort() throws Exception {
    try (TestOrigin origin = new TestOrigin(connection -> {
      HttpWire.readHead(connection.getInputStream());
      connection.getOutputStream().write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part"));
    })) {
      try (Socket client = openClient()) {
        client.getOutputStream().write(ascii("GET http://127.0.0.1:" + origin.port() + "/ HTTP/1.1\r\n"
            + "Host: x\r\n\r\n"));
        InputStream in = client.getInputStream();
        assertEquals(200, HttpWire.readHead(in).status());
        assertEquals("only part", new String(in.readAllBytes(), StandardCharsets.US_ASCII),
            "the client learns of the cut by the close");
      }
      assertEquals(CloseReason.ORIGIN_CLOSED, log.awaitEnd(WAIT).closeReason());
    }
  }

  @Test
  void answersBadGatewayWhenOriginAnswersGarbage() throws Exception {
    try (TestOrigin origin = new TestOrigin(connection -> {
      HttpWire.readHead(connection.getInputStream());
      connection.getOutputStream().write(ascii("SSH-2.0-OpenSSH_9.2\r\n\r\n"));
      connection.getInputStream().readAllBytes();
    })) {
      try (Socket client = openClient()) {
        client.getOutputStream().write(ascii("GET http://127.0.0.1:" + origin.port() + "/ HTTP/1.1\r\n"
            + "Host: x\r\n\r\n"));
        assertEquals(502, HttpWire.readHead(client.getInputStream()).status());
      }
      assertEquals(CloseReason.ORIGIN_ERROR, log.awaitEnd(WAIT).closeReason());
    }
  }

  @Test
  void closesIdleKeepAliveClientAndRecordsIdleTimeout() throws Exception {
    RecordingActivityLog idleLog = new RecordingActivityLog();
    try (ExplicitProxyServer idleProxy = new ExplicitProxyServer(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            Duration.ofSeconds(5), Duration.ofMillis(300), idleLog, LISTENER);
        TestOrigin origin = new TestOrigin(AbsoluteFormForwardingTest::answerEachRequest)) {
      InetSocketAddress address = idleProxy.start();
      try (Socket client = new Socket(address.getAddress(), address.getPort())) {
        client.setSoTimeout((int) WAIT.toMillis());
        assertEquals("/idle", exchange(client, client.getInputStream(),
            "http://127.0.0.1:" + origin.port() + "/idle"));
        assertEquals(-1, client.getInputStream().read(), "closed once idle");
      }
      assertEquals(CloseReason.CLIENT_IDLE_TIMEOUT, idleLog.awaitEnd(WAIT).closeReason());
    }
  }

  @Test
  void closingTheServerEndsOpenKeepAliveFlowsWithProxyShutdown() throws Exception {
    try (TestOrigin origin = new TestOrigin(AbsoluteFormForwardingTest::answerEachRequest)) {
      try (Socket client = openClient()) {
        assertEquals("/kept", exchange(client, client.getInputStream(),
            "http://127.0.0.1:" + origin.port() + "/kept"));
        proxy.close();

        List<ActivityRecord> ends = log.ends();
        assertEquals(1, ends.size(), "the record is written before close() returns");
        assertEquals(CloseReason.PROXY_SHUTDOWN, ends.get(0).closeReason());
        assertEquals(-1, client.getInputStream().read());
      }
    }
  }

  @Test
  void answersHeadRequestsWithoutBody() throws Exception {
    try (TestOrigin origin = new TestOrigin(connection -> {
      InputStream in = connection.getInputStream();
      for (HttpWire.Head head = HttpWire.readHead(in); head != null; head = HttpWire.readHead(in)) {
        boolean isHead = head.startLine().startsWith("HEAD");
        connection.getOutputStream().write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
            + (isHead ? "" : "after")));
      }
    })) {
      try (Socket client = openClient()) {
        InputStream in = client.getInputStream();
        String target = "http://127.0.0.1:" + origin.port() + "/";
        client.getOutputStream().write(ascii("HEAD " + target + " HTTP/1.1\r\nHost: x\r\n\r\n"
            + "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n"));
        HttpWire.Head head = HttpWire.readHead(in);
        assertEquals("5", head.header("content-length"));
        HttpWire.Head get = HttpWire.readHead(in);
        assertEquals(200, get.status(), "the pipelined GET follows the bodiless HEAD answer");
        assertEquals("after", new String(HttpWire.readBody(in, get), StandardCharsets.US_ASCII));
      }
    }
  }

  // --- helpers --------------------------------------------------------------------------

  /** Counts what was read through it. */
  private static final class CountingInputStream extends FilterInputStream {
    long count;

    CountingInputStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      count += b >= 0 ? 1 : 0;
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int n = super.read(buffer, offset, length);
      count += Math.max(n, 0);
      return n;
    }
  }

  private Socket openClient() throws IOException {
    Socket client = new Socket(proxyAddress.getAddress(), proxyAddress.getPort());
    client.setSoTimeout((int) WAIT.toMillis());
    return client;
  }

  /** Sends a GET for {@code target} and returns the body, which the origin sets to the path. */
  private static String exchange(Socket client, InputStream in, String target) throws IOException {
    client.getOutputStream().write(ascii("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    HttpWire.Head head = HttpWire.readHead(in);
    assertEquals(200, head.status());
    return new String(HttpWire.readBody(in, head), StandardCharsets.US_ASCII);
  }

  /** An origin that answers every request on the connection with its own path. */
  private static void answerEachRequest(Socket connection) throws IOException {
    InputStream in = connection.getInputStream();
    for (HttpWire.Head head = HttpWire.readHead(in); head != null; head = HttpWire.readHead(in)) {
      byte[] path = ascii(head.startLine().split(" ")[1]);
      connection.getOutputStream().write(ascii("HTTP/1.1 200 OK\r\nContent-Length: " + path.length
          + "\r\n\r\n"));
      connection.getOutputStream().write(path);
    }
  }

  private static void writeChunked(OutputStream out, byte[] body, int chunkBytes) throws IOException {
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    for (int offset = 0; offset < body.length; offset += chunkBytes) {
      int length = Math.min(chunkBytes, body.length - offset);
      wire.write(ascii(Integer.toHexString(length) + "\r\n"));
      wire.write(body, offset, length);
      wire.write(ascii("\r\n"));
    }
    wire.write(ascii("0\r\n\r\n"));
    out.write(wire.toByteArray());
  }
}
