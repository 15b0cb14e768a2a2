package dev.gatehouse.ingress.gre.wire;

import static dev.gatehouse.ingress.gre.Fixtures.INNER_UDP;
import static dev.gatehouse.ingress.gre.Fixtures.hex;
import static dev.gatehouse.ingress.gre.Fixtures.hexOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Byte fixtures for every GRE header variant (RFC 2784 §2, RFC 2890 §2) and every malformed
 * case. The checksums were computed apart from this code, by a separate RFC 1071 sum.
 */
class GreHeaderTest {

  /** No optional field: the 4-byte header (RFC 2784 §2.1). */
  static final String PLAIN = "0000 0800" + INNER_UDP;
  /** Checksum and Reserved1 only: 0x1785 over header and payload (RFC 2784 §2.5). */
  static final String CHECKSUM = "8000 0800 1785 0000" + INNER_UDP;
  /** Key 0x01020304 only (RFC 2890 §2.1). */
  static final String KEY = "2000 0800 01020304" + INNER_UDP;
  /** Sequence number 7 only (RFC 2890 §2.2). */
  static final String SEQUENCE = "1000 0800 00000007" + INNER_UDP;
  /** Checksum 0xe377, key 0x01020304, sequence number 7: the 16-byte header. */
  static final String ALL = "b000 0800 e377 0000 01020304 00000007" + INNER_UDP;
  /** An IPv6 payload (EtherType 0x86DD): only the first word of it is present. */
  static final String IPV6 = "0000 86dd 60000000";

  private final GreHeader gre = new GreHeader();

  private void wrapped(String hex, GreStatus expected, Consumer<GreHeader> checks) {
    ByteBuf buffer = hex(hex);
    try {
      assertEquals(expected, gre.wrap(buffer, 0, buffer.readableBytes()));
      checks.accept(gre);
    } finally {
      buffer.release();
    }
  }

  // --- decode

  @Test
  void decodesTheBareHeader() {
    wrapped(PLAIN, GreStatus.OK, h -> {
      assertFalse(h.checksumPresent());
      assertFalse(h.keyPresent());
      assertFalse(h.sequenceNumberPresent());
      assertEquals(0, h.version());
      assertEquals(GreHeader.PROTOCOL_IPV4, h.protocolType());
      assertEquals(4, h.headerLengthBytes());
      assertEquals(4, h.payloadOffset());
      assertEquals(28, h.payloadLengthBytes());
      assertEquals(GreStatus.OK, h.verifyChecksum());
    });
  }

  @Test
  void decodesChecksumOnly() {
    wrapped(CHECKSUM, GreStatus.OK, h -> {
      assertTrue(h.checksumPresent());
      assertFalse(h.keyPresent());
      assertEquals(0x1785, h.checksum());
      assertEquals(8, h.headerLengthBytes());
      assertEquals(GreStatus.OK, h.verifyChecksum());
      assertEquals(0x1785, h.computeChecksum());
    });
  }

  @Test
  void decodesKeyOnly() {
    wrapped(KEY, GreStatus.OK, h -> {
      assertTrue(h.keyPresent());
      assertFalse(h.checksumPresent());
      assertEquals(0x01020304, h.key());
      assertEquals(8, h.headerLengthBytes());
    });
  }

  @Test
  void decodesSequenceNumberOnly() {
    wrapped(SEQUENCE, GreStatus.OK, h -> {
      assertTrue(h.sequenceNumberPresent());
      assertEquals(7, h.sequenceNumber());
      assertEquals(8, h.headerLengthBytes());
    });
  }

  @Test
  void decodesChecksumKeyAndSequenceNumberInRfc2890Order() {
    wrapped(ALL, GreStatus.OK, h -> {
      assertEquals(0xe377, h.checksum());
      assertEquals(0x01020304, h.key());
      assertEquals(7, h.sequenceNumber());
      assertEquals(16, h.headerLengthBytes());
      assertEquals(16, h.payloadOffset());
      assertEquals(GreStatus.OK, h.verifyChecksum());
    });
  }

  @Test
  void decodesAnIpv6ProtocolType() {
    wrapped(IPV6, GreStatus.OK, h -> {
      assertEquals(GreHeader.PROTOCOL_IPV6, h.protocolType());
      assertEquals(4, h.payloadLengthBytes());
    });
  }

  @Test
  void decodesAnUnknownProtocolTypeAsItIsForTheCallerToJudge() {
    // 0x6558, Transparent Ethernet Bridging: well-formed GRE, not a payload we carry
    wrapped("0000 6558 00112233", GreStatus.OK, h -> assertEquals(0x6558, h.protocolType()));
  }

  @Test
  void ignoresReservedBitsSixToTwelve() {
    // RFC 2784 §2.3: "MUST be ignored on receipt"
    wrapped("03f8 0800" + INNER_UDP, GreStatus.OK, h -> assertEquals(4, h.headerLengthBytes()));
  }

  @Test
  void decodesAtAnOffsetWithinALargerBuffer() {
    ByteBuf buffer = hex("ffffffff" + KEY + "eeee");
    try {
      assertEquals(GreStatus.OK, gre.wrap(buffer, 4, buffer.readableBytes() - 6));
      assertEquals(0x01020304, gre.key());
      assertEquals(12, gre.payloadOffset());
      assertEquals(28, gre.payloadLengthBytes());
    } finally {
      buffer.release();
    }
  }

  // --- malformed

  @Test
  void reportsTruncatedShortOfTheBaseHeader() {
    for (int length = 0; length < 4; length++) {
      ByteBuf buffer = hex(PLAIN);
      try {
        assertEquals(GreStatus.TRUNCATED, gre.wrap(buffer, 0, length), "length " + length);
      } finally {
        buffer.release();
      }
    }
  }

  @Test
  void reportsTruncatedShortOfTheOptionalFieldsTheFlagsAnnounce() {
    ByteBuf buffer = hex(ALL);
    try {
      for (int length = 4; length < 16; length++) {
        assertEquals(GreStatus.TRUNCATED, gre.wrap(buffer, 0, length), "length " + length);
      }
      assertEquals(GreStatus.OK, gre.wrap(buffer, 0, 16));
      assertEquals(0, gre.payloadLengthBytes());
    } finally {
      buffer.release();
    }
  }

  @Test
  void reportsAVersionOtherThanZero() {
    // version 1 with K set: PPTP's enhanced GRE (RFC 2637 §4.1), protocol 0x880B
    wrapped("2001 880b 00000000", GreStatus.BAD_VERSION, h -> {});
    wrapped("0007 0800" + INNER_UDP, GreStatus.BAD_VERSION, h -> {});
  }

  @Test
  void reportsReservedBitsOneFourAndFiveAsRfc2784Requires() {
    wrapped("4000 0800" + INNER_UDP, GreStatus.RESERVED_FLAGS, h -> {}); // bit 1, Routing Present
    wrapped("0800 0800" + INNER_UDP, GreStatus.RESERVED_FLAGS, h -> {}); // bit 4, Strict Source Route
    wrapped("0400 0800" + INNER_UDP, GreStatus.RESERVED_FLAGS, h -> {}); // bit 5, Recursion Control
  }

  @Test
  void reportsABadChecksum() {
    String flippedPayloadByte = "8000 0800 1785 0000" + INNER_UDP.substring(0, INNER_UDP.length() - 2) + "01";
    wrapped(flippedPayloadByte, GreStatus.OK, h -> assertEquals(GreStatus.BAD_CHECKSUM, h.verifyChecksum()));
    wrapped("8000 0800 1786 0000" + INNER_UDP, GreStatus.OK,
        h -> assertEquals(GreStatus.BAD_CHECKSUM, h.verifyChecksum()));
  }

  // --- encode

  @Test
  void encodesEveryVariantToTheFixtures() {
    assertEncodes(PLAIN, false, false, false);
    assertEncodes(CHECKSUM, true, false, false);
    assertEncodes(KEY, false, true, false);
    assertEncodes(SEQUENCE, false, false, true);
    assertEncodes(ALL, true, true, true);
  }

  private void assertEncodes(String expected, boolean checksum, boolean key, boolean sequence) {
    ByteBuf inner = hex(INNER_UDP);
    int headerLength = GreHeader.headerLengthBytes((checksum ? GreHeader.FLAG_CHECKSUM : 0)
        | (key ? GreHeader.FLAG_KEY : 0) | (sequence ? GreHeader.FLAG_SEQUENCE : 0));
    int length = headerLength + inner.readableBytes();
    ByteBuf out = ByteBufAllocator.DEFAULT.buffer(length);
    try {
      out.writerIndex(length);
      out.setBytes(0, new byte[length]); // garbage-free start is not assumed: init zeroes what it owns
      out.setByte(4, 0xAA);
      gre.init(out, 0, length, GreHeader.PROTOCOL_IPV4, checksum, key, sequence);
      if (key) {
        gre.setKey(0x01020304);
      }
      if (sequence) {
        gre.setSequenceNumber(7);
      }
      out.setBytes(gre.payloadOffset(), inner, 0, inner.readableBytes());
      if (checksum) {
        gre.writeChecksum();
      }
      assertEquals(expected.replace(" ", ""), hexOf(out));
    } finally {
      inner.release();
      out.release();
    }
  }

  @Test
  void refusesToSetAFieldTheHeaderWasStartedWithout() {
    ByteBuf out = ByteBufAllocator.DEFAULT.buffer(8).writeZero(8);
    try {
      gre.init(out, 0, 8, GreHeader.PROTOCOL_IPV4, false, true, false);
      assertThrows(IllegalStateException.class, () -> gre.setSequenceNumber(1));
      assertThrows(IllegalStateException.class, gre::writeChecksum);
      assertThrows(IllegalArgumentException.class,
          () -> gre.init(out, 0, 8, GreHeader.PROTOCOL_IPV4, true, true, false));
    } finally {
      out.release();
    }
  }
}
