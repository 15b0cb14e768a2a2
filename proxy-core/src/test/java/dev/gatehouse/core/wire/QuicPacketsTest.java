package dev.gatehouse.core.wire;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

class QuicPacketsTest {

  /** A datagram of {@code length} bytes starting with a long header. */
  private static ByteBuf longHeader(int firstByte, int version, int dcidLength, int length) {
    ByteBuf datagram = Unpooled.buffer(length);
    datagram.writeByte(firstByte).writeInt(version).writeByte(dcidLength);
    datagram.writeZero(length - datagram.writerIndex());
    return datagram;
  }

  private static boolean initial(ByteBuf datagram) {
    try {
      return QuicPackets.isClientInitial(datagram, 0, datagram.readableBytes());
    } finally {
      datagram.release();
    }
  }

  @Test
  void recognisesVersionOneAndVersionTwoInitials() {
    assertTrue(initial(longHeader(0xC3, 0x00000001, 8, 1200)), "v1 Initial (type 0b00)");
    assertTrue(initial(longHeader(0xD3, 0x6b3343cf, 8, 1252)), "v2 Initial (type 0b01, RFC 9369)");
    assertTrue(initial(longHeader(0xC0, 0x1a2a3a4a, 20, 1350)), "an unknown version's Initial");
  }

  @Test
  void recognisesInitialsWithTheQuicBitGreased() {
    // RFC 9287 §3.1: a client may clear the Fixed Bit in Initials to a server it remembers
    assertTrue(initial(longHeader(0x83, 0x00000001, 8, 1200)), "v1 Initial, fixed bit clear");
    assertTrue(initial(longHeader(0x93, 0x6b3343cf, 8, 1200)), "v2 Initial, fixed bit clear");
    assertFalse(initial(longHeader(0xA3, 0x00000001, 8, 1200)), "v1 Handshake, fixed bit clear");
  }

  @Test
  void refusesWhatIsNotAClientInitial() {
    assertFalse(initial(longHeader(0xE3, 0x00000001, 8, 1200)), "v1 Handshake (type 0b10)");
    assertFalse(initial(longHeader(0xC3, 0x6b3343cf, 8, 1200)), "type 0b00 is Retry in v2");
    assertFalse(initial(longHeader(0xC3, 0x00000000, 8, 1200)), "Version Negotiation");
    assertFalse(initial(longHeader(0x43, 0x00000001, 8, 1200)), "short header");
    assertFalse(initial(longHeader(0x83, 0x1a2a3a4a, 8, 1200)), "fixed bit clear in an unknown version");
    assertFalse(initial(longHeader(0xC3, 0x00000001, 21, 1200)), "connection ID over 20 bytes");
    assertFalse(initial(longHeader(0xC3, 0x00000001, 8, 1199)), "under 1200 bytes (RFC 9000 §14.1)");
  }

  @Test
  void namesInitialAndRetryTypesPerVersion() {
    // RFC 9000 §17.2: v1 Initial 0b00, Retry 0b11; RFC 9369 §3.2: v2 Initial 0b01, Retry 0b00
    assertTrue(QuicPackets.isInitial(0xC0, QuicPackets.QUIC_V1));
    assertTrue(QuicPackets.isInitial(0xD0, QuicPackets.QUIC_V2));
    assertFalse(QuicPackets.isInitial(0xC0, QuicPackets.QUIC_V2));
    assertTrue(QuicPackets.isRetry(0xF0, QuicPackets.QUIC_V1));
    assertTrue(QuicPackets.isRetry(0xC0, QuicPackets.QUIC_V2));
    assertFalse(QuicPackets.isRetry(0xF0, QuicPackets.QUIC_V2));
    assertFalse(QuicPackets.isRetry(0xE0, QuicPackets.QUIC_V1));
  }

  @Test
  void readsOnlyTheDatagramItWasGiven() {
    ByteBuf buffer = longHeader(0xC3, 0x00000001, 8, 1300);
    try {
      // the same bytes, but the datagram is said to end before 1200: not an Initial
      assertFalse(QuicPackets.isClientInitial(buffer, 0, 600));
      assertTrue(QuicPackets.isClientInitial(buffer, 0, 1300));
    } finally {
      buffer.release();
    }
  }
}
