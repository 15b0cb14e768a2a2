package dev.gatehouse.core.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TcpSegmentTest {

  /**
   * A SYN from 198.18.0.1:54321 to 198.19.0.2:443 with the options Linux sends: MSS 1460,
   * SACK-Permitted, Timestamps (123456, 0), NOP, Window Scale 7.
   */
  private static final String SYN = "d43101bb 0a0b0c0d 00000000 a002faf0 f29f0000"
      + "020405b4 0402080a 0001e240 00000000 01030307";
  private static final int SYN_PSEUDO_HEADER_SUM =
      Checksums.ipv4PseudoHeaderSum(0xC6120001, 0xC6130002, IpProtocol.TCP, 40);

  private final TcpSegment tcp = new TcpSegment();

  @Test
  void readsEveryFieldOfASyn() {
    byte[] segment = bytes(SYN);
    Buffers.with(segment, buffer -> {
      assertEquals(WireStatus.OK, tcp.wrap(buffer, 0, segment.length));
      assertEquals(54321, tcp.sourcePort());
      assertEquals(443, tcp.destinationPort());
      assertEquals(0x0A0B0C0D, tcp.sequenceNumber());
      assertEquals(0, tcp.acknowledgmentNumber());
      assertEquals(40, tcp.headerLengthBytes());
      assertEquals(0, tcp.reservedBits());
      assertEquals(TcpSegment.FLAG_SYN, tcp.flags());
      assertTrue(tcp.isSyn());
      assertFalse(tcp.isAck() || tcp.isFin() || tcp.isRst() || tcp.isPsh() || tcp.isUrg());
      assertFalse(tcp.isEce() || tcp.isCwr());
      assertEquals(0xFAF0, tcp.window());
      assertEquals(0xF29F, tcp.checksum());
      assertEquals(0, tcp.urgentPointer());
      assertEquals(40, tcp.payloadOffset());
      assertEquals(0, tcp.payloadLengthBytes());
      assertEquals(1460, tcp.mss());
      assertTrue(tcp.sackPermitted());
      assertTrue(tcp.hasTimestamps());
      assertEquals(123456, tcp.timestampValue());
      assertEquals(0, tcp.timestampEchoReply());
      assertEquals(7, tcp.windowScale());
      assertEquals(0, tcp.sackBlockCount());
      assertEquals(WireStatus.OK, tcp.verifyChecksum(SYN_PSEUDO_HEADER_SUM));
      assertEquals(0xF29F, tcp.computeChecksum(SYN_PSEUDO_HEADER_SUM));
      return null;
    });
  }

  @Test
  void visitsEveryOptionInOrder() {
    byte[] segment = bytes(SYN);
    Buffers.with(segment, buffer -> {
      assertEquals(WireStatus.OK, tcp.wrap(buffer, 0, segment.length));
      List<String> seen = new ArrayList<>();
      for (int at = tcp.firstOptionOffset(); at >= 0; at = tcp.nextOptionOffset(at)) {
        seen.add(tcp.optionKind(at) + "/" + tcp.optionLengthBytes(at) + "@" + at);
      }
      assertEquals(List.of("2/4@20", "4/2@24", "8/10@26", "1/1@36", "3/3@37"), seen);
      return null;
    });
  }

  @Test
  void stopsVisitingAtEndOfOptionListAndIgnoresThePaddingAfterIt() {
    // SACK with two blocks, End of Option List, then bytes that would be malformed options.
    byte[] segment = withOptions("0101 0512 00000001 00000002 00000003 00000004 00 ff01ff");
    Buffers.with(segment, buffer -> {
      assertEquals(WireStatus.OK, tcp.wrap(buffer, 0, segment.length));
      List<Integer> kinds = new ArrayList<>();
      for (int at = tcp.firstOptionOffset(); at >= 0; at = tcp.nextOptionOffset(at)) {
        kinds.add(tcp.optionKind(at));
      }
      assertEquals(List.of(1, 1, 5, 0), kinds);
      assertEquals(2, tcp.sackBlockCount());
      assertEquals(1, tcp.sackLeftEdge(0));
      assertEquals(2, tcp.sackRightEdge(0));
      assertEquals(3, tcp.sackLeftEdge(1));
      assertEquals(4, tcp.sackRightEdge(1));
      assertThrows(IndexOutOfBoundsException.class, () -> tcp.sackLeftEdge(2));
      assertEquals(-1, tcp.mss());
      assertEquals(-1, tcp.windowScale());
      assertFalse(tcp.sackPermitted());
      assertFalse(tcp.hasTimestamps());
      return null;
    });
  }

  @Test
  void skipsAnUnknownOptionWithAValidLength() {
    // Kind 254 (RFC 6994 experimental), length 6, then MSS.
    byte[] segment = withOptions("fe06 0102 0304 020405b4 0000");
    Buffers.with(segment, buffer -> {
      assertEquals(WireStatus.OK, tcp.wrap(buffer, 0, segment.length));
      assertEquals(1460, tcp.mss());
      return null;
    });
  }

  @Test
  void hasNoOptionsToVisitInAMinimalHeader() {
    byte[] segment = bytes("d43101bb 0a0b0c0d 00000000 5010faf0 00000000 6869");
    Buffers.with(segment, buffer -> {
      assertEquals(WireStatus.OK, tcp.wrap(buffer, 0, segment.length));
      assertEquals(-1, tcp.firstOptionOffset());
      assertEquals(2, tcp.payloadLengthBytes());
      assertTrue(tcp.isAck());
      return null;
    });
  }

  @Test
  void reportsTruncatedBelowTheFixedHeaderAndBadHeaderLengthBelowDataOffset() {
    byte[] segment = bytes(SYN);
    Buffers.with(segment, buffer -> {
      for (int length = 0; length < TcpSegment.MIN_HEADER_LENGTH_BYTES; length++) {
        assertEquals(WireStatus.TRUNCATED, tcp.wrap(buffer, 0, length), "length " + length);
      }
      for (int length = TcpSegment.MIN_HEADER_LENGTH_BYTES; length < 40; length++) {
        assertEquals(WireStatus.BAD_HEADER_LENGTH, tcp.wrap(buffer, 0, length), "length " + length);
      }
      return null;
    });
  }

  @Test
  void reportsDataOffsetBelowFive() {
    for (int dataOffset = 0; dataOffset < 5; dataOffset++) {
      byte[] segment = bytes(SYN);
      segment[TcpSegment.DATA_OFFSET_OFFSET] = (byte) (dataOffset << 4);
      assertEquals(WireStatus.BAD_HEADER_LENGTH, wrap(segment), "data offset " + dataOffset);
    }
  }

  @Test
  void reportsOptionLengthZeroOneOrPastTheHeader() {
    assertEquals(WireStatus.BAD_OPTION, wrap(withOptions("fe00 0000")));
    assertEquals(WireStatus.BAD_OPTION, wrap(withOptions("fe01 0000")));
    assertEquals(WireStatus.BAD_OPTION, wrap(withOptions("0101 fe03")));
    assertEquals(WireStatus.BAD_OPTION, wrap(withOptions("010101 02")));
    assertEquals(WireStatus.BAD_OPTION, wrap(withOptions("0101 080a 00000000")));
  }

  @Test
  void reportsAKnownOptionWithTheWrongLength() {
    assertEquals(WireStatus.BAD_OPTION, wrap(withOptions("0203 05b4")));
    assertEquals(WireStatus.BAD_OPTION, wrap(withOptions("0304 0700")));
    assertEquals(WireStatus.BAD_OPTION, wrap(withOptions("0403 0000")));
    assertEquals(WireStatus.BAD_OPTION, wrap(withOptions("0802 0000")));
    assertEquals(WireStatus.BAD_OPTION, wrap(withOptions("0502 0000")));
    assertEquals(WireStatus.BAD_OPTION, wrap(withOptions("050b 00000001 00000002 000000 00")));
  }

  @Test
  void reportsAChecksumThatDoesNotVerify() {
    byte[] segment = bytes(SYN);
    for (int index = 0; index < segment.length; index++) {
      segment[index] ^= 0x01;
      if (wrap(segment) == WireStatus.OK) {
        int at = index;
        Buffers.with(segment, buffer -> {
          tcp.wrap(buffer, 0, segment.length);
          assertEquals(WireStatus.BAD_CHECKSUM, tcp.verifyChecksum(SYN_PSEUDO_HEADER_SUM),
              "byte " + at);
          return null;
        });
      }
      segment[index] ^= 0x01;
    }
    int otherDestination =
        Checksums.ipv4PseudoHeaderSum(0xC6120001, 0xC6130003, IpProtocol.TCP, 40);
    Buffers.with(segment, buffer -> {
      tcp.wrap(buffer, 0, segment.length);
      assertEquals(WireStatus.BAD_CHECKSUM, tcp.verifyChecksum(otherDestination));
      return null;
    });
  }

  @Test
  void rewritesPortsAndUpdatesTheChecksumLikeARecompute() {
    Random random = new Random(1624_9293);
    byte[] segment = bytes(SYN);
    Buffers.with(segment, buffer -> {
      tcp.wrap(buffer, 0, segment.length);
      for (int round = 0; round < 5_000; round++) {
        int port = switch (random.nextInt(4)) {
          case 0 -> 0;
          case 1 -> 0xFFFF;
          default -> random.nextInt(0x10000);
        };
        if (random.nextBoolean()) {
          tcp.rewriteSourcePort(port);
          assertEquals(port, tcp.sourcePort());
        } else {
          tcp.rewriteDestinationPort(port);
          assertEquals(port, tcp.destinationPort());
        }
        assertEquals(tcp.computeChecksum(SYN_PSEUDO_HEADER_SUM), tcp.checksum());
      }
      return null;
    });
  }

  @Test
  void updatesTheChecksumForASequenceNumberChange() {
    Random random = new Random(9293_3);
    byte[] segment = bytes(SYN);
    Buffers.with(segment, buffer -> {
      tcp.wrap(buffer, 0, segment.length);
      for (int round = 0; round < 2_000; round++) {
        int old = tcp.sequenceNumber();
        int next = random.nextInt();
        tcp.setSequenceNumber(next);
        tcp.updateChecksum32(old, next);
        assertEquals(WireStatus.OK, tcp.verifyChecksum(SYN_PSEUDO_HEADER_SUM));
      }
      return null;
    });
  }

  private WireStatus wrap(byte[] segment) {
    return Buffers.with(segment, buffer -> tcp.wrap(buffer, 0, segment.length));
  }

  /** A segment whose header carries exactly {@code optionsHex} (a multiple of 4 bytes). */
  private static byte[] withOptions(String optionsHex) {
    byte[] options = bytes(optionsHex);
    byte[] fixed = bytes("d43101bb 0a0b0c0d 00000000 0010faf0 00000000");
    fixed[TcpSegment.DATA_OFFSET_OFFSET] = (byte) ((20 + options.length) / 4 << 4);
    byte[] segment = new byte[fixed.length + options.length];
    System.arraycopy(fixed, 0, segment, 0, fixed.length);
    System.arraycopy(options, 0, segment, fixed.length, options.length);
    return segment;
  }

  private static byte[] bytes(String hex) {
    return HexFormat.of().parseHex(hex.replace(" ", ""));
  }
}
