package dev.gatehouse.ingress.tun;

import static dev.gatehouse.core.linux.IsolatedThreads.inFreshNetworkNamespace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.config.ConfigError;
import dev.gatehouse.core.config.ConfigErrors;
import dev.gatehouse.core.config.ConfigNode;
import dev.gatehouse.core.config.SecretSource;
import dev.gatehouse.core.linux.LinkControl;
import dev.gatehouse.core.linux.NativeException;
import dev.gatehouse.core.tunnel.InnerPacketSink;
import dev.gatehouse.core.tunnel.StatusCounters;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.tunnel.TunnelPlan;
import dev.gatehouse.core.tunnel.TunnelProviders;
import dev.gatehouse.core.tunnel.TunnelSettingsReader;
import dev.gatehouse.core.tunnel.TunnelStatus;
import dev.gatehouse.core.wire.IpPacket;
import dev.gatehouse.core.wire.IpProtocol;
import dev.gatehouse.core.wire.WireStatus;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * TUN tunnels on real devices, each in a network namespace of its own, so that their
 * addresses and routes touch nothing else on the machine. The device holds 198.18.77.1/30
 * and 2001:2:0:77::1/64; the tunnel routes 198.18.78.0/24 and 2001:2:0:78::/64 into it, where
 * the test plays the hosts "behind" Gatehouse.
 */
class TunTunnelTest {
  private static final int MTU_BYTES = 1400;
  private static final String ROUTE_V4 = "198.18.78.0/24";
  private static final String ROUTE_V6 = "2001:2:0:78::/64";
  private static final InetSocketAddress ORIGIN_V4 = socketAddress("198.18.78.5", 9999);
  private static final InetSocketAddress ORIGIN_V6 = socketAddress("2001:2:0:78::5", 9999);
  private static final long WAIT_MILLIS = 5_000;

  private final ByteBufAllocator allocator = PooledByteBufAllocator.DEFAULT;

  @Test
  void deliversRoutedUdpToTheSinkAndSendsTheReplyBack() throws Exception {
    inFreshNetworkNamespace(() -> {
      exchangeUdp(ORIGIN_V4, "198.18.77.1");
      return null;
    });
  }

  @Test
  void deliversRoutedUdpOverIpv6AndSendsTheReplyBack() throws Exception {
    inFreshNetworkNamespace(() -> {
      exchangeUdp(ORIGIN_V6, "2001:2:0:77::1");
      return null;
    });
  }

  @Test
  void configuresTheHostAndUndoesItOnClose() throws Exception {
    inFreshNetworkNamespace(() -> {
      RecordingSink sink = new RecordingSink();
      TunTunnel tunnel = startTunnel(sink);
      String device = tunnel.settings().device();

      String link = ip("-o", "link", "show", "dev", device);
      assertTrue(link.contains("mtu " + MTU_BYTES) && link.contains("qlen 1000"), link);
      assertTrue(LinkControl.isUp(device));
      assertTrue(ip("-o", "-4", "address", "show", "dev", device).contains("inet 198.18.77.1/30"));
      assertTrue(ip("-o", "-6", "address", "show", "dev", device).contains("inet6 2001:2:0:77::1/64"));
      assertTrue(ip("-4", "route", "show", ROUTE_V4).contains("dev " + device), ip("-4", "route"));
      assertTrue(ip("-6", "route", "show", ROUTE_V6).contains("dev " + device), ip("-6", "route"));

      tunnel.close();

      assertEquals("", ip("-4", "route", "show", ROUTE_V4));
      assertEquals("", ip("-6", "route", "show", ROUTE_V6));
      NativeException gone = assertThrows(NativeException.class, () -> LinkControl.isUp(device));
      assertEquals("ENODEV", gone.errnoName());
      assertFalse(readerThreadRuns(tunnel), "reader thread still running after close");
      tunnel.close(); // idempotent
      return null;
    });
  }

  @Test
  void undoesWhatItSetUpWhenStartFails() throws Exception {
    inFreshNetworkNamespace(() -> {
      // devices made from now on in this namespace refuse IPv6, so the second route fails
      Files.writeString(Path.of("/proc/sys/net/ipv6/conf/default/disable_ipv6"), "1");
      String device = uniqueDevice();
      TunTunnel tunnel = (TunTunnel) plan(device, "routes: [" + ROUTE_V4 + ", " + ROUTE_V6 + "]")
          .create(null);

      IOException e = assertThrows(IOException.class, () -> tunnel.start(new RecordingSink()));

      assertTrue(e.getMessage().startsWith("ip -6 route replace " + ROUTE_V6 + " dev " + device
          + " failed with exit status 2: "), e.getMessage());
      assertEquals("", ip("-4", "route", "show", ROUTE_V4), "the route added first is removed");
      assertEquals("ENODEV",
          assertThrows(NativeException.class, () -> LinkControl.isUp(device)).errnoName());
      assertThrows(IllegalStateException.class, () -> tunnel.start(new RecordingSink()));
      return null;
    });
  }

  @Test
  void dropsAndCountsAPacketLargerThanTheMtu() throws Exception {
    inFreshNetworkNamespace(() -> {
      try (TunTunnel tunnel = startTunnel(new RecordingSink())) {
        ByteBuf oversized = Packets.udp(allocator, ORIGIN_V4, socketAddress("198.18.77.1", 9),
            new byte[MTU_BYTES - 28 + 1]);

        assertFalse(tunnel.send(oversized));
        assertEquals(0, oversized.refCnt(), "a dropped packet is released");
        assertEquals(1, tunnel.counters().drops(TunDropReason.OUT_LARGER_THAN_MTU));
        assertEquals(0, tunnel.counters().packetsOut());

        ByteBuf exact = Packets.udp(allocator, ORIGIN_V4, socketAddress("198.18.77.1", 9),
            new byte[MTU_BYTES - 28]);
        assertTrue(tunnel.send(exact), "a packet of exactly the MTU is sent");
        assertEquals(MTU_BYTES, tunnel.counters().bytesOut());
      }
      return null;
    });
  }

  @Test
  void showsItsCountersByNameInItsStatusAndWhetherItRuns() throws Exception {
    inFreshNetworkNamespace(() -> {
      TunTunnel tunnel = (TunTunnel) plan(uniqueDevice()).create(null);
      assertFalse(tunnel.status().running(), "not running before start");
      tunnel.start(new RecordingSink());
      InetSocketAddress host = socketAddress("198.18.77.1", 9);
      assertFalse(tunnel.send(Packets.udp(allocator, ORIGIN_V4, host, new byte[MTU_BYTES - 28 + 1])));
      assertTrue(tunnel.send(Packets.udp(allocator, ORIGIN_V4, host, new byte[MTU_BYTES - 28])));

      TunnelStatus status = tunnel.status();

      assertEquals(List.of("t", "tun", "lab"), List.of(status.name(), status.type(), status.site()));
      assertTrue(status.running());
      List<String> expectedNames = new ArrayList<>(List.of("packets.in", "bytes.in", "packets.out", "bytes.out"));
      Arrays.stream(TunDropReason.values()).map(StatusCounters::dropName).forEach(expectedNames::add);
      expectedNames.add("read-errors");
      assertEquals(expectedNames, List.copyOf(status.counters().keySet()));
      assertEquals(1L, status.counters().get("packets.out"));
      assertEquals((long) MTU_BYTES, status.counters().get("bytes.out"));
      assertEquals(1L, status.counters().get("drops.out-larger-than-mtu"));
      assertTrue(status.peers().isEmpty() && status.health().isEmpty());

      tunnel.close();
      assertFalse(tunnel.status().running(), "not running once closed");
      assertEquals(1L, tunnel.status().counters().get("packets.out"), "counters outlive the device");
      return null;
    });
  }

  @Test
  void dropsAndCountsWhatIsNotIp() throws Exception {
    inFreshNetworkNamespace(() -> {
      RecordingSink sink = new RecordingSink();
      try (TunTunnel tunnel = startTunnel(sink)) {
        ByteBuf notIp = Unpooled.directBuffer(28).writeZero(28);
        assertFalse(tunnel.send(notIp));
        assertEquals(0, notIp.refCnt());
        assertEquals(1, tunnel.counters().drops(TunDropReason.OUT_NOT_IP));

        // an ARP-typed frame sent on the device by a packet socket reaches the reader as
        // 28 bytes of version 0: it must be counted, not passed on
        sendRawFrame(tunnel.settings().device(), 0x0806, 28);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
        while (tunnel.counters().drops(TunDropReason.IN_NOT_IP) == 0 && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        assertEquals(1, tunnel.counters().drops(TunDropReason.IN_NOT_IP));
        assertTrue(sink.seen.stream().map(seen -> (seen.bytes()[0] & 0xff) >>> 4)
            .allMatch(version -> version == 4 || version == 6), "only IP reached the sink");
      }
      return null;
    });
  }

  @Test
  void dropsWhatIsSentBeforeStartOrAfterClose() throws Exception {
    inFreshNetworkNamespace(() -> {
      TunTunnel tunnel = (TunTunnel) plan(uniqueDevice()).create(null);
      ByteBuf early = Packets.udp(allocator, ORIGIN_V4, socketAddress("198.18.77.1", 9), new byte[4]);
      assertFalse(tunnel.send(early));
      assertEquals(0, early.refCnt());

      tunnel.start(new RecordingSink());
      tunnel.close();
      ByteBuf late = Packets.udp(allocator, ORIGIN_V4, socketAddress("198.18.77.1", 9), new byte[4]);
      assertFalse(tunnel.send(late));
      assertEquals(0, late.refCnt());

      assertEquals(2, tunnel.counters().drops(TunDropReason.OUT_NOT_RUNNING));
      assertThrows(IllegalStateException.class, () -> tunnel.start(new RecordingSink()));
      return null;
    });
  }

  @Test
  void deliversEveryPacketSentConcurrently() throws Exception {
    int threads = 4;
    int packetsPerThread = 250;
    inFreshNetworkNamespace(() -> {
      try (TunTunnel tunnel = startTunnel(new RecordingSink());
          DatagramSocket socket = new DatagramSocket(new InetSocketAddress("198.18.77.1", 0))) {
        socket.setSoTimeout((int) WAIT_MILLIS);
        socket.setReceiveBufferSize(1 << 20);
        InetSocketAddress client = (InetSocketAddress) socket.getLocalSocketAddress();

        Set<String> received = new HashSet<>();
        Thread receiver = Thread.ofPlatform().start(() -> receiveAll(socket, received, threads * packetsPerThread));
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService senders = Executors.newFixedThreadPool(threads);
        List<Future<Integer>> accepted = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          int sender = t;
          accepted.add(senders.submit(() -> {
            go.await();
            int sent = 0;
            for (int i = 0; i < packetsPerThread; i++) {
              byte[] payload = (sender + "-" + i).getBytes(StandardCharsets.US_ASCII);
              // heap and direct buffers alike: the heap ones take the copying path
              ByteBuf packet = i % 2 == 0
                  ? Packets.udp(allocator, ORIGIN_V4, client, payload)
                  : onHeap(Packets.udp(allocator, ORIGIN_V4, client, payload));
              sent += tunnel.send(packet) ? 1 : 0;
            }
            return sent;
          }));
        }
        go.countDown();
        int total = 0;
        for (Future<Integer> f : accepted) {
          total += f.get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        }
        senders.shutdown();
        receiver.join(WAIT_MILLIS);

        assertEquals(threads * packetsPerThread, total);
        assertEquals(threads * packetsPerThread, tunnel.counters().packetsOut());
        synchronized (received) {
          assertEquals(threads * packetsPerThread, received.size());
          assertTrue(received.contains("3-249") && received.contains("0-0"), "payloads intact");
        }
      }
      return null;
    });
  }

  /** Sends a datagram toward {@code origin}, checks what the sink got, answers it. */
  private void exchangeUdp(InetSocketAddress origin, String deviceAddress) throws Exception {
    RecordingSink sink = new RecordingSink();
    byte[] question = "ping?".getBytes(StandardCharsets.US_ASCII);
    byte[] answer = "pong!".getBytes(StandardCharsets.US_ASCII);
    try (TunTunnel tunnel = startTunnel(sink); DatagramSocket socket = new DatagramSocket(0)) {
      socket.setSoTimeout((int) WAIT_MILLIS);

      socket.send(new DatagramPacket(question, question.length, origin));
      Seen seen = sink.await(udpTo(origin));

      assertEquals(new TunnelContext("t", "tun", "lab", 3, MTU_BYTES), seen.from());
      assertEquals(tunnel.context(), seen.from());
      assertEquals("gatehouse-tun-t", seen.thread());
      IpPacket packet = seen.packet();
      InetSocketAddress client = new InetSocketAddress(source(packet), packet.sourcePort());
      assertEquals(InetAddress.getByName(deviceAddress), client.getAddress());
      assertEquals(socket.getLocalPort(), client.getPort());
      assertEquals(question.length, packet.payloadLengthBytes() - 8);

      assertTrue(tunnel.send(Packets.udp(allocator, origin, client, answer)));
      DatagramPacket reply = new DatagramPacket(new byte[64], 64);
      socket.receive(reply);
      assertEquals(origin, reply.getSocketAddress());
      assertEquals("pong!", new String(reply.getData(), 0, reply.getLength(), StandardCharsets.US_ASCII));
      assertEquals(1, tunnel.counters().packetsOut());
      assertTrue(tunnel.counters().packetsIn() >= 1);
      assertEquals(0, tunnel.counters().totalDrops());
    }
  }

  private TunTunnel startTunnel(InnerPacketSink sink) throws IOException {
    TunTunnel tunnel = (TunTunnel) plan(uniqueDevice()).create(null);
    tunnel.start(sink);
    return tunnel;
  }

  /** The tunnel every test uses: both addresses, both routes. */
  private static TunTunnelPlan plan(String device) {
    return plan(device, """
        address: 198.18.77.1/30
          address-v6: 2001:2:0:77::1/64
          routes: [%s, %s]""".formatted(ROUTE_V4, ROUTE_V6));
  }

  /** A plan read from YAML, as the appliance reads one; {@code settings} are indented by two. */
  private static TunTunnelPlan plan(String device, String settings) {
    String yaml = """
        - name: t
          type: tun
          site: lab
          virtual-network: 3
          mtu: %d
          device: %s
          %s
        """.formatted(MTU_BYTES, device, settings);
    ConfigErrors errors = new ConfigErrors();
    TunnelSettingsReader reader = new TunnelSettingsReader(
        TunnelProviders.load(TunTunnelTest.class.getClassLoader()), SecretSource.of(Map.of()));
    List<TunnelPlan> plans = reader.read(ConfigNode.parse(yaml, errors).orElseThrow(), errors);
    assertTrue(errors.isEmpty(), errors.list().stream().map(ConfigError::toString).toList().toString());
    return (TunTunnelPlan) plans.getFirst();
  }

  private static Predicate<IpPacket> udpTo(InetSocketAddress destination) {
    return packet -> packet.protocol() == IpProtocol.UDP && packet.hasPorts()
        && packet.destinationPort() == destination.getPort()
        && destination(packet).equals(destination.getAddress());
  }

  private static InetAddress source(IpPacket packet) {
    return address(packet, packet.isIpv4() ? 12 : 8);
  }

  private static InetAddress destination(IpPacket packet) {
    return address(packet, packet.isIpv4() ? 16 : 24);
  }

  private static InetAddress address(IpPacket packet, int offset) {
    byte[] bytes = new byte[packet.isIpv4() ? 4 : 16];
    packet.buffer().getBytes(offset, bytes);
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  private static ByteBuf onHeap(ByteBuf direct) {
    ByteBuf heap = Unpooled.copiedBuffer(direct);
    direct.release();
    return heap;
  }

  private static void receiveAll(DatagramSocket socket, Set<String> received, int expected) {
    DatagramPacket packet = new DatagramPacket(new byte[64], 64);
    try {
      for (int i = 0; i < expected; i++) {
        socket.receive(packet);
        synchronized (received) {
          received.add(new String(packet.getData(), 0, packet.getLength(), StandardCharsets.US_ASCII));
        }
      }
    } catch (SocketTimeoutException e) {
      // the count check reports what is missing
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static boolean readerThreadRuns(TunTunnel tunnel) {
    return Thread.getAllStackTraces().keySet().stream()
        .anyMatch(t -> t.getName().equals("gatehouse-tun-" + tunnel.context().name()) && t.isAlive());
  }

  /** Sends {@code lengthBytes} zero bytes on {@code device} through an AF_PACKET socket. */
  private static void sendRawFrame(String device, int etherType, int lengthBytes) throws Exception {
    String script = "import socket\n"
        + "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)\n"
        + "s.sendto(bytes(" + lengthBytes + "), ('" + device + "', " + etherType + "))\n";
    run(List.of("/usr/bin/python3", "-c", script));
  }

  /** Runs iproute2's ip in this thread's namespace; its output, trimmed. */
  private static String ip(String... arguments) throws Exception {
    List<String> command = new ArrayList<>(List.of("ip"));
    command.addAll(List.of(arguments));
    return run(command);
  }

  private static String run(List<String> command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertTrue(process.waitFor(WAIT_MILLIS, TimeUnit.MILLISECONDS), command + " did not finish");
    assertEquals(0, process.exitValue(), command + ": " + output);
    return output;
  }

  private static String uniqueDevice() {
    byte[] random = new byte[3];
    ThreadLocalRandom.current().nextBytes(random);
    return "gh-t-" + HexFormat.of().formatHex(random);
  }

  private static InetSocketAddress socketAddress(String literal, int port) {
    try {
      return new InetSocketAddress(InetAddress.getByName(literal), port);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  /** One packet the sink was given: from which tunnel, on which thread, its bytes. */
  private record Seen(TunnelContext from, String thread, byte[] bytes) {
    IpPacket packet() {
      IpPacket packet = new IpPacket();
      assertEquals(WireStatus.OK, packet.wrap(Unpooled.wrappedBuffer(bytes), 0, bytes.length));
      return packet;
    }
  }

  /** Copies what it is given and releases the buffer, as the core's sink will own it. */
  private static final class RecordingSink implements InnerPacketSink {
    final BlockingQueue<Seen> queue = new LinkedBlockingQueue<>();
    final List<Seen> seen = new CopyOnWriteArrayList<>();

    @Override
    public void accept(TunnelContext from, ByteBuf innerPacket) {
      try {
        byte[] bytes = new byte[innerPacket.readableBytes()];
        innerPacket.getBytes(innerPacket.readerIndex(), bytes);
        Seen one = new Seen(from, Thread.currentThread().getName(), bytes);
        seen.add(one);
        queue.add(one);
      } finally {
        innerPacket.release();
      }
    }

    /** The first packet that matches, skipping what the kernel sends of its own (MLD, RS). */
    Seen await(Predicate<IpPacket> wanted) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
      while (System.nanoTime() < deadline) {
        Seen next = queue.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        if (next != null && wanted.test(next.packet())) {
          return next;
        }
      }
      throw new AssertionError("no matching packet reached the sink; saw " + seen.size());
    }
  }
}
