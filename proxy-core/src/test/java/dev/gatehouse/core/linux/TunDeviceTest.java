package dev.gatehouse.core.linux;

import static dev.gatehouse.core.linux.IsolatedThreads.inFreshNetworkNamespace;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * TUN devices, each in a network namespace of its own: 198.18.99.1/30 (RFC 2544's
 * benchmarking range) on the device, 198.18.99.2 the peer "behind" it, played by the test.
 */
class TunDeviceTest {

  private static final Inet4Address TUN_ADDRESS = ipv4("198.18.99.1");
  private static final Inet4Address PEER_ADDRESS = ipv4("198.18.99.2");
  private static final int PEER_PORT = 40000;
  private static final int MTU_BYTES = 1400;

  private static final int IPV4_HEADER_BYTES = 20;
  private static final int UDP_HEADER_BYTES = 8;
  private static final int PROTOCOL_ICMP = 1;
  private static final int PROTOCOL_UDP = 17;

  private static final int EXCHANGES_PER_ROUND = 10_000;
  private static final int ALLOCATION_ROUNDS = 30;

  @Test
  void carriesUdpDatagramOutAndReplyBackIn() throws Exception {
    inFreshNetworkNamespace(() -> {
      byte[] request = "hello".getBytes(StandardCharsets.US_ASCII);
      byte[] answer = "world!".getBytes(StandardCharsets.US_ASCII);
      try (TunDevice tun = openConfigured();
          DatagramSocket socket = new DatagramSocket(new InetSocketAddress(TUN_ADDRESS, 0))) {
        socket.setSoTimeout(5000);

        // out: the kernel routes the datagram into the TUN, where we read it whole
        socket.send(new DatagramPacket(request, request.length,
            new InetSocketAddress(PEER_ADDRESS, PEER_PORT)));
        ByteBuffer packet = ByteBuffer.allocateDirect(MTU_BYTES);
        assertTrue(tun.awaitReadable(5000), "no packet came out of the TUN");
        int length = tun.read(packet);
        packet.flip();

        assertEquals(IPV4_HEADER_BYTES + UDP_HEADER_BYTES + request.length, length);
        assertEquals(0x45, packet.get(0));
        assertEquals(length, packet.getShort(2));
        assertEquals(PROTOCOL_UDP, packet.get(9));
        assertArrayEquals(TUN_ADDRESS.getAddress(), bytes(packet, 12, 4));
        assertArrayEquals(PEER_ADDRESS.getAddress(), bytes(packet, 16, 4));
        assertEquals(0, checksum(bytes(packet, 0, IPV4_HEADER_BYTES), 0),
            "IPv4 header checksum (RFC 791 §3.1)");
        assertEquals(socket.getLocalPort(), Short.toUnsignedInt(packet.getShort(20)));
        assertEquals(PEER_PORT, Short.toUnsignedInt(packet.getShort(22)));
        assertEquals(UDP_HEADER_BYTES + request.length, packet.getShort(24));
        assertEquals(0, checksum(bytes(packet, 20, length - 20),
            pseudoHeaderSum(TUN_ADDRESS, PEER_ADDRESS, length - 20)), "UDP checksum (RFC 768)");
        assertArrayEquals(request, bytes(packet, 28, request.length));

        // in: a reply written into the TUN reaches the socket
        byte[] reply = udpPacket(PEER_ADDRESS, PEER_PORT, TUN_ADDRESS, socket.getLocalPort(),
            answer);
        try (Arena arena = Arena.ofConfined()) {
          MemorySegment segment = arena.allocate(reply.length);
          MemorySegment.copy(reply, 0, segment, ValueLayout.JAVA_BYTE, 0, reply.length);
          assertEquals(reply.length, tun.write(segment));
        }
        DatagramPacket received = new DatagramPacket(new byte[64], 64);
        socket.receive(received);
        assertEquals(new InetSocketAddress(PEER_ADDRESS, PEER_PORT),
            received.getSocketAddress());
        assertEquals(new String(answer, StandardCharsets.US_ASCII),
            new String(received.getData(), 0, received.getLength(), StandardCharsets.US_ASCII));
      }
      return null;
    });
  }

  @Test
  void readsAndWritesSegmentsWithoutAllocating() throws Exception {
    inFreshNetworkNamespace(() -> {
      try (TunDevice tun = openConfigured(); Arena arena = Arena.ofConfined()) {
        byte[] echo = icmpEchoRequest(PEER_ADDRESS, TUN_ADDRESS, 0x4748, 1, new byte[56]);
        MemorySegment request = arena.allocate(echo.length);
        MemorySegment.copy(echo, 0, request, ValueLayout.JAVA_BYTE, 0, echo.length);
        MemorySegment reply = arena.allocate(MTU_BYTES);

        long allocatedBytes = Allocations.fewestBytesPerRound(
            ALLOCATION_ROUNDS, () -> exchangeEchoes(tun, request, reply, EXCHANGES_PER_ROUND));

        assertTrue(allocatedBytes < EXCHANGES_PER_ROUND,
            allocatedBytes + " bytes allocated by " + EXCHANGES_PER_ROUND + " exchanges");
        assertEquals(0, reply.get(ValueLayout.JAVA_BYTE, IPV4_HEADER_BYTES), "echo reply");
      }
      return null;
    });
  }

  @Test
  void readsAndWritesDirectBuffersWithoutAllocating() throws Exception {
    inFreshNetworkNamespace(() -> {
      try (TunDevice tun = openConfigured()) {
        ByteBuffer request = ByteBuffer.allocateDirect(100);
        request.put(icmpEchoRequest(PEER_ADDRESS, TUN_ADDRESS, 0x4748, 2, new byte[56])).flip();
        ByteBuffer reply = ByteBuffer.allocateDirect(MTU_BYTES);

        long allocatedBytes = Allocations.fewestBytesPerRound(
            ALLOCATION_ROUNDS, () -> exchangeEchoes(tun, request, reply, EXCHANGES_PER_ROUND));

        assertTrue(allocatedBytes < EXCHANGES_PER_ROUND,
            allocatedBytes + " bytes allocated by " + EXCHANGES_PER_ROUND + " exchanges");
        assertEquals(0, reply.get(IPV4_HEADER_BYTES), "echo reply");
      }
      return null;
    });
  }

  @Test
  void copiesHeapBuffersThroughNativeMemory() throws Exception {
    inFreshNetworkNamespace(() -> {
      try (TunDevice tun = openConfigured()) {
        byte[] echo = icmpEchoRequest(PEER_ADDRESS, TUN_ADDRESS, 0x4748, 3, new byte[8]);
        ByteBuffer request = ByteBuffer.allocate(echo.length + 10).position(10);
        request.put(echo).flip().position(10);
        ByteBuffer reply = ByteBuffer.allocate(MTU_BYTES).position(3);

        assertEquals(echo.length, tun.write(request));
        assertEquals(request.limit(), request.position());
        assertTrue(tun.awaitReadable(5000));
        assertEquals(echo.length, tun.read(reply));

        assertEquals(3 + echo.length, reply.position());
        assertEquals(0, reply.get(3 + IPV4_HEADER_BYTES), "echo reply");
        assertArrayEquals(TUN_ADDRESS.getAddress(), bytes(reply, 3 + 12, 4));
        assertArrayEquals(PEER_ADDRESS.getAddress(), bytes(reply, 3 + 16, 4));
      }
      return null;
    });
  }

  @Test
  void prefixesPacketsWithVnetHeaderWhenAsked() throws Exception {
    inFreshNetworkNamespace(() -> {
      int vnetHeaderBytes = 10; // struct virtio_net_hdr, the default TUNSETVNETHDRSZ
      try (TunDevice tun = openConfigured(TunDevice.Option.VNET_HEADER)) {
        byte[] echo = icmpEchoRequest(PEER_ADDRESS, TUN_ADDRESS, 0x4748, 4, new byte[8]);
        // an all-zero header: no checksum to complete, VIRTIO_NET_HDR_GSO_NONE
        ByteBuffer request = ByteBuffer.allocateDirect(vnetHeaderBytes + echo.length);
        request.position(vnetHeaderBytes);
        request.put(echo).flip();
        ByteBuffer reply = ByteBuffer.allocateDirect(MTU_BYTES);

        assertEquals(Set.of(TunDevice.Option.VNET_HEADER), tun.options());
        tun.write(request);
        assertTrue(tun.awaitReadable(5000));
        assertEquals(vnetHeaderBytes + echo.length, tun.read(reply));
        assertEquals(0x45, reply.get(vnetHeaderBytes));
        assertEquals(0, reply.get(vnetHeaderBytes + IPV4_HEADER_BYTES), "echo reply");
      }
      return null;
    });
  }

  @Test
  void refusesHeapAndReadOnlySegments() throws Exception {
    inFreshNetworkNamespace(() -> {
      try (TunDevice tun = TunDevice.open(uniqueName())) {
        assertThrows(IllegalArgumentException.class,
            () -> tun.read(MemorySegment.ofArray(new byte[MTU_BYTES])));
        assertThrows(IllegalArgumentException.class,
            () -> tun.read(Arena.ofAuto().allocate(MTU_BYTES).asReadOnly()));
        assertThrows(IllegalArgumentException.class,
            () -> tun.write(MemorySegment.ofArray(new byte[40])));
      }
      return null;
    });
  }

  @Test
  void returnsZeroWhenNonBlockingAndNothingWaits() throws Exception {
    inFreshNetworkNamespace(() -> {
      try (TunDevice tun = openConfigured()) {
        tun.setNonBlocking(true);

        assertFalse(tun.awaitReadable(0));
        assertEquals(0, tun.read(ByteBuffer.allocate(MTU_BYTES)));
        assertEquals(0, tun.read(Arena.ofAuto().allocate(MTU_BYTES)));
      }
      return null;
    });
  }

  @Test
  void fillsInNumberedName() throws Exception {
    inFreshNetworkNamespace(() -> {
      try (TunDevice tun = TunDevice.open("ghn%d")) {
        assertTrue(tun.name().matches("ghn[0-9]+"), tun.name());
      }
      return null;
    });
  }

  @Test
  void setsMtuAndLinkState() throws Exception {
    inFreshNetworkNamespace(() -> {
      try (TunDevice tun = TunDevice.open(uniqueName())) {
        assertFalse(LinkControl.isUp(tun.name()));

        LinkControl.setMtu(tun.name(), 9000);
        LinkControl.bringUp(tun.name());
        assertEquals(9000, LinkControl.mtu(tun.name()));
        assertTrue(LinkControl.isUp(tun.name()));

        LinkControl.bringDown(tun.name());
        assertFalse(LinkControl.isUp(tun.name()));
      }
      return null;
    });
  }

  @Test
  void deletesDeviceOnClose() throws Exception {
    inFreshNetworkNamespace(() -> {
      String name;
      try (TunDevice tun = TunDevice.open(uniqueName())) {
        name = tun.name();
        assertFalse(LinkControl.isUp(name));
      }

      NativeException e = assertThrows(NativeException.class, () -> LinkControl.isUp(name));
      assertEquals("ENODEV", e.errnoName());
      assertTrue(e.getMessage().contains("no interface named \"" + name + "\""),
          e.getMessage());
      return null;
    });
  }

  @Test
  void namesErrnoWhenKernelRefusesName() throws Exception {
    inFreshNetworkNamespace(() -> {
      NativeException e =
          assertThrows(NativeException.class, () -> TunDevice.open("gh/bad"));

      assertEquals(Libc.EINVAL, e.errno());
      assertEquals("EINVAL", e.errnoName());
      assertEquals("ioctl(TUNSETIFF, \"gh/bad\")", e.call());
      assertTrue(e.getMessage().startsWith(
          "ioctl(TUNSETIFF, \"gh/bad\") failed: EINVAL (Invalid argument); "), e.getMessage());
      return null;
    });
  }

  @Test
  void rejectsNameLongerThanIfnamsizBeforeAskingKernel() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TunDevice.open("gh-sixteen-chars"));
    assertTrue(e.getMessage().contains("1 to 15 ASCII characters"), e.getMessage());
  }

  @Test
  void namesCapNetAdminWhenCreationIsRefused() throws Exception {
    IsolatedThreads.withoutCapability(IsolatedThreads.CAP_NET_ADMIN, () -> {
      NativeException e =
          assertThrows(NativeException.class, () -> TunDevice.open(uniqueName()));
      assertEquals("EPERM", e.errnoName());
      assertTrue(e.getMessage().contains("needs CAP_NET_ADMIN"), e.getMessage());
      return null;
    });
  }

  @Test
  void namesEinvalWhenMtuIsOutOfRange() throws Exception {
    inFreshNetworkNamespace(() -> {
      try (TunDevice tun = TunDevice.open(uniqueName())) {
        NativeException e =
            assertThrows(NativeException.class, () -> LinkControl.setMtu(tun.name(), 20));
        assertEquals("EINVAL", e.errnoName());
        assertEquals("ioctl(SIOCSIFMTU 20, \"" + tun.name() + "\")", e.call());
      }
      return null;
    });
  }

  @Test
  void namesEioWhenWritingToDeviceThatIsDown() throws Exception {
    inFreshNetworkNamespace(() -> {
      try (TunDevice tun = TunDevice.open(uniqueName())) {
        byte[] packet = udpPacket(PEER_ADDRESS, PEER_PORT, TUN_ADDRESS, 9, new byte[4]);

        NativeException e =
            assertThrows(NativeException.class, () -> tun.write(ByteBuffer.wrap(packet)));
        assertEquals("EIO", e.errnoName());
        assertTrue(e.getMessage().contains("bring it up"), e.getMessage());
      }
      return null;
    });
  }

  @Test
  void adviseLoadingTunModuleWhenDeviceNodeIsMissing() {
    assertTrue(TunDevice.openAdvice(Libc.ENOENT).contains("--device /dev/net/tun"));
    assertTrue(TunDevice.openAdvice(Libc.ENOENT).contains("modprobe tun"));
    assertTrue(TunDevice.openAdvice(Libc.ENODEV).contains("modprobe tun"));
  }

  /** A TUN device up at 198.18.99.1/30, IPv6 off so that it sends nothing of its own. */
  private static TunDevice openConfigured(TunDevice.Option... options) throws Exception {
    TunDevice tun = TunDevice.open(uniqueName(), options);
    Files.writeString(Path.of("/proc/sys/net/ipv6/conf", tun.name(), "disable_ipv6"), "1");
    LinkControl.setMtu(tun.name(), MTU_BYTES);
    LinkControl.setIpv4Address(tun.name(), TUN_ADDRESS, 30);
    LinkControl.bringUp(tun.name());
    return tun;
  }

  private static void exchangeEchoes(
      TunDevice tun, MemorySegment request, MemorySegment reply, int count) throws Exception {
    for (int i = 0; i < count; i++) {
      tun.write(request);
      if (!tun.awaitReadable(5000)) {
        throw new AssertionError("no echo reply after " + i + " requests");
      }
      tun.read(reply);
    }
  }

  private static void exchangeEchoes(
      TunDevice tun, ByteBuffer request, ByteBuffer reply, int count) throws Exception {
    for (int i = 0; i < count; i++) {
      tun.write(request);
      request.rewind();
      if (!tun.awaitReadable(5000)) {
        throw new AssertionError("no echo reply after " + i + " requests");
      }
      reply.clear();
      tun.read(reply);
    }
  }

  /** An IPv4 header (RFC 791 §3.1) without options, checksum filled in. */
  private static void putIpv4Header(ByteBuffer packet, int protocol, Inet4Address source,
      Inet4Address destination, int totalLength) {
    packet.put((byte) 0x45).put((byte) 0).putShort((short) totalLength)
        .putShort((short) 0x1234).putShort((short) 0x4000) // id; DF, offset 0
        .put((byte) 64).put((byte) protocol).putShort((short) 0)
        .put(source.getAddress()).put(destination.getAddress());
    packet.putShort(10, (short) checksum(bytes(packet, 0, IPV4_HEADER_BYTES), 0));
  }

  private static byte[] udpPacket(Inet4Address source, int sourcePort,
      Inet4Address destination, int destinationPort, byte[] payload) {
    int udpLength = UDP_HEADER_BYTES + payload.length;
    ByteBuffer packet = ByteBuffer.allocate(IPV4_HEADER_BYTES + udpLength);
    putIpv4Header(packet, PROTOCOL_UDP, source, destination, packet.capacity());
    packet.putShort((short) sourcePort).putShort((short) destinationPort)
        .putShort((short) udpLength).putShort((short) 0).put(payload);
    // RFC 768: the checksum covers a pseudo header, the UDP header and the data
    int sum = checksum(bytes(packet, IPV4_HEADER_BYTES, udpLength),
        pseudoHeaderSum(source, destination, udpLength));
    packet.putShort(IPV4_HEADER_BYTES + 6, (short) (sum == 0 ? 0xffff : sum));
    return packet.array();
  }

  private static byte[] icmpEchoRequest(Inet4Address source, Inet4Address destination,
      int identifier, int sequence, byte[] data) {
    int icmpLength = 8 + data.length;
    ByteBuffer packet = ByteBuffer.allocate(IPV4_HEADER_BYTES + icmpLength);
    putIpv4Header(packet, PROTOCOL_ICMP, source, destination, packet.capacity());
    // RFC 792 p.14: type 8, code 0, checksum, identifier, sequence number, data
    packet.put((byte) 8).put((byte) 0).putShort((short) 0)
        .putShort((short) identifier).putShort((short) sequence).put(data);
    packet.putShort(IPV4_HEADER_BYTES + 2,
        (short) checksum(bytes(packet, IPV4_HEADER_BYTES, icmpLength), 0));
    return packet.array();
  }

  /** The sum of the RFC 768 pseudo header: addresses, protocol and UDP length. */
  private static int pseudoHeaderSum(Inet4Address source, Inet4Address destination,
      int udpLength) {
    ByteBuffer pseudo = ByteBuffer.allocate(12).put(source.getAddress())
        .put(destination.getAddress()).put((byte) 0).put((byte) PROTOCOL_UDP)
        .putShort((short) udpLength);
    return onesComplementSum(pseudo.array(), 0);
  }

  /** The Internet checksum (RFC 1071 §4.1) of {@code data}, starting from {@code sum}. */
  private static int checksum(byte[] data, int sum) {
    return ~onesComplementSum(data, sum) & 0xffff;
  }

  private static int onesComplementSum(byte[] data, int initialSum) {
    long sum = initialSum;
    for (int i = 0; i < data.length; i += 2) {
      int high = Byte.toUnsignedInt(data[i]) << 8;
      int low = i + 1 < data.length ? Byte.toUnsignedInt(data[i + 1]) : 0;
      sum += high | low;
    }
    while (sum >>> 16 != 0) {
      sum = (sum & 0xffff) + (sum >>> 16);
    }
    return (int) sum;
  }

  private static byte[] bytes(ByteBuffer buffer, int offset, int length) {
    byte[] copy = new byte[length];
    buffer.get(offset, copy);
    return copy;
  }

  private static String uniqueName() {
    byte[] random = new byte[3];
    ThreadLocalRandom.current().nextBytes(random);
    return "gh-test-" + HexFormat.of().formatHex(random);
  }

  private static Inet4Address ipv4(String literal) {
    try {
      return (Inet4Address) InetAddress.getByName(literal);
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
