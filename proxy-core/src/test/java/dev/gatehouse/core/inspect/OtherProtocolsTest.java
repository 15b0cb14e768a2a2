package dev.gatehouse.core.inspect;

import static dev.gatehouse.core.inspect.Fixtures.ascii;
import static dev.gatehouse.core.inspect.Fixtures.concat;
import static dev.gatehouse.core.inspect.Fixtures.everyByte;
import static dev.gatehouse.core.inspect.Fixtures.feed;
import static dev.gatehouse.core.inspect.Fixtures.inspect;
import static dev.gatehouse.core.inspect.Fixtures.offer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The fixed-byte TCP protocols, the UDP datagram checks, and what neither may take. */
class OtherProtocolsTest {
  static final byte[] HTTP2_PREFACE = ascii("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  static final byte[] SSH = ascii("SSH-2.0-OpenSSH_9.6\r\n");
  /** TPKT + X.224 CR with an mstshash cookie and an RDP_NEG_REQ, as mstsc sends it. */
  static final byte[] RDP_WITH_COOKIE = concat(new byte[] {3, 0, 0, 0x2C, 0x27, (byte) 0xE0, 0, 0, 0, 0, 0},
      ascii("Cookie: mstshash=user\r\n"), new byte[] {1, 0, 8, 0, 3, 0, 0, 0});
  /** The same with only an RDP_NEG_REQ, as FreeRDP sends it. */
  static final byte[] RDP_NEG_ONLY = {3, 0, 0, 0x13, 0x0E, (byte) 0xE0, 0, 0, 0, 0, 0, 1, 0, 8, 0, 3, 0, 0, 0};
  /** ISO-on-TCP (S7) Connection Request: same TPKT and TPDU code, TSAP parameters. */
  static final byte[] S7_CONNECT = {3, 0, 0, 0x16, 0x11, (byte) 0xE0, 0, 0, 0, 1, 0, (byte) 0xC0, 1, 0x0A,
      (byte) 0xC1, 2, 1, 0, (byte) 0xC2, 2, 1, 2};
  static final byte[] SMB2_NEGOTIATE = concat(new byte[] {0, 0, 0, 0x66, (byte) 0xFE, 'S', 'M', 'B', 64, 0},
      new byte[92]);
  /** A DNS query for example.com A, with its TCP length prefix. */
  static final byte[] DNS_QUERY = concat(new byte[] {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0},
      new byte[] {7}, ascii("example"), new byte[] {3}, ascii("com"), new byte[] {0, 0, 1, 0, 1});
  static final byte[] DNS_OVER_TCP = concat(new byte[] {0, (byte) DNS_QUERY.length}, DNS_QUERY);

  private static void assertDecided(DetectedProtocol expected, byte[] bytes) {
    StreamInspector inspector = feed(new StreamInspector(StreamInspector.DEFAULT_MAX_BYTES), bytes);
    assertTrue(inspector.decided(), "undecided on " + expected);
    assertEquals(expected, inspector.protocol());
    assertEquals("", inspector.sniHost());
    assertEquals("", inspector.httpHost());
    StreamInspector byteByByte = offer(new StreamInspector(StreamInspector.DEFAULT_MAX_BYTES), bytes,
        everyByte(bytes.length));
    assertEquals(expected, byteByByte.protocol(), "offered byte by byte");
  }

  @Test
  void recognisesTheFixedByteProtocols() {
    assertDecided(DetectedProtocol.HTTP2, HTTP2_PREFACE);
    assertDecided(DetectedProtocol.SSH, SSH);
    assertDecided(DetectedProtocol.SSH, ascii("SSH-1.99-Cisco-1.25\r\n"));
    assertDecided(DetectedProtocol.RDP, RDP_WITH_COOKIE);
    assertDecided(DetectedProtocol.RDP, RDP_NEG_ONLY);
    assertDecided(DetectedProtocol.SMB, SMB2_NEGOTIATE);
    assertDecided(DetectedProtocol.DNS, DNS_OVER_TCP);
  }

  @Test
  void decidesOnAsFewBytesAsTheProtocolNeeds() {
    StreamInspector ssh = feed(new StreamInspector(StreamInspector.DEFAULT_MAX_BYTES), SSH, everyByte(SSH.length));
    // "SSH-2.0-" is 8 bytes
    assertEquals(8, ssh.bytesSeen());
    StreamInspector preface = feed(new StreamInspector(StreamInspector.DEFAULT_MAX_BYTES), HTTP2_PREFACE,
        everyByte(HTTP2_PREFACE.length));
    assertEquals(HTTP2_PREFACE.length, preface.bytesSeen());
  }

  @Test
  void refusesLookAlikes() {
    assertDecided(DetectedProtocol.NONE, S7_CONNECT);
    assertDecided(DetectedProtocol.NONE, ascii("SSH-x\r\n"));
    assertDecided(DetectedProtocol.NONE, ascii("PRI * HTTP/2.1\r\n\r\nSM\r\n\r\n"));
    byte[] response = DNS_OVER_TCP.clone();
    response[4] |= (byte) 0x80;
    assertDecided(DetectedProtocol.NONE, response);
    byte[] twoQuestions = DNS_OVER_TCP.clone();
    twoQuestions[7] = 2;
    assertDecided(DetectedProtocol.NONE, twoQuestions);
    byte[] smb3 = SMB2_NEGOTIATE.clone();
    smb3[4] = (byte) 0xFD;
    assertDecided(DetectedProtocol.NONE, smb3);
  }

  @Test
  void callsAFixedByteProtocolCutShortNothing() {
    for (byte[] bytes : new byte[][] {HTTP2_PREFACE, SSH, RDP_WITH_COOKIE, SMB2_NEGOTIATE, DNS_OVER_TCP}) {
      StreamInspector inspector = inspect(Arrays.copyOf(bytes, 5));
      assertEquals(DetectedProtocol.NONE, inspector.protocol());
    }
  }

  @Test
  void decidesNothingAtTheFirstByteNothingStartsWith() {
    for (int first : new int[] {0x80, 0xFF, 0x7F, ' ', '@', 0x17, 0x11}) {
      StreamInspector inspector = feed(new StreamInspector(StreamInspector.DEFAULT_MAX_BYTES),
          new byte[] {(byte) first});
      assertTrue(inspector.decided(), "waited after first byte " + first);
      assertEquals(DetectedProtocol.NONE, inspector.protocol());
    }
  }

  @Test
  void callsRandomBytesNothing() {
    Random random = new Random(0x5eed);
    for (int round = 0; round < 2000; round++) {
      byte[] bytes = new byte[1 + random.nextInt(600)];
      random.nextBytes(bytes);
      // a random 0x16 0x03 0x01..0x04 start is TLS-shaped and judged elsewhere
      if (bytes[0] == 22) {
        bytes[0] = 23;
      }
      assertEquals(DetectedProtocol.NONE, inspect(bytes).protocol(), () -> Arrays.toString(bytes));
    }
  }

  @Test
  void hasLowercaseLogNamesAndAnEmptyOneForNone() {
    for (DetectedProtocol protocol : DetectedProtocol.values()) {
      assertEquals(protocol.name().toLowerCase(java.util.Locale.ROOT).replace("none", ""), protocol.logName());
    }
  }

  private static DetectedProtocol datagram(byte[] bytes) {
    ByteBuf payload = Unpooled.buffer(bytes.length + 8);
    try {
      payload.writeZero(8).writeBytes(bytes);
      return DatagramInspector.inspect(payload, 8, bytes.length);
    } finally {
      payload.release();
    }
  }

  static byte[] quicInitial() {
    byte[] bytes = new byte[1200];
    bytes[0] = (byte) 0xC3;
    bytes[4] = 1;
    bytes[5] = 8;
    return bytes;
  }

  static byte[] dtlsClientHello() {
    byte[] bytes = new byte[13 + 12 + 40];
    bytes[0] = 22;
    bytes[1] = (byte) 0xFE;
    bytes[2] = (byte) 0xFD;
    bytes[12] = 12 + 40;
    bytes[13] = 1;
    bytes[16] = 40;
    bytes[24] = 40;
    return bytes;
  }

  static byte[] wireguardInitiation() {
    byte[] bytes = new byte[148];
    bytes[0] = 1;
    bytes[4] = 0x5a;
    return bytes;
  }

  static byte[] stunBindingRequest() {
    byte[] bytes = new byte[20 + 8];
    bytes[1] = 1;
    bytes[3] = 8;
    bytes[4] = 0x21;
    bytes[5] = 0x12;
    bytes[6] = (byte) 0xA4;
    bytes[7] = 0x42;
    return bytes;
  }

  @Test
  void recognisesFirstDatagrams() {
    assertEquals(DetectedProtocol.QUIC, datagram(quicInitial()));
    assertEquals(DetectedProtocol.DTLS, datagram(dtlsClientHello()));
    assertEquals(DetectedProtocol.WIREGUARD, datagram(wireguardInitiation()));
    assertEquals(DetectedProtocol.STUN, datagram(stunBindingRequest()));
    assertEquals(DetectedProtocol.DNS, datagram(DNS_QUERY));
    assertEquals(DetectedProtocol.NONE, datagram(new byte[0]));
  }

  @Test
  void refusesDatagramsThatAreNearMisses() {
    assertEquals(DetectedProtocol.NONE, datagram(Arrays.copyOf(quicInitial(), 1199)));
    assertEquals(DetectedProtocol.NONE, datagram(Arrays.copyOf(wireguardInitiation(), 149)));
    byte[] stunResponse = stunBindingRequest();
    stunResponse[0] = 1;
    assertEquals(DetectedProtocol.NONE, datagram(stunResponse));
    assertEquals(DetectedProtocol.NONE, datagram(Arrays.copyOf(stunBindingRequest(), 32)));
    byte[] dtlsEpoch1 = dtlsClientHello();
    dtlsEpoch1[4] = 1;
    assertEquals(DetectedProtocol.NONE, datagram(dtlsEpoch1));
    assertEquals(DetectedProtocol.NONE, datagram(Arrays.copyOf(DNS_QUERY, DNS_QUERY.length - 1)));
    byte[] compressedName = DNS_QUERY.clone();
    compressedName[12] = (byte) 0xC0;
    assertEquals(DetectedProtocol.NONE, datagram(compressedName));
  }

  @Test
  void readsOnlyTheRangeItWasGiven() {
    byte[] quic = quicInitial();
    ByteBuf payload = Unpooled.buffer(1300);
    try {
      payload.writeBytes(quic).writeZero(100);
      assertFalse(DatagramInspector.inspect(payload, 0, 600) == DetectedProtocol.QUIC);
      assertEquals(DetectedProtocol.QUIC, DatagramInspector.inspect(payload, 0, 1200));
    } finally {
      payload.release();
    }
  }
}
