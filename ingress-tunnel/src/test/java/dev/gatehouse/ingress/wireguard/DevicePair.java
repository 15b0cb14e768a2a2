package dev.gatehouse.ingress.wireguard;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Two engines wired to each other by hand: the test moves each datagram, or loses it. */
final class DevicePair {
  static final InetSocketAddress A_ENDPOINT = new InetSocketAddress("198.18.251.1", 40000);
  static final InetSocketAddress B_ENDPOINT = new InetSocketAddress("198.18.251.2", 51820);
  static final long START = 1_000_000_000_000L;

  final SplittableRandom keys;
  final byte[] aPrivate;
  final byte[] bPrivate;
  final RecordingOutput aOut = new RecordingOutput();
  final RecordingOutput bOut = new RecordingOutput();
  final WireGuardDevice a;
  final WireGuardDevice b;
  final WireGuardPeer bAtA;
  final WireGuardPeer aAtB;
  long now = START;

  DevicePair(long seed, byte[] psk) {
    keys = new SplittableRandom(seed);
    aPrivate = WireGuardKeys.generatePrivateKey(keys);
    bPrivate = WireGuardKeys.generatePrivateKey(keys);
    a = new WireGuardDevice(aPrivate, aOut, ByteBufAllocator.DEFAULT, new SplittableRandom(seed + 1),
        0, 1420);
    b = new WireGuardDevice(bPrivate, bOut, ByteBufAllocator.DEFAULT, new SplittableRandom(seed + 2),
        0, 1420);
    bAtA = a.addPeer(b.publicKey(), psk, B_ENDPOINT, 0);
    aAtB = b.addPeer(a.publicKey(), psk, null, 0);
  }

  /** Delivers every datagram A sent to B, in order; returns B's results. */
  List<ReceiveResult> aToB() {
    List<ReceiveResult> results = new ArrayList<>();
    while (!aOut.sent.isEmpty()) {
      results.add(b.receive(Unpooled.wrappedBuffer(aOut.take().bytes()), A_ENDPOINT, now));
    }
    return results;
  }

  List<ReceiveResult> bToA() {
    List<ReceiveResult> results = new ArrayList<>();
    while (!bOut.sent.isEmpty()) {
      results.add(a.receive(Unpooled.wrappedBuffer(bOut.take().bytes()), B_ENDPOINT, now));
    }
    return results;
  }

  /** A sends a packet, the handshake and the packet cross; both sides end with a session. */
  void handshake() {
    a.send(bAtA, Unpooled.wrappedBuffer(packet(40)), now);
    aToB();
    bToA();
    aToB();
  }

  ReceiveResult toB(byte[] datagram) {
    return b.receive(Unpooled.wrappedBuffer(datagram), A_ENDPOINT, now);
  }

  ReceiveResult toA(byte[] datagram) {
    return a.receive(Unpooled.wrappedBuffer(datagram), B_ENDPOINT, now);
  }

  void advanceSeconds(double seconds) {
    now += (long) (seconds * 1e9);
  }

  static byte[] packet(int length) {
    byte[] p = new byte[length];
    p[0] = 0x45;
    p[2] = (byte) (length >>> 8);
    p[3] = (byte) length;
    for (int i = 20; i < length; i++) {
      p[i] = (byte) (i * 7);
    }
    return p;
  }
}
