package dev.gatehouse.ingress.wireguard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.ingress.wireguard.crypto.ChaChaPoly;
import dev.gatehouse.ingress.wireguard.wire.TransportData;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The transport path allocates nothing per packet of its own (issue #5), both ways: an inner
 * packet sealed into a datagram by one device, that datagram opened and delivered by the
 * other, with pooled buffers.
 *
 * <p>The JDK's ChaCha20-Poly1305 does allocate: each packet needs {@code Cipher.init} for
 * its nonce, and {@code init} and {@code doFinal} make their own objects (see {@link
 * ChaChaPoly}), about 2.1 KB per packet on JDK 25.0.3. This test measures that cost on the
 * bare ciphers first, with the same packet sizes, and holds the devices to it: what they
 * allocate beyond the JDK's share must stay below a single small object per packet.
 *
 * <p>It runs on a {@link FastThreadLocalThread}, as the devices do on event loops: Netty's
 * recycler gives pooled buffer objects back only to such threads (elsewhere each pooled
 * buffer costs a new wrapper object, about 136 bytes). The pool hands out heap buffers:
 * Netty's pooled direct buffers, on a JVM where Netty may not use {@code sun.misc.Unsafe}
 * (JDK 25's default, and the appliance's), copy to and from arrays through a {@code
 * ByteBuffer} view that they sometimes make anew, about 64 bytes; that is the pool's cost,
 * not the path's, and this test would blame it on the devices.
 */
class TransportAllocationTest {

  private static final int INNER_BYTES = 1400;
  private static final int WARM_UP_ROUNDS = 20_000;
  private static final int MEASURED_ROUNDS = 20_000;
  /** Bytes per packet beyond the JDK's: under the 16 of the smallest object. */
  private static final double ALLOWED_BYTES_PER_PACKET = 8;
  private static final InetSocketAddress A_ENDPOINT = new InetSocketAddress("198.18.0.1", 40000);
  private static final InetSocketAddress B_ENDPOINT = new InetSocketAddress("198.18.0.2", 51820);
  private static final long NOW = 1_000_000_000_000L;
  private static final long FRESH_COUNTERS = 1L << 40;

  private final com.sun.management.ThreadMXBean threads =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  private final PooledByteBufAllocator pool = new PooledByteBufAllocator(false, 1, 1,
      PooledByteBufAllocator.defaultPageSize(), PooledByteBufAllocator.defaultMaxOrder(), 256, 64, true);
  private final byte[] innerTemplate = DevicePair.packet(INNER_BYTES);
  /** A's and B's keypair of the last device run, whose ciphers the JDK's share is measured on. */
  private final Keypair[] lastSession = new Keypair[2];

  /** Hands each datagram to the test and counts what was delivered, releasing it. */
  private static final class Handover implements WireGuardOutput {
    ByteBuf datagram;
    int delivered;
    int deliveredFirstByte;

    @Override
    public void send(WireGuardPeer peer, InetSocketAddress endpoint, ByteBuf out) {
      if (datagram != null) {
        datagram.release();
      }
      datagram = out;
    }

    @Override
    public void deliver(WireGuardPeer peer, ByteBuf innerPacket) {
      delivered++;
      deliveredFirstByte = innerPacket.getUnsignedByte(innerPacket.readerIndex());
      innerPacket.release();
    }

    ByteBuf take() {
      ByteBuf taken = datagram;
      datagram = null;
      assertNotNull(taken, "the device sent nothing");
      return taken;
    }
  }

  @Test
  void transportPacketsBothWaysAllocateNothingBeyondTheJdkCipher() throws Exception {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread loopLike = new FastThreadLocalThread(() -> {
      try {
        measure();
      } catch (Throwable t) {
        failure.set(t);
      }
    }, "transport-allocation");
    loopLike.start();
    loopLike.join();
    if (failure.get() != null) {
      throw new AssertionError(failure.get().getMessage(), failure.get());
    }
  }

  private void measure() {
    // Netty's paranoid detector (on for every test) records each buffer, which would be
    // counted here; the same path runs under it in the other device tests.
    ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    try {
      // twice: the first pass also pays for compiling the path
      deviceBytesPerPacket();
      double deviceBytesPerPacket = deviceBytesPerPacket();
      double jdkBytesPerPacket = jdkCipherBytesPerPacket();
      double ours = deviceBytesPerPacket - jdkBytesPerPacket;
      assertTrue(ours < ALLOWED_BYTES_PER_PACKET, String.format(
          "the devices allocated %.1f bytes per packet, the JDK's cipher alone %.1f: %.1f are ours",
          deviceBytesPerPacket, jdkBytesPerPacket, ours));
    } finally {
      ResourceLeakDetector.setLevel(level);
    }
  }

  /**
   * Seal and open alone, on A's sending and B's receiving cipher of the last session, with
   * counters above any the devices used, as the devices do them per packet.
   */
  private double jdkCipherBytesPerPacket() {
    ChaChaPoly sender = lastSession[0].sender;
    ChaChaPoly receiver = lastSession[1].receiver;
    int sealedBytes = INNER_BYTES + TransportData.paddingBytes(INNER_BYTES, WireGuardDevice.DEFAULT_MTU_BYTES);
    byte[] buf = new byte[sealedBytes + ChaChaPoly.TAG_BYTES];
    long opened = 0;
    long before = 0;
    for (int round = 0; round < WARM_UP_ROUNDS + MEASURED_ROUNDS; round++) {
      if (round == WARM_UP_ROUNDS) {
        before = threads.getCurrentThreadAllocatedBytes();
      }
      sender.sealInPlace(FRESH_COUNTERS + round, buf, 0, sealedBytes);
      opened += receiver.openInPlace(FRESH_COUNTERS + round, buf, 0, sealedBytes + ChaChaPoly.TAG_BYTES) ? 1 : 0;
    }
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    assertEquals(WARM_UP_ROUNDS + MEASURED_ROUNDS, opened);
    return (double) allocated / MEASURED_ROUNDS;
  }

  /** Both directions through two devices with a session; two packets per round. */
  private double deviceBytesPerPacket() {
    SplittableRandom random = new SplittableRandom(5);
    Handover aOut = new Handover();
    Handover bOut = new Handover();
    WireGuardDevice a = new WireGuardDevice(WireGuardKeys.generatePrivateKey(random), aOut, pool,
        new SplittableRandom(6), 0, WireGuardDevice.DEFAULT_MTU_BYTES);
    WireGuardDevice b = new WireGuardDevice(WireGuardKeys.generatePrivateKey(random), bOut, pool,
        new SplittableRandom(7), 0, WireGuardDevice.DEFAULT_MTU_BYTES);
    WireGuardPeer bAtA = a.addPeer(b.publicKey(), null, B_ENDPOINT, 0);
    WireGuardPeer aAtB = b.addPeer(a.publicKey(), null, null, 0);

    // the handshake, carried by A's first packet, and B's keypair confirmed by it
    assertEquals(SendResult.QUEUED, a.send(bAtA, inner(), NOW));
    assertEquals(ReceiveResult.HANDSHAKE_ANSWERED, b.receive(aOut.take(), A_ENDPOINT, NOW));
    assertEquals(ReceiveResult.HANDSHAKE_COMPLETED, a.receive(bOut.take(), B_ENDPOINT, NOW));
    assertEquals(ReceiveResult.DATA, b.receive(aOut.take(), A_ENDPOINT, NOW));

    long before = 0;
    for (int round = 0; round < WARM_UP_ROUNDS + MEASURED_ROUNDS; round++) {
      if (round == WARM_UP_ROUNDS) {
        before = threads.getCurrentThreadAllocatedBytes();
      }
      a.send(bAtA, inner(), NOW);
      b.receive(aOut.take(), A_ENDPOINT, NOW);
      b.send(aAtB, inner(), NOW);
      a.receive(bOut.take(), B_ENDPOINT, NOW);
    }
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    lastSession[0] = bAtA.current;
    lastSession[1] = aAtB.current;

    int rounds = WARM_UP_ROUNDS + MEASURED_ROUNDS;
    assertEquals(rounds + 1, bOut.delivered, "every packet from A arrived");
    assertEquals(rounds, aOut.delivered, "every packet from B arrived");
    assertEquals(innerTemplate[0] & 0xff, aOut.deliveredFirstByte);
    assertEquals(0, a.counters().totalDrops() + b.counters().totalDrops());
    return (double) allocated / (2L * MEASURED_ROUNDS);
  }

  private ByteBuf inner() {
    return pool.buffer(INNER_BYTES).writeBytes(innerTemplate);
  }
}
