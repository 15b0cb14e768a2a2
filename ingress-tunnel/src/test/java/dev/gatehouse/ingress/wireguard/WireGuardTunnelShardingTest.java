package dev.gatehouse.ingress.wireguard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.config.Secret;
import dev.gatehouse.core.testing.FlowTestKit;
import dev.gatehouse.core.tunnel.InnerPacketSink;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.wire.PacketWriter;
import dev.gatehouse.ingress.wireguard.config.WireGuardPeerSettings;
import dev.gatehouse.ingress.wireguard.config.WireGuardSettings;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A tunnel on two event loops with two peers that hash to different loops: each peer's
 * datagrams are decrypted and delivered on the loop that owns it, in order, and the core's
 * packets reach each peer in order, whichever socket the kernel handed the datagrams to. On
 * NIO only the first loop reads, so the other loop's peer has every datagram handed over
 * (its handshake too); on epoll each loop reads its own SO_REUSEPORT socket.
 */
class WireGuardTunnelShardingTest {
  private static final TunnelContext CONTEXT = new TunnelContext("spread", "wireguard", "lyon", 0, 1420);
  private static final int PACKETS = 300;

  private final PacketWriter writer = new PacketWriter(PooledByteBufAllocator.DEFAULT);
  private final SecureRandom random = new SecureRandom();
  private final byte[] serverPrivate = WireGuardKeys.generatePrivateKey(random);
  private final ConcurrentLinkedQueue<Arrival> arrivals = new ConcurrentLinkedQueue<>();
  private final InnerPacketSink sink = (from, packet) -> {
    try {
      arrivals.add(new Arrival(Thread.currentThread(), ByteBufUtil.getBytes(packet)));
    } finally {
      packet.release();
    }
  };

  private EventLoopGroup loops;
  private WireGuardTunnel tunnel;
  private final List<LoopbackClient> clients = new ArrayList<>();

  /** What the core was handed, and on which thread. */
  private record Arrival(Thread thread, byte[] bytes) {}

  @AfterEach
  void stop() throws InterruptedException {
    if (tunnel != null) {
      tunnel.close();
    }
    clients.forEach(LoopbackClient::close);
    loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  @ParameterizedTest
  @ValueSource(strings = {"epoll", "nio"})
  void decryptsEachPeersPacketsOnTheLoopThatOwnsItInOrder(String transport) throws IOException {
    byte[][] privates = start(transport);
    LoopbackClient first = clients.get(0);
    LoopbackClient second = clients.get(1);
    Thread firstOwner = tunnel.ownerThreadOf(WireGuardKeys.publicKey(privates[0]));
    Thread secondOwner = tunnel.ownerThreadOf(WireGuardKeys.publicKey(privates[1]));
    assertNotEquals(firstOwner, secondOwner, "the two peers hash to different loops");

    // the payload length numbers each packet; each client's first packet also starts its handshake
    for (int i = 0; i < PACKETS; i++) {
      first.send(Unpooled.wrappedBuffer(udp("198.18.91.2", "198.18.99.1", 20 + i)));
      second.send(Unpooled.wrappedBuffer(udp("198.18.92.2", "198.18.99.1", 20 + i)));
      if (i == 0) {
        pumpBoth("both handshakes complete", () -> arrivals.size() == 2);
      }
    }
    pumpBoth("every packet reaches the core", () -> arrivals.size() == 2 * PACKETS);

    List<Integer> fromFirst = new ArrayList<>();
    List<Integer> fromSecond = new ArrayList<>();
    for (Arrival arrival : arrivals) {
      boolean isFirst = arrival.bytes[14] == 91;
      assertEquals(isFirst ? firstOwner : secondOwner, arrival.thread, "delivered by the owner's loop");
      (isFirst ? fromFirst : fromSecond).add(payloadBytes(arrival.bytes));
    }
    List<Integer> expected = IntStream.range(20, 20 + PACKETS).boxed().toList();
    assertEquals(expected, fromFirst);
    assertEquals(expected, fromSecond);
    assertEquals(0, tunnel.deviceCounters().totalDrops());
  }

  @ParameterizedTest
  @ValueSource(strings = {"epoll", "nio"})
  void sendsTheCoresPacketsToEachPeerInOrderFromItsOwnersLoop(String transport) throws IOException {
    start(transport);
    LoopbackClient first = clients.get(0);
    LoopbackClient second = clients.get(1);
    first.send(Unpooled.wrappedBuffer(udp("198.18.91.2", "198.18.99.1", 5)));
    second.send(Unpooled.wrappedBuffer(udp("198.18.92.2", "198.18.99.1", 5)));
    pumpBoth("both handshakes complete", () -> arrivals.size() == 2);

    List<byte[]> packets = new ArrayList<>();
    for (int i = 0; i < PACKETS; i++) {
      packets.add(udp("198.18.99.1", "198.18.91.2", 20 + i));
      packets.add(udp("198.18.99.1", "198.18.92.2", 20 + i));
    }
    for (byte[] packet : packets) {
      assertTrue(tunnel.send(PooledByteBufAllocator.DEFAULT.buffer().writeBytes(packet)));
    }
    pumpBoth("every packet reaches its peer",
        () -> first.delivered.size() == PACKETS && second.delivered.size() == PACKETS);

    List<Integer> expected = IntStream.range(20, 20 + PACKETS).boxed().toList();
    assertEquals(expected, first.delivered.stream().map(WireGuardTunnelShardingTest::payloadBytes).toList());
    assertEquals(expected, second.delivered.stream().map(WireGuardTunnelShardingTest::payloadBytes).toList());
  }

  /** Two loops, and two peers whose keys put them on different loops; returns their private keys. */
  private byte[][] start(String transport) throws IOException {
    loops = FlowTestKit.loops("epoll".equals(transport) && Epoll.isAvailable() ? "epoll" : "nio", 2);
    byte[][] privates = {keyOnShard(0), keyOnShard(1)};
    WireGuardPeerSettings a = WireGuardTunnelTest.peer("a", WireGuardKeys.publicKey(privates[0]), null,
        "198.18.91.0/24");
    WireGuardPeerSettings b = WireGuardTunnelTest.peer("b", WireGuardKeys.publicKey(privates[1]), null,
        "198.18.92.0/24");
    tunnel = new WireGuardTunnel(CONTEXT, new WireGuardSettings(Secret.of(serverPrivate), 0,
        Optional.of(InetAddress.getLoopbackAddress()), List.of(), List.of(a, b)), loops);
    tunnel.start(sink);
    assertEquals(2, tunnel.shardCount());
    for (byte[] key : privates) {
      clients.add(new LoopbackClient(key, WireGuardKeys.publicKey(serverPrivate), null, tunnel.localAddress()));
    }
    return privates;
  }

  /** A private key whose public key's first four bytes (little-endian) leave {@code shard} mod 2. */
  private byte[] keyOnShard(int shard) {
    while (true) {
      byte[] key = WireGuardKeys.generatePrivateKey(random);
      byte[] pub = WireGuardKeys.publicKey(key);
      int hash = (pub[0] & 0xff) | (pub[1] & 0xff) << 8 | (pub[2] & 0xff) << 16 | (pub[3] & 0xff) << 24;
      if (Integer.remainderUnsigned(hash, 2) == shard) {
        return key;
      }
    }
  }

  private void pumpBoth(String what, java.util.function.BooleanSupplier done) throws IOException {
    long deadlineNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!done.getAsBoolean()) {
      assertTrue(System.nanoTime() - deadlineNanos < 0, "not within 10 s: " + what);
      for (LoopbackClient client : clients) {
        client.pumpFor(5);
      }
    }
  }

  /** The UDP payload's length of an IPv4 packet, padding after it ignored. */
  private static int payloadBytes(byte[] packet) {
    return Unpooled.wrappedBuffer(packet).getUnsignedShort(2) - 20 - 8;
  }

  private byte[] udp(String source, String destination, int payloadBytes) {
    ByteBuf packet = writer.udp(address(source), 40_000, address(destination), 53,
        Unpooled.wrappedBuffer(new byte[payloadBytes]));
    try {
      return ByteBufUtil.getBytes(packet);
    } finally {
      packet.release();
    }
  }

  private static InetAddress address(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (UnknownHostException e) {
      throw new AssertionError(literal, e);
    }
  }
}
