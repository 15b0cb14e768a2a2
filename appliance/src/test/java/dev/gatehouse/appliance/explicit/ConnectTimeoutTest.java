package dev.gatehouse.appliance.explicit;

import static dev.gatehouse.appliance.testing.HttpWire.ascii;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.appliance.testing.BlackholeNamespace;
import dev.gatehouse.appliance.testing.HttpWire;
import dev.gatehouse.core.testing.FlowTestKit.RecordingActivityLog;
import dev.gatehouse.core.log.ActivityRecord;
import dev.gatehouse.core.log.CloseReason;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The connect timeout, against an origin whose SYNs vanish (a namespace with a drop
 * rule): the client gets 504 once the timeout passed, and not before.
 */
class ConnectTimeoutTest {

  private static final Duration CONNECT_TIMEOUT = Duration.ofMillis(700);
  /** How late the 504 may come: scheduling on a loaded two-core machine. */
  private static final Duration SLACK = Duration.ofSeconds(3);

  private static BlackholeNamespace blackhole;

  private RecordingActivityLog log;
  private ExplicitProxyServer proxy;
  private InetSocketAddress proxyAddress;
  private String unansweredOrigin;

  @BeforeAll
  static void createBlackhole() throws Exception {
    assertTrue(BlackholeNamespace.canCreate(),
        "a connect timeout needs a namespace that drops SYNs: run as root with ip and nft (scripts/provision)");
    blackhole = BlackholeNamespace.create();
  }

  @AfterAll
  static void removeBlackhole() throws Exception {
    if (blackhole != null) {
      blackhole.close();
    }
  }

  @BeforeEach
  void startProxy() {
    log = new RecordingActivityLog();
    proxy = new ExplicitProxyServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
        CONNECT_TIMEOUT, Duration.ofMinutes(1), log, "explicit-proxy-test");
    proxyAddress = proxy.start();
    unansweredOrigin = blackhole.address().getHostAddress() + ":" + BlackholeNamespace.DROPPED_PORT;
  }

  @AfterEach
  void stopProxy() {
    proxy.close();
  }

  @Test
  void answersGatewayTimeoutToConnectAfterTheTimeoutAndNotBefore() throws Exception {
    assertGatewayTimeout("CONNECT " + unansweredOrigin + " HTTP/1.1\r\nHost: " + unansweredOrigin + "\r\n\r\n");
  }

  @Test
  void answersGatewayTimeoutToForwardedRequestAfterTheTimeout() throws Exception {
    assertGatewayTimeout("GET http://" + unansweredOrigin + "/ HTTP/1.1\r\nHost: x\r\n\r\n");
  }

  private void assertGatewayTimeout(String request) throws Exception {
    try (Socket client = new Socket(proxyAddress.getAddress(), proxyAddress.getPort())) {
      client.setSoTimeout((int) (CONNECT_TIMEOUT.plus(SLACK).toMillis() * 2));
      long sentNanos = System.nanoTime();
      client.getOutputStream().write(ascii(request));
      HttpWire.Head head = HttpWire.readHead(client.getInputStream());
      long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sentNanos);

      assertEquals(504, head.status());
      assertTrue(waitedMillis >= CONNECT_TIMEOUT.toMillis(), "answered after " + waitedMillis + " ms");
      assertTrue(waitedMillis < CONNECT_TIMEOUT.plus(SLACK).toMillis(), "answered after " + waitedMillis + " ms");
    }

    ActivityRecord end = log.awaitEnd(Duration.ofSeconds(10));
    assertEquals(CloseReason.ORIGIN_UNREACHABLE, end.closeReason());
    assertEquals(new InetSocketAddress(blackhole.address(), BlackholeNamespace.DROPPED_PORT), end.destination());
    assertTrue(log.starts().isEmpty());
  }
}
