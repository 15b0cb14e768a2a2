package dev.gatehouse.ingress.wireguard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The engine against {@link ReferenceWireGuard}, a second implementation written from the
 * whitepaper alone: complete handshakes in both roles, with and without a preshared key,
 * exact bytes compared where the engine's randomness is known, then transport both ways.
 */
class InteropTest {

  private static final long WALL_OFFSET_NANOS = 1_700_000_000_000_000_000L;
  private static final long NOW = 42_000_000_000L;
  private static final InetSocketAddress REF_ENDPOINT = new InetSocketAddress("198.18.253.7", 51820);

  private final SplittableRandom keys = new SplittableRandom(99);
  private final byte[] devicePrivate = WireGuardKeys.generatePrivateKey(keys);
  private final byte[] refPrivate = WireGuardKeys.generatePrivateKey(keys);
  private final byte[] refEphemeral = WireGuardKeys.generatePrivateKey(keys);
  private final RecordingRandom random = new RecordingRandom(5);
  private final RecordingOutput out = new RecordingOutput();
  private final WireGuardDevice device = new WireGuardDevice(devicePrivate, out,
      ByteBufAllocator.DEFAULT, random, WALL_OFFSET_NANOS, 1420);

  @ParameterizedTest(name = "psk={0}")
  @ValueSource(booleans = {false, true})
  void engineInitiatesAndReferenceResponds(boolean withPsk) {
    byte[] psk = withPsk ? WireGuardKeys.generatePrivateKey(keys) : null;
    ReferenceWireGuard ref = new ReferenceWireGuard(refPrivate, device.publicKey(), psk);
    WireGuardPeer peer = device.addPeer(ref.staticPublic(), psk, REF_ENDPOINT, 0);

    // a packet with no session is queued and starts a handshake
    byte[] inner = ipv4Packet(20 + 13);
    assertEquals(SendResult.QUEUED, device.send(peer, Unpooled.wrappedBuffer(inner), NOW));
    RecordingOutput.Sent initiation = out.take();
    assertEquals(REF_ENDPOINT, initiation.endpoint());

    // the same initiation, byte for byte, from the reference given the same ephemeral
    int senderIndex = littleEndianInt(initiation.bytes(), 4);
    byte[] expected = new ReferenceWireGuard(devicePrivate, ref.staticPublic(), psk).initiation(
        random.lastPrivateKey(), senderIndex, ReferenceWireGuard.tai64n(WALL_OFFSET_NANOS + NOW),
        null);
    assertArrayEquals(expected, initiation.bytes());

    assertTrue(ref.consumeInitiation(initiation.bytes()));
    assertArrayEquals(ReferenceWireGuard.tai64n(WALL_OFFSET_NANOS + NOW), ref.lastTimestamp);
    byte[] response = ref.response(refEphemeral, 0x5EED, null);
    assertEquals(ReceiveResult.HANDSHAKE_COMPLETED,
        device.receive(Unpooled.wrappedBuffer(response), REF_ENDPOINT, NOW + 1));

    // the queued packet leaves under the new keypair, padded to 16
    byte[] plain = ref.openTransport(out.take().bytes());
    assertNotNull(plain);
    assertEquals(48, plain.length);
    assertArrayEquals(inner, Arrays.copyOf(plain, inner.length));
    assertEquals(0, out.sent.size());

    // and the reference's packets arrive
    byte[] back = ipv4Packet(64);
    assertEquals(ReceiveResult.DATA, device.receive(
        Unpooled.wrappedBuffer(ref.transport(0, back)), REF_ENDPOINT, NOW + 2));
    assertArrayEquals(back, out.delivered.getFirst().bytes());
    assertEquals(peer, out.delivered.getFirst().peer());
    assertEquals(NOW + 1, peer.latestHandshakeNanos());
  }

  @ParameterizedTest(name = "psk={0}")
  @ValueSource(booleans = {false, true})
  void referenceInitiatesAndEngineResponds(boolean withPsk) {
    byte[] psk = withPsk ? WireGuardKeys.generatePrivateKey(keys) : null;
    ReferenceWireGuard ref = new ReferenceWireGuard(refPrivate, device.publicKey(), psk);
    WireGuardPeer peer = device.addPeer(ref.staticPublic(), psk, null, 0);

    byte[] initiation = ref.initiation(refEphemeral, 0x1234,
        ReferenceWireGuard.tai64n(WALL_OFFSET_NANOS), null);
    assertEquals(ReceiveResult.HANDSHAKE_ANSWERED,
        device.receive(Unpooled.wrappedBuffer(initiation), REF_ENDPOINT, NOW));
    assertEquals(REF_ENDPOINT, peer.endpoint());
    RecordingOutput.Sent response = out.take();

    // the same response, byte for byte, from the reference given the engine's ephemeral
    ReferenceWireGuard mirror = new ReferenceWireGuard(devicePrivate, ref.staticPublic(), psk);
    assertTrue(mirror.consumeInitiation(initiation));
    int responderIndex = littleEndianInt(response.bytes(), 4);
    assertArrayEquals(mirror.response(random.lastPrivateKey(), responderIndex, null),
        response.bytes());

    assertTrue(ref.consumeResponse(response.bytes()));

    // the responder holds its packets until the initiator spoke under the new keypair
    byte[] early = ipv4Packet(100);
    assertEquals(SendResult.QUEUED, device.send(peer, Unpooled.wrappedBuffer(early), NOW + 1));
    assertEquals(0, out.sent.size());

    byte[] data = ipv4Packet(1400);
    assertEquals(ReceiveResult.DATA, device.receive(
        Unpooled.wrappedBuffer(ref.transport(0, data)), REF_ENDPOINT, NOW + 2));
    // the reference padded to 1408; the padding reaches the caller, who reads the IP length
    byte[] delivered = out.delivered.getFirst().bytes();
    assertEquals(1408, delivered.length);
    assertArrayEquals(data, Arrays.copyOf(delivered, data.length));

    byte[] plain = ref.openTransport(out.take().bytes());
    assertNotNull(plain);
    assertArrayEquals(early, Arrays.copyOf(plain, early.length));
    assertEquals(112, plain.length);

    assertEquals(SendResult.SENT, device.send(peer, Unpooled.wrappedBuffer(data), NOW + 3));
    byte[] echoed = ref.openTransport(out.take().bytes());
    assertNotNull(echoed);
    assertEquals(1408, echoed.length);
  }

  private static byte[] ipv4Packet(int length) {
    byte[] p = new byte[length];
    p[0] = 0x45;
    p[2] = (byte) (length >>> 8);
    p[3] = (byte) length;
    for (int i = 20; i < length; i++) {
      p[i] = (byte) i;
    }
    return p;
  }

  static int littleEndianInt(byte[] b, int i) {
    return (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8 | (b[i + 2] & 0xFF) << 16 | (b[i + 3] & 0xFF) << 24;
  }
}
