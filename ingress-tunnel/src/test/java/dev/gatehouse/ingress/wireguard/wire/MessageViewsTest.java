package dev.gatehouse.ingress.wireguard.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Byte fixtures for the four WireGuard messages (whitepaper §5.4.2–§5.4.7). */
class MessageViewsTest {

  private static final HexFormat HEX = HexFormat.of();

  @Test
  void decodesInitiationFixture() {
    ByteBuf buf = fixture("01000000" + "78563412", HandshakeInitiation.LENGTH_BYTES);
    try {
      HandshakeInitiation view = new HandshakeInitiation();
      assertEquals(WireCheck.OK, view.wrap(buf, 0, 148));
      assertEquals(0x12345678, view.senderIndex());
    } finally {
      buf.release();
    }
  }

  @Test
  void encodesInitiationHeaderLittleEndian() {
    ByteBuf buf = Unpooled.buffer(148).writeZero(148);
    try {
      new HandshakeInitiation().init(buf, 0, 0x0A0B0C0D);
      assertEquals("010000000d0c0b0a", HEX.formatHex(bytes(buf, 0, 8)));
    } finally {
      buf.release();
    }
  }

  @Test
  void refusesInitiationOfWrongLengthTypeOrReserved() {
    ByteBuf buf = fixture("01000000", 149);
    try {
      HandshakeInitiation view = new HandshakeInitiation();
      assertEquals(WireCheck.BAD_LENGTH, view.wrap(buf, 0, 147));
      assertEquals(WireCheck.BAD_LENGTH, view.wrap(buf, 0, 149));
      assertEquals(WireCheck.BAD_LENGTH, view.wrap(buf, 0, 3));
      buf.setByte(0, 2);
      assertEquals(WireCheck.BAD_TYPE, view.wrap(buf, 0, 148));
      buf.setByte(0, 1);
      buf.setByte(3, 1);
      assertEquals(WireCheck.BAD_RESERVED, view.wrap(buf, 0, 148));
    } finally {
      buf.release();
    }
  }

  @Test
  void decodesAndEncodesResponseIndices() {
    ByteBuf buf = fixture("02000000" + "01000000" + "feffffff", HandshakeResponse.LENGTH_BYTES);
    try {
      HandshakeResponse view = new HandshakeResponse();
      assertEquals(WireCheck.OK, view.wrap(buf, 0, 92));
      assertEquals(1, view.senderIndex());
      assertEquals(-2, view.receiverIndex());
      view.init(buf, 0, 7, 8);
      assertEquals("020000000700000008000000", HEX.formatHex(bytes(buf, 0, 12)));
      assertEquals(WireCheck.BAD_LENGTH, view.wrap(buf, 0, 91));
      buf.setByte(1, 0x80);
      assertEquals(WireCheck.BAD_RESERVED, view.wrap(buf, 0, 92));
    } finally {
      buf.release();
    }
  }

  @Test
  void decodesAndEncodesCookieReply() {
    ByteBuf buf = fixture("03000000" + "2a000000", CookieReply.LENGTH_BYTES);
    try {
      CookieReply view = new CookieReply();
      assertEquals(WireCheck.OK, view.wrap(buf, 0, 64));
      assertEquals(42, view.receiverIndex());
      view.init(buf, 0, 0x01020304);
      assertEquals("0300000004030201", HEX.formatHex(bytes(buf, 0, 8)));
      assertEquals(WireCheck.BAD_LENGTH, view.wrap(buf, 0, 65 - 2));
      assertEquals(WireCheck.BAD_TYPE, new HandshakeResponse().wrap(buf, 0, 64));
    } finally {
      buf.release();
    }
  }

  @Test
  void decodesTransportHeaderAndLengths() {
    ByteBuf buf = fixture("04000000" + "05000000" + "0807060504030201", 16 + 32 + 16);
    try {
      TransportData view = new TransportData();
      assertEquals(WireCheck.OK, view.wrap(buf, 0, 64));
      assertEquals(5, view.receiverIndex());
      assertEquals(0x0102030405060708L, view.counter());
      assertEquals(48, view.encryptedLengthBytes());
      assertEquals(32, view.plaintextLengthBytes());
      assertEquals(16, view.packetOffset());
      assertEquals(WireCheck.OK, view.wrap(buf, 0, 32));
      assertEquals(0, view.plaintextLengthBytes());
      assertEquals(WireCheck.BAD_LENGTH, view.wrap(buf, 0, 31));
    } finally {
      buf.release();
    }
  }

  @Test
  void encodesTransportHeaderWithUnsignedCounter() {
    ByteBuf buf = Unpooled.buffer(32).writeZero(32);
    try {
      new TransportData().init(buf, 0, 32, 0x11223344, -1L);
      assertEquals("0400000044332211ffffffffffffffff", HEX.formatHex(bytes(buf, 0, 16)));
      TransportData view = new TransportData();
      assertEquals(WireCheck.OK, view.wrap(buf, 0, 32));
      assertEquals(-1L, view.counter());
    } finally {
      buf.release();
    }
  }

  @Test
  void padsToSixteenButNotBeyondTheMtu() {
    assertEquals(0, TransportData.paddingBytes(0, 1420));
    assertEquals(15, TransportData.paddingBytes(1, 1420));
    assertEquals(0, TransportData.paddingBytes(16, 1420));
    assertEquals(4, TransportData.paddingBytes(1416, 1420));
    assertEquals(0, TransportData.paddingBytes(1419, 1419));
    assertEquals(1, TransportData.paddingBytes(1419, 1420));
  }

  @Test
  void typeOfReadsTheFirstByte() {
    ByteBuf buf = fixture("04", 1);
    try {
      assertEquals(MessageType.TRANSPORT_DATA, MessageType.typeOf(buf, 0, 1));
      assertEquals(MessageType.NONE, MessageType.typeOf(buf, 0, 0));
    } finally {
      buf.release();
    }
  }

  private static ByteBuf fixture(String headHex, int lengthBytes) {
    ByteBuf buf = Unpooled.buffer(lengthBytes).writeZero(lengthBytes);
    buf.setBytes(0, HEX.parseHex(headHex));
    return buf;
  }

  private static byte[] bytes(ByteBuf buf, int offset, int length) {
    byte[] out = new byte[length];
    buf.getBytes(offset, out);
    return out;
  }
}
