package dev.gatehouse.core.linux;

import static dev.gatehouse.core.linux.IsolatedThreads.inFreshNetworkNamespace;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * ICMP ping sockets, each test in a network namespace of its own, so that the
 * {@code net.ipv4.ping_group_range} it sets is its own too.
 */
class PingSocketTest {

  private static final byte[] PAYLOAD = "gatehouse echo".getBytes(StandardCharsets.US_ASCII);

  @Test
  void echoesOverIpv4Loopback() throws Exception {
    inFreshNetworkNamespace(() -> {
      allowPingSockets();
      InetAddress loopback = InetAddress.getByName("127.0.0.1");
      try (PingSocket socket = PingSocket.open(StandardProtocolFamily.INET)) {
        socket.bind(loopback);
        socket.setReceiveTimeout(5000);

        assertEchoReply(socket, loopback, 0, 7);
      }
      return null;
    });
  }

  @Test
  void echoesOverIpv6Loopback() throws Exception {
    inFreshNetworkNamespace(() -> {
      allowPingSockets();
      InetAddress loopback = InetAddress.getByName("::1");
      try (PingSocket socket = PingSocket.open(StandardProtocolFamily.INET6)) {
        socket.bind(loopback);
        socket.setReceiveTimeout(5000);

        assertEchoReply(socket, loopback, 129, 0xfffe);
      }
      return null;
    });
  }

  @Test
  void echoesThroughBoundDevice() throws Exception {
    inFreshNetworkNamespace(() -> {
      allowPingSockets();
      try (PingSocket socket = PingSocket.open(StandardProtocolFamily.INET)) {
        socket.bindToDevice("lo");
        socket.setNonBlocking(true);

        assertTrue(socket.sendEchoRequest(
            InetAddress.getByName("127.0.0.1"), 1, ByteBuffer.wrap(PAYLOAD)));
        assertTrue(socket.awaitReadable(5000));
        assertEquals(InetAddress.getByName("127.0.0.1"),
            socket.receiveEchoReply(ByteBuffer.allocate(256)));
      }
      return null;
    });
  }

  @Test
  void returnsNullWhenReceiveTimesOut() throws Exception {
    inFreshNetworkNamespace(() -> {
      allowPingSockets();
      try (PingSocket socket = PingSocket.open(StandardProtocolFamily.INET)) {
        socket.bind(InetAddress.getByName("127.0.0.1"));
        socket.setReceiveTimeout(100);

        long startNanos = System.nanoTime();
        assertNull(socket.receiveEchoReply(ByteBuffer.allocate(256)));
        long waitedMillis = (System.nanoTime() - startNanos) / 1_000_000;
        assertTrue(waitedMillis >= 90, "waited only " + waitedMillis + " ms");
      }
      return null;
    });
  }

  @Test
  void explainsPingGroupRangeWhenOpenIsRefused() throws Exception {
    long effectiveGid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:gid");
    inFreshNetworkNamespace(() -> {
      Files.writeString(PingSocket.PING_GROUP_RANGE, "1 0");

      for (StandardProtocolFamily family : StandardProtocolFamily.values()) {
        if (family == StandardProtocolFamily.UNIX) {
          continue;
        }
        NativeException e =
            assertThrows(NativeException.class, () -> PingSocket.open(family));
        assertEquals("EACCES", e.errnoName());
        String message = e.getMessage();
        assertTrue(message.contains("net.ipv4.ping_group_range, which is \"1 0\""), message);
        assertTrue(message.contains("effective gid " + effectiveGid), message);
        assertTrue(message.contains("sysctl -w net.ipv4.ping_group_range=\""
            + effectiveGid + " " + effectiveGid + "\""), message);
      }

      // the advice, followed, works
      Files.writeString(PingSocket.PING_GROUP_RANGE, effectiveGid + " " + effectiveGid);
      PingSocket.open(StandardProtocolFamily.INET).close();
      return null;
    });
  }

  @Test
  void blamesSomethingElseWhenRangeAlreadyIncludesTheGroup() {
    String advice = PingSocket.pingGroupAdvice("0\t10\n", List.of(5L, 20L));

    assertTrue(advice.contains("\"0 10\", which includes"), advice);
    assertTrue(advice.contains("LSM"), advice);
  }

  @Test
  void rejectsSequenceOutsideSixteenBits() throws Exception {
    inFreshNetworkNamespace(() -> {
      allowPingSockets();
      try (PingSocket socket = PingSocket.open(StandardProtocolFamily.INET)) {
        assertThrows(IllegalArgumentException.class, () -> socket.sendEchoRequest(
            InetAddress.getByName("127.0.0.1"), 0x10000, ByteBuffer.wrap(PAYLOAD)));
      }
      return null;
    });
  }

  private static void assertEchoReply(
      PingSocket socket, InetAddress loopback, int replyType, int sequence) throws Exception {
    int identifier = socket.identifier();
    assertTrue(identifier > 0, "the kernel gives a bound socket an echo id");

    ByteBuffer payload = ByteBuffer.wrap(PAYLOAD);
    assertTrue(socket.sendEchoRequest(loopback, sequence, payload));
    assertEquals(PAYLOAD.length, payload.position());

    ByteBuffer reply = ByteBuffer.allocateDirect(256);
    assertEquals(loopback, socket.receiveEchoReply(reply));
    reply.flip();
    assertEquals(PingSocket.ECHO_HEADER_BYTES + PAYLOAD.length, reply.remaining());
    assertEquals(replyType, Byte.toUnsignedInt(reply.get(PingSocket.TYPE_OFFSET)));
    assertEquals(identifier, Short.toUnsignedInt(reply.getShort(PingSocket.IDENTIFIER_OFFSET)));
    assertEquals(sequence, Short.toUnsignedInt(reply.getShort(PingSocket.SEQUENCE_OFFSET)));
    byte[] data = new byte[PAYLOAD.length];
    reply.get(PingSocket.ECHO_HEADER_BYTES, data);
    assertArrayEquals(PAYLOAD, data);
  }

  private static void allowPingSockets() throws Exception {
    // Written from the namespace's own thread, so it is that namespace's setting.
    Files.writeString(PingSocket.PING_GROUP_RANGE, "0 2147483647");
  }
}
