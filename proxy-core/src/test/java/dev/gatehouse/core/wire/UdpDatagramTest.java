package dev.gatehouse.core.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class UdpDatagramTest {

  /** 198.18.0.1:5353 to 198.19.0.2:53 carrying "gatehouse". */
  private static final String DATAGRAM = "14e90035 0011 3fdb 67617465686f757365";
  private static final int PSEUDO_HEADER_SUM =
      Checksums.ipv4PseudoHeaderSum(0xC6120001, 0xC6130002, IpProtocol.UDP, 17);

  private final UdpDatagram udp = new UdpDatagram();

  @Test
  void readsEveryFieldOfAFixture() {
    byte[] datagram = bytes(DATAGRAM);
    Buffers.with(datagram, buffer -> {
      assertEquals(WireStatus.OK, udp.wrap(buffer, 0, datagram.length));
      assertEquals(5353, udp.sourcePort());
      assertEquals(53, udp.destinationPort());
      assertEquals(17, udp.lengthBytes());
      assertEquals(0x3FDB, udp.checksum());
      assertEquals(8, udp.payloadOffset());
      assertEquals(9, udp.payloadLengthBytes());
      assertEquals(WireStatus.OK, udp.verifyChecksumOverIpv4(PSEUDO_HEADER_SUM));
      assertEquals(0x3FDB, udp.computeChecksum(PSEUDO_HEADER_SUM));
      return null;
    });
  }

  @Test
  void reportsTruncatedBelowTheHeaderAndBadLengthPastTheIpPayload() {
    byte[] datagram = bytes(DATAGRAM);
    Buffers.with(datagram, buffer -> {
      for (int length = 0; length < UdpDatagram.HEADER_LENGTH_BYTES; length++) {
        assertEquals(WireStatus.TRUNCATED, udp.wrap(buffer, 0, length), "length " + length);
      }
      for (int length = UdpDatagram.HEADER_LENGTH_BYTES; length < datagram.length; length++) {
        assertEquals(WireStatus.BAD_TOTAL_LENGTH, udp.wrap(buffer, 0, length), "length " + length);
      }
      return null;
    });
  }

  @Test
  void reportsALengthFieldBelowTheHeader() {
    for (int length = 0; length < UdpDatagram.HEADER_LENGTH_BYTES; length++) {
      byte[] datagram = bytes(DATAGRAM);
      datagram[UdpDatagram.LENGTH_OFFSET + 1] = (byte) length;
      assertEquals(WireStatus.BAD_TOTAL_LENGTH,
          Buffers.with(datagram, buffer -> udp.wrap(buffer, 0, datagram.length)));
    }
  }

  @Test
  void endsTheDatagramAtItsLengthFieldNotAtTheIpPayload() {
    byte[] datagram = bytes(DATAGRAM + "000000");
    Buffers.with(datagram, buffer -> {
      assertEquals(WireStatus.OK, udp.wrap(buffer, 0, datagram.length));
      assertEquals(17, udp.lengthBytes());
      assertEquals(9, udp.payloadLengthBytes());
      assertEquals(WireStatus.OK, udp.verifyChecksumOverIpv4(PSEUDO_HEADER_SUM));
      return null;
    });
  }

  @Test
  void acceptsAZeroChecksumOverIpv4AndRejectsItOverIpv6() {
    byte[] datagram = bytes(DATAGRAM);
    datagram[UdpDatagram.CHECKSUM_OFFSET] = 0;
    datagram[UdpDatagram.CHECKSUM_OFFSET + 1] = 0;
    Buffers.with(datagram, buffer -> {
      assertEquals(WireStatus.OK, udp.wrap(buffer, 0, datagram.length));
      assertEquals(WireStatus.OK, udp.verifyChecksumOverIpv4(PSEUDO_HEADER_SUM));
      assertEquals(WireStatus.BAD_CHECKSUM, udp.verifyChecksumOverIpv6(PSEUDO_HEADER_SUM));
      return null;
    });
  }

  @Test
  void reportsAChecksumThatDoesNotVerify() {
    byte[] datagram = bytes(DATAGRAM);
    datagram[datagram.length - 1] ^= 0x20;
    Buffers.with(datagram, buffer -> {
      assertEquals(WireStatus.OK, udp.wrap(buffer, 0, datagram.length));
      assertEquals(WireStatus.BAD_CHECKSUM, udp.verifyChecksumOverIpv4(PSEUDO_HEADER_SUM));
      assertEquals(WireStatus.BAD_CHECKSUM, udp.verifyChecksumOverIpv6(PSEUDO_HEADER_SUM));
      return null;
    });
  }

  @Test
  void sendsAComputedZeroChecksumAsAllOnes() {
    // Choose the two data bytes so that everything sums to 0xFFFF: the checksum is then
    // zero, which RFC 768 sends as 0xFFFF so that it does not read as "no checksum".
    byte[] datagram = bytes("14e90035 000a 0000 0000");
    int pseudoHeaderSum =
        Checksums.ipv4PseudoHeaderSum(0xC6120001, 0xC6130002, IpProtocol.UDP, 10);
    int others = Checksums.add(pseudoHeaderSum, ChecksumsTest.naiveSum(datagram));
    int filler = ~others & 0xFFFF;
    datagram[8] = (byte) (filler >>> 8);
    datagram[9] = (byte) filler;
    Buffers.with(datagram, buffer -> {
      assertEquals(WireStatus.OK, udp.wrap(buffer, 0, datagram.length));
      assertEquals(0xFFFF, udp.computeChecksum(pseudoHeaderSum));
      udp.writeChecksum(pseudoHeaderSum);
      assertEquals(0xFFFF, udp.checksum());
      assertEquals(WireStatus.OK, udp.verifyChecksumOverIpv6(pseudoHeaderSum));
      return null;
    });
  }

  @Test
  void keepsNoChecksumWhenRewritingAPortOfADatagramSentWithoutOne() {
    byte[] datagram = bytes(DATAGRAM);
    Buffers.with(datagram, buffer -> {
      udp.wrap(buffer, 0, datagram.length);
      udp.clearChecksum();
      udp.rewriteSourcePort(40000);
      udp.updateChecksum32(0xC6120001, 0xC6120009);
      assertEquals(40000, udp.sourcePort());
      assertEquals(UdpDatagram.NO_CHECKSUM, udp.checksum());
      return null;
    });
  }

  @Test
  void rewritesPortsAndUpdatesTheChecksumLikeARecompute() {
    Random random = new Random(768_1624);
    byte[] datagram = bytes(DATAGRAM);
    Buffers.with(datagram, buffer -> {
      udp.wrap(buffer, 0, datagram.length);
      for (int round = 0; round < 5_000; round++) {
        int port = random.nextInt(3) == 0 ? 0 : random.nextInt(0x10000);
        if (random.nextBoolean()) {
          udp.rewriteSourcePort(port);
        } else {
          udp.rewriteDestinationPort(port);
        }
        assertEquals(udp.computeChecksum(PSEUDO_HEADER_SUM), udp.checksum());
        assertEquals(WireStatus.OK, udp.verifyChecksumOverIpv6(PSEUDO_HEADER_SUM));
      }
      return null;
    });
  }

  @Test
  void turnsAnUpdatedChecksumOfZeroIntoAllOnes() {
    // A port change that makes the datagram sum to 0xFFFF: the recomputed checksum is 0,
    // sent as 0xFFFF, and the incremental update must land on the same bytes.
    byte[] datagram = bytes(DATAGRAM);
    ByteBuf buffer = Buffers.copyOf(datagram);
    try {
      udp.wrap(buffer, 0, datagram.length);
      int oldPort = udp.sourcePort();
      int othersWithoutPort = Checksums.add(PSEUDO_HEADER_SUM,
          Checksums.sumWithoutChecksumField(buffer, 2, datagram.length - 2, 6));
      int port = ~othersWithoutPort & 0xFFFF;
      udp.rewriteSourcePort(port);
      assertEquals(0xFFFF, udp.checksum(), "from " + Integer.toHexString(oldPort));
      assertEquals(0xFFFF, udp.computeChecksum(PSEUDO_HEADER_SUM));
    } finally {
      buffer.release();
    }
  }

  private static byte[] bytes(String hex) {
    return HexFormat.of().parseHex(hex.replace(" ", ""));
  }
}
