package dev.gatehouse.core.linux;

import static dev.gatehouse.core.linux.IsolatedThreads.inFreshNetworkNamespace;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import org.junit.jupiter.api.Test;

/** Raw sockets on the loopback of a network namespace each test makes for itself. */
class RawSocketTest {

  private static final int GRE = 47;
  private static final int IPV4_HEADER_BYTES = 20;

  /** A GRE header (RFC 2784 §2: no flags, version 0, protocol 0x0800) and 8 inner bytes. */
  private static final byte[] GRE_PACKET = {
      0x00, 0x00, 0x08, 0x00,
      0x45, 0x00, 0x00, 0x08, 0x12, 0x34, 0x56, 0x78
  };

  @Test
  void receivesOwnIpv4PacketWithItsIpHeader() throws Exception {
    inFreshNetworkNamespace(() -> {
      InetAddress loopback = InetAddress.getByName("127.0.0.1");
      try (RawSocket socket = RawSocket.open(StandardProtocolFamily.INET, GRE)) {
        socket.bind(loopback);

        assertEquals(GRE_PACKET.length, socket.send(ByteBuffer.wrap(GRE_PACKET), loopback));
        ByteBuffer received = ByteBuffer.allocateDirect(2048);
        InetAddress source = socket.receive(received);
        received.flip();

        assertEquals(loopback, source);
        assertEquals(IPV4_HEADER_BYTES + GRE_PACKET.length, received.remaining());
        assertEquals(0x45, received.get(0), "version 4, IHL 5 (RFC 791 §3.1)");
        assertEquals(IPV4_HEADER_BYTES + GRE_PACKET.length, received.getShort(2));
        assertEquals(GRE, received.get(9));
        assertArrayEquals(loopback.getAddress(), bytes(received, 12, 4));
        assertArrayEquals(loopback.getAddress(), bytes(received, 16, 4));
        assertArrayEquals(GRE_PACKET, bytes(received, IPV4_HEADER_BYTES, GRE_PACKET.length));
      }
      return null;
    });
  }

  @Test
  void receivesOwnIpv6PacketWithoutHeader() throws Exception {
    inFreshNetworkNamespace(() -> {
      InetAddress loopback = InetAddress.getByName("::1");
      try (RawSocket socket = RawSocket.open(StandardProtocolFamily.INET6, GRE)) {
        socket.bind(loopback);

        socket.send(ByteBuffer.wrap(GRE_PACKET), loopback);
        ByteBuffer received = ByteBuffer.allocateDirect(2048);
        InetAddress source = socket.receive(received);
        received.flip();

        assertEquals(loopback, source);
        assertArrayEquals(GRE_PACKET, bytes(received, 0, received.remaining()));
      }
      return null;
    });
  }

  @Test
  void movesBuffersPastWhatWasSentAndReceived() throws Exception {
    inFreshNetworkNamespace(() -> {
      InetAddress loopback = InetAddress.getByName("::1");
      try (RawSocket socket = RawSocket.open(StandardProtocolFamily.INET6, GRE)) {
        ByteBuffer heapPayload = ByteBuffer.allocate(40).position(10);
        heapPayload.put(GRE_PACKET).flip().position(10);
        socket.send(heapPayload, loopback);
        assertEquals(heapPayload.limit(), heapPayload.position());

        ByteBuffer heapReceived = ByteBuffer.allocate(64).position(5);
        socket.receive(heapReceived);
        assertEquals(5 + GRE_PACKET.length, heapReceived.position());
        assertArrayEquals(GRE_PACKET, bytes(heapReceived, 5, GRE_PACKET.length));
      }
      return null;
    });
  }

  @Test
  void returnsSameSourceInstanceForSamePeer() throws Exception {
    inFreshNetworkNamespace(() -> {
      InetAddress loopback = InetAddress.getByName("127.0.0.1");
      try (RawSocket socket = RawSocket.open(StandardProtocolFamily.INET, GRE)) {
        socket.send(ByteBuffer.wrap(GRE_PACKET), loopback);
        socket.send(ByteBuffer.wrap(GRE_PACKET), loopback);

        InetAddress first = socket.receive(ByteBuffer.allocateDirect(2048));
        InetAddress second = socket.receive(ByteBuffer.allocateDirect(2048));
        assertEquals(loopback, first);
        assertSame(first, second);
      }
      return null;
    });
  }

  @Test
  void sendsAndReceivesWithoutAllocatingOnceWarm() throws Exception {
    inFreshNetworkNamespace(() -> {
      InetAddress loopback = InetAddress.getByName("127.0.0.1");
      try (RawSocket socket = RawSocket.open(StandardProtocolFamily.INET, GRE)) {
        ByteBuffer payload = ByteBuffer.allocateDirect(GRE_PACKET.length).put(GRE_PACKET);
        ByteBuffer received = ByteBuffer.allocateDirect(2048);
        int packetsPerRound = 10_000;

        long allocatedBytes = Allocations.fewestBytesPerRound(30, () -> {
          for (int i = 0; i < packetsPerRound; i++) {
            socket.send(payload.flip(), loopback);
            received.clear();
            socket.receive(received);
          }
        });

        assertTrue(allocatedBytes < packetsPerRound,
            allocatedBytes + " bytes allocated by " + packetsPerRound + " packets");
      }
      return null;
    });
  }

  @Test
  void returnsNullWhenNonBlockingAndNothingWaits() throws Exception {
    inFreshNetworkNamespace(() -> {
      try (RawSocket socket = RawSocket.open(StandardProtocolFamily.INET, GRE)) {
        socket.setNonBlocking(true);

        assertFalse(socket.awaitReadable(0));
        assertNull(socket.receive(ByteBuffer.allocateDirect(2048)));
        socket.send(ByteBuffer.wrap(GRE_PACKET), InetAddress.getByName("127.0.0.1"));
        assertTrue(socket.awaitReadable(1000));
        assertEquals(InetAddress.getByName("127.0.0.1"),
            socket.receive(ByteBuffer.allocateDirect(2048)));
      }
      return null;
    });
  }

  @Test
  void receivesOnlyFromBoundDevice() throws Exception {
    inFreshNetworkNamespace(() -> {
      InetAddress loopback = InetAddress.getByName("127.0.0.1");
      try (RawSocket onLoopback = RawSocket.open(StandardProtocolFamily.INET, GRE)) {
        onLoopback.bindToDevice("lo");
        onLoopback.send(ByteBuffer.wrap(GRE_PACKET), loopback);
        assertEquals(loopback, onLoopback.receive(ByteBuffer.allocateDirect(2048)));
      }
      return null;
    });
  }

  @Test
  void namesEnodevForUnknownDevice() throws Exception {
    inFreshNetworkNamespace(() -> {
      try (RawSocket socket = RawSocket.open(StandardProtocolFamily.INET, GRE)) {
        NativeException e =
            assertThrows(NativeException.class, () -> socket.bindToDevice("gh-missing0"));
        assertEquals("ENODEV", e.errnoName());
        assertTrue(e.getMessage().contains("no interface named \"gh-missing0\""),
            e.getMessage());
      }
      return null;
    });
  }

  @Test
  void namesEaddrnotavailForAddressNotHere() throws Exception {
    inFreshNetworkNamespace(() -> {
      try (RawSocket socket = RawSocket.open(StandardProtocolFamily.INET, GRE)) {
        NativeException e = assertThrows(NativeException.class,
            () -> socket.bind(InetAddress.getByName("198.18.7.1")));
        assertEquals(Libc.EADDRNOTAVAIL, e.errno());
        assertTrue(e.call().startsWith("bind(198.18.7.1)"), e.call());
      }
      return null;
    });
  }

  @Test
  void namesCapNetRawWhenOpenIsRefused() throws Exception {
    IsolatedThreads.withoutCapability(IsolatedThreads.CAP_NET_RAW, () -> {
      NativeException e = assertThrows(NativeException.class,
          () -> RawSocket.open(StandardProtocolFamily.INET, GRE));
      assertEquals("EPERM", e.errnoName());
      assertEquals("socket(AF_INET, SOCK_RAW, 47)", e.call());
      assertTrue(e.getMessage().contains("needs CAP_NET_RAW"), e.getMessage());
      return null;
    });
  }

  @Test
  void rejectsAddressOfOtherFamily() throws Exception {
    try (RawSocket socket = RawSocket.open(StandardProtocolFamily.INET, GRE)) {
      assertThrows(IllegalArgumentException.class,
          () -> socket.send(ByteBuffer.wrap(GRE_PACKET), InetAddress.getByName("::1")));
    }
  }

  @Test
  void refusesUseAfterClose() throws Exception {
    RawSocket socket = RawSocket.open(StandardProtocolFamily.INET, GRE);
    socket.close();
    socket.close();

    assertFalse(socket.isOpen());
    assertThrows(ClosedChannelException.class, socket::fd);
    assertThrows(ClosedChannelException.class,
        () -> socket.receive(ByteBuffer.allocateDirect(64)));
  }

  private static byte[] bytes(ByteBuffer buffer, int offset, int length) {
    byte[] copy = new byte[length];
    buffer.get(offset, copy);
    return copy;
  }
}
