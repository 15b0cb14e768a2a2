package dev.gatehouse.ingress.wireguard;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * A WireGuard client on loopback for tunnel tests: a second {@link WireGuardDevice} (the
 * engine itself) whose datagrams go through a real UDP socket. The test thread owns the
 * device, as the one thread that calls it: it sends, and {@link #pumpUntil} reads the
 * socket and ticks the timers.
 */
final class LoopbackClient implements AutoCloseable {
  private static final int SOCKET_POLL_MILLIS = 20;
  private static final Duration PUMP_LIMIT = Duration.ofSeconds(5);

  final byte[] privateKey;
  final WireGuardDevice device;
  final WireGuardPeer server;
  /** Inner packets the device delivered, padding included, in arrival order. */
  final List<byte[]> delivered = new ArrayList<>();
  /** Every datagram the socket received, as it came. */
  final List<byte[]> datagramsIn = new ArrayList<>();
  private final DatagramSocket socket;
  private final byte[] receiveBuffer = new byte[65_535];

  /** A client with a fresh key that knows the server at {@code serverEndpoint}. */
  LoopbackClient(byte[] serverPublicKey, byte[] presharedKey, InetSocketAddress serverEndpoint)
      throws IOException {
    this(WireGuardKeys.generatePrivateKey(new SecureRandom()), serverPublicKey, presharedKey, serverEndpoint);
  }

  LoopbackClient(byte[] privateKey, byte[] serverPublicKey, byte[] presharedKey, InetSocketAddress serverEndpoint)
      throws IOException {
    this.privateKey = privateKey.clone();
    this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    // room for a burst the tunnel sends while the test is not reading yet
    this.socket.setReceiveBufferSize(4 << 20);
    long wallClockOffsetNanos = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
    this.device = new WireGuardDevice(privateKey, new Output(), PooledByteBufAllocator.DEFAULT, new SecureRandom(),
        wallClockOffsetNanos, WireGuardDevice.DEFAULT_MTU_BYTES);
    this.server = device.addPeer(serverPublicKey, presharedKey, serverEndpoint, 0);
  }

  byte[] publicKey() {
    return device.publicKey();
  }

  /** The client's UDP address: what the tunnel should see as the peer's endpoint. */
  InetSocketAddress address() {
    return (InetSocketAddress) socket.getLocalSocketAddress();
  }

  /** Sends one inner packet through the client's device; takes ownership. */
  SendResult send(ByteBuf innerPacket) {
    return device.send(server, innerPacket, System.nanoTime());
  }

  /** Writes raw bytes to the server from the client's socket, past the device. */
  void sendRaw(byte[] datagram) throws IOException {
    socket.send(new DatagramPacket(datagram, datagram.length, server.endpoint()));
  }

  /** Reads and handles datagrams, ticking the device, until {@code done}; fails after five seconds. */
  void pumpUntil(String what, BooleanSupplier done) throws IOException {
    long deadlineNanos = System.nanoTime() + PUMP_LIMIT.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() - deadlineNanos > 0) {
        throw new AssertionError("not within " + PUMP_LIMIT.toMillis() + " ms: " + what);
      }
      receiveOne();
      device.tick(System.nanoTime());
    }
  }

  /** Reads and handles datagrams for {@code millis}, for tests that show nothing comes. */
  void pumpFor(long millis) throws IOException {
    long endNanos = System.nanoTime() + millis * 1_000_000L;
    while (System.nanoTime() - endNanos < 0) {
      receiveOne();
      device.tick(System.nanoTime());
    }
  }

  private void receiveOne() throws IOException {
    DatagramPacket packet = new DatagramPacket(receiveBuffer, receiveBuffer.length);
    socket.setSoTimeout(SOCKET_POLL_MILLIS);
    try {
      socket.receive(packet);
    } catch (SocketTimeoutException e) {
      return;
    }
    byte[] bytes = Arrays.copyOf(packet.getData(), packet.getLength());
    datagramsIn.add(bytes);
    device.receive(Unpooled.wrappedBuffer(bytes), (InetSocketAddress) packet.getSocketAddress(),
        System.nanoTime());
  }

  /** Forgets the server peer (erasing its keys) and closes the socket. */
  @Override
  public void close() {
    device.removePeer(server);
    socket.close();
  }

  private final class Output implements WireGuardOutput {
    @Override
    public void send(WireGuardPeer peer, InetSocketAddress endpoint, ByteBuf datagram) {
      try {
        byte[] bytes = ByteBufUtil.getBytes(datagram);
        socket.send(new DatagramPacket(bytes, bytes.length, endpoint));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } finally {
        datagram.release();
      }
    }

    @Override
    public void deliver(WireGuardPeer peer, ByteBuf innerPacket) {
      try {
        delivered.add(ByteBufUtil.getBytes(innerPacket));
      } finally {
        innerPacket.release();
      }
    }
  }
}
