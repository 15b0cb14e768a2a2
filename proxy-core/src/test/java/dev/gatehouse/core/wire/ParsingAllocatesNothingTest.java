package dev.gatehouse.core.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.lang.management.ManagementFactory;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class ParsingAllocatesNothingTest {

  private static final int WARM_UP_ROUNDS = 200_000;
  private static final int MEASURED_ROUNDS = 200_000;
  /** Far below one object per packet: a few stray bytes from the measurement itself. */
  private static final long ALLOWED_BYTES = 1024;

  private final IpPacket packet = new IpPacket();
  private final TcpSegment tcp = new TcpSegment();
  private final UdpDatagram udp = new UdpDatagram();
  private final Icmpv4Message icmpv4 = new Icmpv4Message();
  private final IpPacket quoted = new IpPacket();

  @Test
  void readsVerifiesAndRewritesPacketsWithoutAllocating() {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    String udpPacket = Ipv4HeaderTest.UDP_PACKET.replace(" ", "");
    byte[][] packets = {
        HexFormat.of().parseHex(udpPacket),
        HexFormat.of().parseHex("4500003c1c4640004006924dc6120001c6130002"
            + "d43101bb0a0b0c0d00000000a002faf0f29f0000"
            + "020405b40402080a0001e2400000000001030307"),
        HexFormat.of().parseHex("450000380000000040010000c6130002c6120001"
            + "0304000000000578" + udpPacket.substring(0, 56)),
        Ipv6HeaderTest.packet(0x60000000, IpProtocol.HOP_BY_HOP, 64,
            "2c00 0104 00000000", "0600 0001 deadbeef",
            "d43101bb0a0b0c0d0000000050020000 00000000"),
    };
    // Heap buffers outside the paranoid leak detector, whose own records would be counted.
    ByteBuf[] buffers = new ByteBuf[packets.length];
    for (int i = 0; i < packets.length; i++) {
      buffers[i] = Unpooled.wrappedBuffer(packets[i]);
    }
    try {
      long checksum = 0;
      for (int round = 0; round < WARM_UP_ROUNDS; round++) {
        checksum += readAndRewrite(buffers[round % buffers.length]);
      }
      long before = threads.getCurrentThreadAllocatedBytes();
      for (int round = 0; round < MEASURED_ROUNDS; round++) {
        checksum += readAndRewrite(buffers[round % buffers.length]);
      }
      long allocated = threads.getCurrentThreadAllocatedBytes() - before;

      assertTrue(checksum != 0);
      assertTrue(allocated < ALLOWED_BYTES,
          allocated + " bytes allocated over " + MEASURED_ROUNDS + " packets");
    } finally {
      for (ByteBuf buffer : buffers) {
        buffer.release();
      }
    }
  }

  private long readAndRewrite(ByteBuf buffer) {
    assertEquals(WireStatus.OK, packet.wrap(buffer, 0, buffer.capacity()));
    long seen = packet.protocol();
    int offset = packet.payloadOffset();
    int length = packet.payloadLengthBytes();
    switch (packet.protocol()) {
      case IpProtocol.TCP -> {
        tcp.wrap(buffer, offset, length);
        for (int at = tcp.firstOptionOffset(); at >= 0; at = tcp.nextOptionOffset(at)) {
          seen += tcp.optionKind(at);
        }
        seen += tcp.mss() + tcp.windowScale() + tcp.sequenceNumber();
        seen += tcp.verifyChecksum(packet.pseudoHeaderSum(length)).ordinal();
        packet.rewriteSourcePort(tcp.sourcePort() + 1);
      }
      case IpProtocol.UDP -> {
        udp.wrap(buffer, offset, length);
        seen += udp.verifyChecksumOverIpv4(packet.pseudoHeaderSum(udp.lengthBytes())).ordinal();
        packet.rewriteSourceAddress(packet.ipv4().sourceAddress() + 1);
      }
      default -> {
        icmpv4.wrap(buffer, offset, length);
        seen += icmpv4.verifyChecksum().ordinal();
        seen += icmpv4.wrapQuotedPacket(quoted).ordinal() + quoted.sourcePort();
      }
    }
    return seen;
  }
}
