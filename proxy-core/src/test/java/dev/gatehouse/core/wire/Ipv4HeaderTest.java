package dev.gatehouse.core.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Ipv4HeaderTest {

  /** 198.18.0.1 to 198.19.0.2, DF, TTL 64, UDP 5353 to 53 carrying "gatehouse". */
  static final String UDP_PACKET = "45000025abcd4000401102d2c6120001c6130002"
      + "14e900350011 3fdb 67617465686f757365";

  private final Ipv4Header ipv4 = new Ipv4Header();

  @Test
  void readsEveryFieldOfAFixture() {
    ByteBuf buffer = Buffers.hex(UDP_PACKET);
    try {
      assertEquals(WireStatus.OK, ipv4.wrap(buffer, 0, buffer.readableBytes()));
      assertEquals(20, ipv4.headerLengthBytes());
      assertEquals(0, ipv4.typeOfService());
      assertEquals(37, ipv4.totalLengthBytes());
      assertEquals(0xABCD, ipv4.identification());
      assertTrue(ipv4.dontFragment());
      assertFalse(ipv4.moreFragments());
      assertFalse(ipv4.isFragment());
      assertEquals(0, ipv4.fragmentOffsetBytes());
      assertEquals(64, ipv4.ttl());
      assertEquals(IpProtocol.UDP, ipv4.protocol());
      assertEquals(0xC6120001, ipv4.sourceAddress());
      assertEquals(0xC6130002, ipv4.destinationAddress());
      assertEquals(20, ipv4.payloadOffset());
      assertEquals(17, ipv4.payloadLengthBytes());
      assertEquals(WireStatus.OK, ipv4.verifyHeaderChecksum());
      assertEquals(0x02D2, ipv4.computeHeaderChecksum());
    } finally {
      buffer.release();
    }
  }

  @Test
  void reportsTruncatedAtEveryLengthShortOfTotalLength() {
    byte[] packet = HexFormat.of().parseHex(UDP_PACKET.replace(" ", ""));
    Buffers.with(packet, buffer -> {
      for (int length = 0; length < packet.length; length++) {
        assertEquals(WireStatus.TRUNCATED, ipv4.wrap(buffer, 0, length), "length " + length);
      }
      assertEquals(WireStatus.OK, ipv4.wrap(buffer, 0, packet.length));
      return null;
    });
  }

  @Test
  void reportsAVersionOtherThanFour() {
    for (int version : new int[] {0, 5, 6, 15}) {
      assertEquals(WireStatus.BAD_VERSION, wrapWithByte(0, version << 4 | 5));
    }
  }

  @Test
  void reportsIhlBelowFive() {
    for (int ihl = 0; ihl < 5; ihl++) {
      assertEquals(WireStatus.BAD_HEADER_LENGTH, wrapWithByte(0, 0x40 | ihl), "IHL " + ihl);
    }
  }

  @Test
  void reportsIhlReachingPastTotalLength() {
    // Total Length 37: IHL 10 (40 bytes) and IHL 15 (60 bytes) claim more than the packet.
    assertEquals(WireStatus.BAD_HEADER_LENGTH, wrapWithByte(0, 0x4A));
    assertEquals(WireStatus.BAD_HEADER_LENGTH, wrapWithByte(0, 0x4F));
  }

  @Test
  void reportsTotalLengthShorterThanTheFixedHeader() {
    for (int totalLength : new int[] {0, 1, 19}) {
      assertEquals(WireStatus.BAD_TOTAL_LENGTH, wrapWithShort(2, totalLength));
    }
  }

  @Test
  void reportsTotalLengthLongerThanTheBytesReceived() {
    assertEquals(WireStatus.TRUNCATED, wrapWithShort(2, 38));
    assertEquals(WireStatus.TRUNCATED, wrapWithShort(2, 0xFFFF));
  }

  @Test
  void ignoresLinkPaddingAfterTotalLength() {
    byte[] packet = HexFormat.of().parseHex(UDP_PACKET.replace(" ", "") + "000000000000");
    Buffers.with(packet, buffer -> {
      assertEquals(WireStatus.OK, ipv4.wrap(buffer, 0, packet.length));
      assertEquals(17, ipv4.payloadLengthBytes());
      return null;
    });
  }

  @Test
  void readsAPacketAtAnOffsetInsideALargerBuffer() {
    byte[] packet = HexFormat.of().parseHex("ffffffff" + UDP_PACKET.replace(" ", "") + "ee");
    Buffers.with(packet, buffer -> {
      assertEquals(WireStatus.OK, ipv4.wrap(buffer, 4, packet.length - 4));
      assertEquals(24, ipv4.payloadOffset());
      assertEquals(WireStatus.OK, ipv4.verifyHeaderChecksum());
      assertEquals(0xC6130002, ipv4.destinationAddress());
      return null;
    });
  }

  @Test
  void acceptsWellFormedOptionsAndPaddingAfterEndOfList() {
    // NOP, Stream ID (136, length 4), End of Option List, then three bytes of anything.
    assertEquals(WireStatus.OK, wrapWithOptions("01 88 04 1234 00 ffffff"));
    assertEquals(WireStatus.OK, wrapWithOptions("01010101"));
  }

  @Test
  void reportsOptionLengthZeroOneOrPastTheHeader() {
    assertEquals(WireStatus.BAD_OPTION, wrapWithOptions("88 00 0000"));
    assertEquals(WireStatus.BAD_OPTION, wrapWithOptions("88 01 0000"));
    assertEquals(WireStatus.BAD_OPTION, wrapWithOptions("01 88 05 00"));
    assertEquals(WireStatus.BAD_OPTION, wrapWithOptions("010101 88"));
  }

  @Test
  void reportsAHeaderChecksumThatDoesNotVerify() {
    byte[] packet = HexFormat.of().parseHex(UDP_PACKET.replace(" ", ""));
    for (int index = 0; index < Ipv4Header.MIN_HEADER_LENGTH_BYTES; index++) {
      if (index == 0 || index == 2 || index == 3) {
        continue; // Version, IHL and Total Length are checked by wrap itself.
      }
      packet[index] ^= 0x10;
      int at = index;
      Buffers.with(packet, buffer -> {
        assertEquals(WireStatus.OK, ipv4.wrap(buffer, 0, packet.length));
        assertEquals(WireStatus.BAD_CHECKSUM, ipv4.verifyHeaderChecksum(), "byte " + at);
        return null;
      });
      packet[index] ^= 0x10;
    }
  }

  @Test
  void acceptsAQuotedHeaderWhoseTotalLengthIsLongerThanTheQuote() {
    byte[] packet = HexFormat.of().parseHex(UDP_PACKET.replace(" ", ""));
    Buffers.with(packet, buffer -> {
      assertEquals(WireStatus.TRUNCATED, ipv4.wrap(buffer, 0, 28));
      assertEquals(WireStatus.OK, ipv4.wrapQuoted(buffer, 0, 28));
      assertTrue(ipv4.isTruncated());
      assertEquals(8, ipv4.payloadLengthBytes());
      assertEquals(WireStatus.TRUNCATED, ipv4.wrapQuoted(buffer, 0, 19));
      return null;
    });
  }

  @Test
  void forgetsThePacketAfterAFailedWrap() {
    ByteBuf buffer = Buffers.hex(UDP_PACKET);
    try {
      assertEquals(WireStatus.OK, ipv4.wrap(buffer, 0, buffer.readableBytes()));
      assertEquals(WireStatus.TRUNCATED, ipv4.wrap(buffer, 0, 10));
      assertThrows(NullPointerException.class, ipv4::ttl);
    } finally {
      buffer.release();
    }
  }

  @Test
  void rewritesTtlAndAddressesKeepingTheHeaderChecksumEqualToARecompute() {
    Random random = new Random(1624_4);
    byte[] packet = HexFormat.of().parseHex(UDP_PACKET.replace(" ", ""));
    Buffers.with(packet, buffer -> {
      assertEquals(WireStatus.OK, ipv4.wrap(buffer, 0, packet.length));
      for (int round = 0; round < 5_000; round++) {
        switch (random.nextInt(3)) {
          case 0 -> ipv4.rewriteTtl(random.nextInt(256));
          case 1 -> ipv4.rewriteSourceAddress(random.nextInt(4) == 0 ? 0 : random.nextInt());
          default -> ipv4.rewriteDestinationAddress(random.nextInt(4) == 0 ? -1 : random.nextInt());
        }
        assertEquals(ipv4.computeHeaderChecksum(), ipv4.headerChecksum());
        assertEquals(WireStatus.OK, ipv4.verifyHeaderChecksum());
      }
      return null;
    });
  }

  @Test
  void refusesToStartAHeaderWithImpossibleLengths() {
    ByteBuf buffer = Buffers.copyOf(new byte[64]);
    try {
      assertThrows(IllegalArgumentException.class, () -> ipv4.init(buffer, 0, 22, 40));
      assertThrows(IllegalArgumentException.class, () -> ipv4.init(buffer, 0, 64, 64));
      assertThrows(IllegalArgumentException.class, () -> ipv4.init(buffer, 0, 24, 20));
      assertThrows(IndexOutOfBoundsException.class, () -> ipv4.init(buffer, 0, 20, 65));
    } finally {
      buffer.release();
    }
  }

  private WireStatus wrapWithByte(int index, int value) {
    byte[] packet = HexFormat.of().parseHex(UDP_PACKET.replace(" ", ""));
    packet[index] = (byte) value;
    return Buffers.with(packet, buffer -> ipv4.wrap(buffer, 0, packet.length));
  }

  private WireStatus wrapWithShort(int index, int value) {
    byte[] packet = HexFormat.of().parseHex(UDP_PACKET.replace(" ", ""));
    packet[index] = (byte) (value >>> 8);
    packet[index + 1] = (byte) value;
    return Buffers.with(packet, buffer -> ipv4.wrap(buffer, 0, packet.length));
  }

  /** The fixture with {@code optionsHex} inserted after the fixed header, IHL and length set. */
  private WireStatus wrapWithOptions(String optionsHex) {
    byte[] options = HexFormat.of().parseHex(optionsHex.replace(" ", ""));
    byte[] packet = HexFormat.of().parseHex(UDP_PACKET.replace(" ", ""));
    byte[] withOptions = new byte[packet.length + options.length];
    System.arraycopy(packet, 0, withOptions, 0, 20);
    System.arraycopy(options, 0, withOptions, 20, options.length);
    System.arraycopy(packet, 20, withOptions, 20 + options.length, packet.length - 20);
    withOptions[0] = (byte) (0x40 | (20 + options.length) / 4);
    withOptions[3] = (byte) withOptions.length;
    return Buffers.with(withOptions, buffer -> ipv4.wrap(buffer, 0, withOptions.length));
  }
}
