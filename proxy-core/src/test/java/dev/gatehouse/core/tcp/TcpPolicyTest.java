package dev.gatehouse.core.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.flow.DropCounters;
import dev.gatehouse.core.flow.FlowDispatcher;
import dev.gatehouse.core.flow.Transport;
import dev.gatehouse.core.log.ActivityRecord;
import dev.gatehouse.core.log.CloseReason;
import dev.gatehouse.core.policy.Policies;
import dev.gatehouse.core.policy.Policy;
import dev.gatehouse.core.policy.PolicyAction;
import dev.gatehouse.core.policy.PolicySet;
import dev.gatehouse.core.policy.expr.Expression;
import dev.gatehouse.core.tcp.TunnelTcpClient.Segment;
import dev.gatehouse.core.testing.FlowTestKit;
import dev.gatehouse.core.testing.FlowTestKit.RecordingActivityLog;
import dev.gatehouse.core.testing.FlowTestKit.RecordingReturnPath;
import dev.gatehouse.core.wire.TcpSegment;
import io.netty.channel.EventLoopGroup;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Network policies on TCP flows, with real origins on loopback: decided on the SYN before
 * any dial, or after inspecting the client's first bytes with the origin seeing none of
 * them until the verdict allows it.
 */
class TcpPolicyTest {
  private static final int CLIENT_PORT = 41000;

  private final RecordingReturnPath returnPath = new RecordingReturnPath();
  private final RecordingActivityLog activityLog = new RecordingActivityLog();
  private final InetAddress client = address("198.18.0.2");
  private final InetAddress origin = address("127.0.0.1");
  private EventLoopGroup loops;
  private FlowDispatcher dispatcher;
  private Policies policies;

  private void start(Duration inspectionTimeout, Policy... rules) {
    policies = new Policies(PolicySet.of(List.of(rules), PolicyAction.ALLOW), inspectionTimeout);
    loops = FlowTestKit.loops("epoll", 2);
    dispatcher = new FlowDispatcher(loops,
        Map.of(Transport.TCP, new TcpEngine(TcpProxySettings.defaults(), activityLog, policies)),
        returnPath, new DropCounters(), policies);
  }

  @AfterEach
  void stop() throws Exception {
    if (dispatcher != null) {
      dispatcher.close();
    }
    if (loops != null) {
      loops.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
    }
    returnPath.releaseAll();
  }

  @Test
  void blockedOnTheSynGetsResetAndTheOriginIsNeverDialed() throws Exception {
    try (ServerSocket listener = listener()) {
      start(Duration.ofSeconds(3), rule("no-port", "net.dst.port == " + listener.getLocalPort(), PolicyAction.BLOCK));
      TunnelTcpClient tcp = client(listener.getLocalPort());
      tcp.syn();

      Segment reset = Segment.read(returnPath.take());
      assertEquals(TcpSegment.FLAG_RST | TcpSegment.FLAG_ACK, reset.flags());
      assertEquals(TunnelTcpClient.CLIENT_ISN + 1, reset.ack());
      listener.setSoTimeout(300);
      assertThrows(SocketTimeoutException.class, listener::accept, "the origin was dialed");

      ActivityRecord record = activityLog.awaitEnd(Duration.ofSeconds(5));
      assertEquals(CloseReason.POLICY_BLOCKED, record.closeReason());
      assertEquals("no-port", record.policyName());
      assertEquals("block", record.policyAction());
      assertEquals(0, record.bytesSent());
    }
  }

  @Test
  void sniBlockResetsBothSidesAndTheOriginGetsNoneOfTheClientHello() throws Exception {
    try (ServerSocket listener = listener()) {
      start(Duration.ofSeconds(3), rule("no-sni", "net.sni.host == \"blocked.example\"", PolicyAction.BLOCK));
      TunnelTcpClient tcp = client(listener.getLocalPort());
      tcp.syn();
      try (Socket accepted = listener.accept()) {
        tcp.completeHandshake();
        byte[] hello = clientHello("Blocked.Example");
        int half = hello.length / 2;
        tcp.write(Arrays.copyOfRange(hello, 0, half));
        tcp.write(Arrays.copyOfRange(hello, half, hello.length));

        tcp.nextWith(TcpSegment.FLAG_RST);
        assertArrayEquals(new byte[0], readAll(accepted), "the origin saw client bytes");
        ActivityRecord record = activityLog.awaitEnd(Duration.ofSeconds(5));
        assertEquals(CloseReason.POLICY_BLOCKED, record.closeReason());
        assertEquals(0, record.bytesSent());
        assertEquals("tls", record.detectedProtocol());
        assertEquals("blocked.example", record.sni());
        assertEquals("no-sni", record.policyName());
        assertTrue(record.policyDecisionNanos() > 0);
      }
    }
  }

  @Test
  void allowedAfterInspectionTheHeldBytesReachTheOriginInOrder() throws Exception {
    try (ServerSocket listener = listener()) {
      start(Duration.ofSeconds(3), rule("no-host", "http.request.host == \"blocked.example\"", PolicyAction.BLOCK));
      TunnelTcpClient tcp = client(listener.getLocalPort());
      tcp.syn();
      try (Socket accepted = listener.accept()) {
        tcp.completeHandshake();
        byte[] request = "GET / HTTP/1.1\r\nHost: fine.example\r\nUser-Agent: t\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII);
        tcp.write(Arrays.copyOfRange(request, 0, 9));
        tcp.write(Arrays.copyOfRange(request, 9, request.length));

        InputStream in = accepted.getInputStream();
        assertArrayEquals(request, in.readNBytes(request.length));
        accepted.getOutputStream().write("HTTP/1.1 204 No Content\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertTrue(new String(tcp.nextWithPayload().payload(), StandardCharsets.US_ASCII).startsWith("HTTP/1.1 204"));
        dispatcher.close();
        ActivityRecord record = activityLog.awaitEnd(Duration.ofSeconds(5));
        assertEquals("fine.example", record.httpHost());
        assertEquals("http", record.detectedProtocol());
        assertEquals("allow", record.policyAction());
        assertEquals(request.length, record.bytesSent());
      }
    }
  }

  @Test
  void aSilentClientIsDecidedOnWhatIsKnownWhenInspectionTimesOut() throws Exception {
    try (ServerSocket listener = listener()) {
      start(Duration.ofMillis(300),
          rule("tls-only", "net.detected_protocol == \"tls\"", PolicyAction.ALLOW),
          rule("rest", "net.dst.port == " + listener.getLocalPort(), PolicyAction.BLOCK));
      TunnelTcpClient tcp = client(listener.getLocalPort());
      tcp.syn();
      try (Socket accepted = listener.accept()) {
        tcp.completeHandshake();
        // the client waits for a greeting that the verdict will not let it have
        tcp.nextWith(TcpSegment.FLAG_RST);
        ActivityRecord record = activityLog.awaitEnd(Duration.ofSeconds(5));
        assertEquals(CloseReason.POLICY_BLOCKED, record.closeReason());
        assertArrayEquals(new byte[0], readAll(accepted));
      }
    }
  }

  @Test
  void overrideOnTheSynDialsTheOtherOrigin() throws Exception {
    try (ServerSocket asked = listener(); ServerSocket other = listener()) {
      start(Duration.ofSeconds(3), new Policy("move", Expression.compile("net.dst.port == " + asked.getLocalPort()),
          PolicyAction.OVERRIDE, origin, other.getLocalPort(), false));
      TunnelTcpClient tcp = client(asked.getLocalPort());
      tcp.syn();
      try (Socket accepted = other.accept()) {
        tcp.completeHandshake();
        tcp.write("hello".getBytes(StandardCharsets.US_ASCII));
        assertEquals("hello", new String(accepted.getInputStream().readNBytes(5), StandardCharsets.US_ASCII));
        asked.setSoTimeout(200);
        assertThrows(SocketTimeoutException.class, asked::accept);
      }
    }
  }

  @Test
  void overrideAfterInspectionMovesTheHeldBytesToTheOtherOrigin() throws Exception {
    try (ServerSocket asked = listener(); ServerSocket other = listener()) {
      start(Duration.ofSeconds(3), new Policy("move", Expression.compile("http.request.host == \"moved.example\""),
          PolicyAction.OVERRIDE, origin, other.getLocalPort(), false));
      TunnelTcpClient tcp = client(asked.getLocalPort());
      tcp.syn();
      try (Socket first = asked.accept()) {
        tcp.completeHandshake();
        byte[] request = "GET / HTTP/1.1\r\nHost: moved.example\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        tcp.write(request);
        try (Socket moved = other.accept()) {
          assertArrayEquals(request, moved.getInputStream().readNBytes(request.length));
        }
        assertArrayEquals(new byte[0], readAll(first), "the first origin saw client bytes");
        dispatcher.close();
        ActivityRecord record = activityLog.awaitEnd(Duration.ofSeconds(5));
        assertEquals("override", record.policyAction());
        assertEquals(other.getLocalPort(), record.overrideDestination().getPort());
      }
    }
  }

  @Test
  void aReloadEndsEstablishedFlowsOnlyForPoliciesMarkedSo() throws Exception {
    try (ServerSocket listener = listener()) {
      start(Duration.ofSeconds(3));
      TunnelTcpClient tcp = client(listener.getLocalPort());
      tcp.syn();
      try (Socket accepted = listener.accept()) {
        tcp.completeHandshake();
        tcp.write("one".getBytes(StandardCharsets.US_ASCII));
        assertEquals("one", new String(accepted.getInputStream().readNBytes(3), StandardCharsets.US_ASCII));

        String selector = "net.dst.port == " + listener.getLocalPort();
        policies.replace(PolicySet.of(List.of(rule("later", selector, PolicyAction.BLOCK)), PolicyAction.ALLOW));
        tcp.write("two".getBytes(StandardCharsets.US_ASCII));
        assertEquals("two", new String(accepted.getInputStream().readNBytes(3), StandardCharsets.US_ASCII));

        policies.replace(PolicySet.of(List.of(new Policy("now", Expression.compile(selector), PolicyAction.BLOCK,
            null, 0, true)), PolicyAction.ALLOW));
        tcp.nextWith(TcpSegment.FLAG_RST);
        ActivityRecord record = activityLog.awaitEnd(Duration.ofSeconds(5));
        assertEquals(CloseReason.POLICY_BLOCKED, record.closeReason());
        assertNotEquals(0, record.bytesSent());
      }
    }
  }

  private TunnelTcpClient client(int port) {
    return new TunnelTcpClient(dispatcher, returnPath, client, CLIENT_PORT, origin, port);
  }

  private ServerSocket listener() throws Exception {
    return new ServerSocket(0, 4, origin);
  }

  /** Everything the origin receives until the proxy closes or resets its side. */
  private static byte[] readAll(Socket accepted) throws Exception {
    accepted.setSoTimeout(5_000);
    try {
      return accepted.getInputStream().readAllBytes();
    } catch (java.net.SocketException reset) {
      return new byte[0]; // reset before any byte arrived: readAllBytes would have kept them
    }
  }

  private static Policy rule(String name, String selector, PolicyAction action) throws Exception {
    return Policy.of(name, Expression.compile(selector), action);
  }

  /** A real ClientHello, as the JDK's TLS client writes it, naming {@code host}. */
  static byte[] clientHello(String host) throws Exception {
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, null, null);
    SSLEngine engine = context.createSSLEngine(host, 443);
    engine.setUseClientMode(true);
    SSLParameters parameters = engine.getSSLParameters();
    parameters.setServerNames(List.of(new SNIHostName(host)));
    engine.setSSLParameters(parameters);
    ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
    engine.beginHandshake();
    engine.wrap(ByteBuffer.allocate(0), out);
    out.flip();
    byte[] bytes = new byte[out.remaining()];
    out.get(bytes);
    return bytes;
  }

  private static InetAddress address(String text) {
    try {
      return InetAddress.getByName(text);
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
