package dev.gatehouse.core.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gatehouse.core.flow.FlowDispatcher;
import dev.gatehouse.core.testing.FlowTestKit;
import dev.gatehouse.core.testing.FlowTestKit.RecordingReturnPath;
import dev.gatehouse.core.wire.IpPacket;
import dev.gatehouse.core.wire.PacketWriter;
import dev.gatehouse.core.wire.TcpSegment;
import dev.gatehouse.core.wire.WireStatus;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;

/**
 * A client on the far side of a tunnel, for engine tests: it writes segments as the tunnel
 * would deliver them into a dispatcher and reads what comes back with the wire views. One
 * connection per instance, from {@code client:port} to {@code origin:originPort}.
 */
final class TunnelTcpClient {
  static final int CLIENT_ISN = 1_000_000;

  private final PacketWriter writer = new PacketWriter(ByteBufAllocator.DEFAULT);
  private final FlowDispatcher dispatcher;
  private final RecordingReturnPath returnPath;
  private final InetAddress client;
  private final int clientPort;
  private final InetAddress origin;
  private final int originPort;
  private int sndNxt = CLIENT_ISN;
  private int rcvNxt;

  TunnelTcpClient(FlowDispatcher dispatcher, RecordingReturnPath returnPath, InetAddress client,
      int clientPort, InetAddress origin, int originPort) {
    this.dispatcher = dispatcher;
    this.returnPath = returnPath;
    this.client = client;
    this.clientPort = clientPort;
    this.origin = origin;
    this.originPort = originPort;
  }

  /** Sends the SYN (with an MSS option). */
  void syn() {
    send(CLIENT_ISN, 0, TcpSegment.FLAG_SYN, new byte[0]);
    sndNxt = CLIENT_ISN + 1;
  }

  /** Takes the SYN-ACK, failing on anything else, and acknowledges it. */
  Segment completeHandshake() throws InterruptedException {
    Segment synAck = Segment.read(returnPath.take());
    assertEquals(TcpSegment.FLAG_SYN | TcpSegment.FLAG_ACK, synAck.flags(), "expected SYN-ACK, got " + synAck);
    rcvNxt = synAck.seq() + 1;
    send(sndNxt, rcvNxt, TcpSegment.FLAG_ACK, new byte[0]);
    return synAck;
  }

  /** Sends {@code payload} as one segment in sequence. */
  void write(byte[] payload) {
    send(sndNxt, rcvNxt, TcpSegment.FLAG_ACK | TcpSegment.FLAG_PSH, payload);
    sndNxt += payload.length;
  }

  /** The next segment back to the client that carries {@code flag}, skipping others. */
  Segment nextWith(int flag) throws InterruptedException {
    for (int i = 0; i < 20; i++) {
      Segment segment = Segment.read(returnPath.take());
      if ((segment.flags() & flag) != 0) {
        return segment;
      }
    }
    throw new AssertionError("no segment with flag " + flag + " came back");
  }

  /** The next segment back to the client with a payload, skipping others. */
  Segment nextWithPayload() throws InterruptedException {
    for (int i = 0; i < 20; i++) {
      Segment segment = Segment.read(returnPath.take());
      if (segment.payload().length > 0) {
        return segment;
      }
    }
    throw new AssertionError("no data segment came back");
  }

  void send(int seq, int ack, int flags, byte[] payload) {
    ByteBuf options = Unpooled.EMPTY_BUFFER;
    if ((flags & TcpSegment.FLAG_SYN) != 0) {
      options = Unpooled.wrappedBuffer(new byte[] {2, 4, (byte) (1460 >> 8), (byte) 1460});
    }
    dispatcher.accept(FlowTestKit.TUNNEL, writer.tcp(client, clientPort, origin, originPort, seq, ack, flags,
        65535, options, Unpooled.wrappedBuffer(payload)));
  }

  /** What a segment back to the client said. */
  record Segment(int seq, int ack, int flags, byte[] payload) {
    @Override
    public boolean equals(Object other) {
      return other instanceof Segment s && seq == s.seq && ack == s.ack && flags == s.flags
          && java.util.Arrays.equals(payload, s.payload);
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(seq, ack, flags, java.util.Arrays.hashCode(payload));
    }

    @Override
    public String toString() {
      return "Segment[seq=" + seq + " ack=" + ack + " flags=0x" + Integer.toHexString(flags)
          + " payload=" + payload.length + "B]";
    }

    /** Reads and releases {@code packet}, checking its IP and TCP headers and checksum. */
    static Segment read(ByteBuf packet) {
      try {
        IpPacket ip = new IpPacket();
        assertEquals(WireStatus.OK, ip.wrap(packet, packet.readerIndex(), packet.readableBytes()));
        TcpSegment tcp = new TcpSegment();
        assertEquals(WireStatus.OK, tcp.wrap(packet, ip.payloadOffset(), ip.payloadLengthBytes()));
        assertEquals(WireStatus.OK, tcp.verifyChecksum(ip.pseudoHeaderSum(ip.payloadLengthBytes())));
        byte[] payload = new byte[tcp.payloadLengthBytes()];
        packet.getBytes(tcp.payloadOffset(), payload);
        return new Segment(tcp.sequenceNumber(), tcp.acknowledgmentNumber(), tcp.flags(), payload);
      } finally {
        packet.release();
      }
    }
  }
}
