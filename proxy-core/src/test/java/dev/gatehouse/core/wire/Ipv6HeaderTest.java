package dev.gatehouse.core.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class Ipv6HeaderTest {

  private static final String SOURCE = "20010002000000000000000000000001";
  private static final String DESTINATION = "20010002000000000000000000000002";

  // Extension headers, each named for what follows it.
  /** Hop-by-Hop, 8 bytes (one PadN), then Destination Options (60). */
  private static final String HOP_BY_HOP_TO_DESTINATION_OPTIONS = "3c00 0104 00000000";
  /** Destination Options, 16 bytes (one PadN), then Routing (43). */
  private static final String DESTINATION_OPTIONS_TO_ROUTING = "2b01 010c 000000000000000000000000";
  /** Segment Routing header (type 4), two segments, one left, then Fragment (44). */
  private static final String SEGMENT_ROUTING_TO_FRAGMENT = "2c04 0401 01000000"
      + "2001000200000000000000000000aaaa" + "2001000200000000000000000000bbbb";
  /** First fragment (offset 0, M set), identification 0xdeadbeef, then AH (51). */
  private static final String FIRST_FRAGMENT_TO_AH = "3300 0001 deadbeef";
  /** AH with Payload Len 4: (4 + 2) * 4 = 24 bytes (RFC 4302 §2.2), then TCP. */
  private static final String AH_TO_TCP = "0604 0000 00001000 00000001 000000000000000000000000";
  private static final String TCP = "d43101bb0a0b0c0d0000000050020000" + "00000000";

  private final Ipv6Header ipv6 = new Ipv6Header();

  @Test
  void readsTheFixedHeader() {
    byte[] packet = packet(0x6ABCDEF0, IpProtocol.TCP, 0x7F, TCP);
    Buffers.with(packet, buffer -> {
      assertEquals(WireStatus.OK, ipv6.wrap(buffer, 0, packet.length));
      assertEquals(0xAB, ipv6.trafficClass());
      assertEquals(0xCDEF0, ipv6.flowLabel());
      assertEquals(20, ipv6.payloadLengthBytes());
      assertEquals(IpProtocol.TCP, ipv6.nextHeader());
      assertEquals(0x7F, ipv6.hopLimit());
      assertEquals(0x2001000200000000L, ipv6.sourceAddressHigh());
      assertEquals(1L, ipv6.sourceAddressLow());
      assertEquals(0x2001000200000000L, ipv6.destinationAddressHigh());
      assertEquals(2L, ipv6.destinationAddressLow());
      assertEquals(IpProtocol.TCP, ipv6.upperLayerProtocol());
      assertEquals(40, ipv6.upperLayerOffset());
      assertEquals(20, ipv6.upperLayerLengthBytes());
      assertFalse(ipv6.hasFragmentHeader());
      assertEquals(-1, ipv6.routingHeaderOffset());
      assertEquals(Ipv6Header.DESTINATION_ADDRESS_OFFSET, ipv6.finalDestinationOffset());
      return null;
    });
  }

  @Test
  void walksAChainOfEveryExtensionHeaderToTheUpperLayer() {
    byte[] packet = chain();
    Buffers.with(packet, buffer -> {
      assertEquals(WireStatus.OK, ipv6.wrap(buffer, 0, packet.length));
      assertEquals(IpProtocol.TCP, ipv6.upperLayerProtocol());
      assertEquals(40 + 8 + 16 + 40 + 8 + 24, ipv6.upperLayerOffset());
      assertEquals(20, ipv6.upperLayerLengthBytes());
      assertEquals(40 + 8 + 16, ipv6.routingHeaderOffset());
      assertTrue(ipv6.hasFragmentHeader());
      assertEquals(40 + 8 + 16 + 40, ipv6.fragmentHeaderOffset());
      assertTrue(ipv6.isFragment());
      assertFalse(ipv6.isNonFirstFragment());
      assertTrue(ipv6.moreFragments());
      assertEquals(0, ipv6.fragmentOffsetBytes());
      assertEquals(0xDEADBEEF, ipv6.fragmentIdentification());
      // RFC 8754 §2: Segment List[0], the first address after the 8 fixed bytes, is final.
      assertEquals(40 + 8 + 16 + 8, ipv6.finalDestinationOffset());
      return null;
    });
  }

  @Test
  void countsAuthenticationHeaderLengthInFourByteWords() {
    byte[] packet = packet(0x60000000, IpProtocol.AH, 64, AH_TO_TCP, TCP);
    Buffers.with(packet, buffer -> {
      assertEquals(WireStatus.OK, ipv6.wrap(buffer, 0, packet.length));
      assertEquals(40 + 24, ipv6.upperLayerOffset());
      assertEquals(IpProtocol.TCP, ipv6.upperLayerProtocol());
      return null;
    });
  }

  @Test
  void reportsAnAuthenticationHeaderShorterThanItsFixedPart() {
    assertEquals(WireStatus.BAD_EXTENSION_HEADER,
        wrap(packet(0x60000000, IpProtocol.AH, 64, "0600 0000 00001000", TCP)));
  }

  @Test
  void stopsAtEspBehindWhichNothingIsReadable() {
    byte[] packet = packet(0x60000000, IpProtocol.HOP_BY_HOP, 64,
        "3200 0104 00000000", "00001000 00000001 ffffffffffffffff");
    Buffers.with(packet, buffer -> {
      assertEquals(WireStatus.OK, ipv6.wrap(buffer, 0, packet.length));
      assertEquals(IpProtocol.ESP, ipv6.upperLayerProtocol());
      assertEquals(48, ipv6.upperLayerOffset());
      assertEquals(16, ipv6.upperLayerLengthBytes());
      return null;
    });
  }

  @Test
  void stopsAtNoNextHeaderAndIgnoresWhatFollows() {
    byte[] packet = packet(0x60000000, IpProtocol.DESTINATION_OPTIONS, 64,
        "3b00 0104 00000000", "0102030405");
    Buffers.with(packet, buffer -> {
      assertEquals(WireStatus.OK, ipv6.wrap(buffer, 0, packet.length));
      assertEquals(IpProtocol.NO_NEXT_HEADER, ipv6.upperLayerProtocol());
      assertEquals(48, ipv6.upperLayerOffset());
      return null;
    });
  }

  @Test
  void walksAMobilityHeaderLikeAnyRfc6564ExtensionHeader() {
    byte[] packet = packet(0x60000000, IpProtocol.MOBILITY, 64,
        "3b01 0000 00000000 0000000000000000");
    Buffers.with(packet, buffer -> {
      assertEquals(WireStatus.OK, ipv6.wrap(buffer, 0, packet.length));
      assertEquals(IpProtocol.NO_NEXT_HEADER, ipv6.upperLayerProtocol());
      assertEquals(56, ipv6.upperLayerOffset());
      return null;
    });
  }

  @Test
  void treatsAnUnknownProtocolAsTheUpperLayer() {
    byte[] packet = packet(0x60000000, 200, 64, "00010203");
    Buffers.with(packet, buffer -> {
      assertEquals(WireStatus.OK, ipv6.wrap(buffer, 0, packet.length));
      assertEquals(200, ipv6.upperLayerProtocol());
      assertEquals(40, ipv6.upperLayerOffset());
      return null;
    });
  }

  @Test
  void reportsHopByHopOptionsAnywhereButFirst() {
    assertEquals(WireStatus.BAD_EXTENSION_HEADER, wrap(packet(0x60000000,
        IpProtocol.DESTINATION_OPTIONS, 64, "0000 0104 00000000", "0600 0104 00000000", TCP)));
  }

  @Test
  void reportsAnExtensionHeaderReachingPastThePayload() {
    // Destination Options says 48 bytes; 16 are there.
    assertEquals(WireStatus.BAD_EXTENSION_HEADER, wrap(packet(0x60000000,
        IpProtocol.DESTINATION_OPTIONS, 64, "0605 010c 000000000000000000000000")));
    // A Fragment header needs 8 bytes; 4 are there.
    assertEquals(WireStatus.BAD_EXTENSION_HEADER,
        wrap(packet(0x60000000, IpProtocol.FRAGMENT, 64, "06000000")));
    // An extension header with no bytes at all, Payload Length 0.
    assertEquals(WireStatus.BAD_EXTENSION_HEADER,
        wrap(packet(0x60000000, IpProtocol.HOP_BY_HOP, 64)));
  }

  @Test
  void reportsTruncatedAtEveryLengthShortOfPayloadLength() {
    byte[] packet = chain();
    Buffers.with(packet, buffer -> {
      for (int length = 0; length < packet.length; length++) {
        assertEquals(WireStatus.TRUNCATED, ipv6.wrap(buffer, 0, length), "length " + length);
      }
      return null;
    });
  }

  @Test
  void reportsAVersionOtherThanSix() {
    byte[] packet = packet(0x40000000, IpProtocol.TCP, 64, TCP);
    assertEquals(WireStatus.BAD_VERSION, wrap(packet));
  }

  @Test
  void readsAQuotedPacketCutInsideTheUpperLayerButNotInsideTheChain() {
    byte[] packet = chain();
    int upperLayer = 40 + 8 + 16 + 40 + 8 + 24;
    Buffers.with(packet, buffer -> {
      assertEquals(WireStatus.OK, ipv6.wrapQuoted(buffer, 0, upperLayer + 8));
      assertTrue(ipv6.isTruncated());
      assertEquals(IpProtocol.TCP, ipv6.upperLayerProtocol());
      assertEquals(8, ipv6.upperLayerLengthBytes());
      assertEquals(WireStatus.TRUNCATED, ipv6.wrapQuoted(buffer, 0, upperLayer - 1));
      assertEquals(WireStatus.TRUNCATED, ipv6.wrapQuoted(buffer, 0, 40 + 8 + 4));
      assertEquals(WireStatus.TRUNCATED, ipv6.wrapQuoted(buffer, 0, 39));
      return null;
    });
  }

  @Test
  void stopsAtTheFragmentHeaderOfANonFirstFragment() {
    // Offset 1 (8 bytes), M set: the data after the header is the middle of a TCP segment.
    byte[] packet = packet(0x60000000, IpProtocol.FRAGMENT, 64, "0600 0009 00000001",
        "0c00 0104 00000000");
    Buffers.with(packet, buffer -> {
      assertEquals(WireStatus.OK, ipv6.wrap(buffer, 0, packet.length));
      assertTrue(ipv6.isFragment());
      assertTrue(ipv6.isNonFirstFragment());
      assertTrue(ipv6.moreFragments());
      assertEquals(8, ipv6.fragmentOffsetBytes());
      assertEquals(1, ipv6.fragmentIdentification());
      assertEquals(IpProtocol.TCP, ipv6.upperLayerProtocol());
      assertEquals(48, ipv6.upperLayerOffset());
      return null;
    });
  }

  @Test
  void readsAnAtomicFragmentAsAWholePacket() {
    byte[] packet = packet(0x60000000, IpProtocol.FRAGMENT, 64, "0600 0006 00000001", TCP);
    Buffers.with(packet, buffer -> {
      assertEquals(WireStatus.OK, ipv6.wrap(buffer, 0, packet.length));
      assertTrue(ipv6.hasFragmentHeader());
      assertFalse(ipv6.isFragment(), "the reserved bits are not M");
      assertEquals(IpProtocol.TCP, ipv6.upperLayerProtocol());
      assertEquals(48, ipv6.upperLayerOffset());
      return null;
    });
  }

  @Test
  void takesThePseudoHeaderDestinationFromTheRoutingHeaderWhileSegmentsAreLeft() {
    String twoAddresses = "2001000200000000000000000000aaaa" + "2001000200000000000000000000bbbb";
    // Type 0, two addresses, two left: the last address is final (RFC 8200 §8.1).
    assertEquals(48 + 16, finalDestination("0604 0002 00000000" + twoAddresses));
    // Type 0, none left: the Destination Address is final.
    assertEquals(24, finalDestination("0604 0000 00000000" + twoAddresses));
    // Type 2, one left: the home address (RFC 6275 §6.4).
    assertEquals(48, finalDestination("0602 0201 00000000" + twoAddresses.substring(0, 32)));
    // Type 3 (RPL, compressed) keeps the Destination Address.
    assertEquals(24, finalDestination("0604 0302 00000000" + twoAddresses));
  }

  @Test
  void pseudoHeaderSumUsesTheFinalDestination() {
    byte[] packet = chain();
    // RFC 8200 §8.1: source, final destination, 32-bit length, three zeros, next header.
    byte[] pseudoHeader = HexFormat.of().parseHex(
        SOURCE + "2001000200000000000000000000aaaa" + "00000014" + "000000" + "06");
    Buffers.with(packet, buffer -> {
      assertEquals(WireStatus.OK, ipv6.wrap(buffer, 0, packet.length));
      assertEquals(ChecksumsTest.naiveSum(pseudoHeader), ipv6.pseudoHeaderSum(IpProtocol.TCP, 20));
      return null;
    });
  }

  private int finalDestination(String routingHeader) {
    byte[] packet = packet(0x60000000, IpProtocol.ROUTING, 64, routingHeader, TCP);
    return Buffers.with(packet, buffer -> {
      assertEquals(WireStatus.OK, ipv6.wrap(buffer, 0, packet.length));
      return ipv6.finalDestinationOffset();
    });
  }

  private WireStatus wrap(byte[] packet) {
    return Buffers.with(packet, buffer -> ipv6.wrap(buffer, 0, packet.length));
  }

  private static byte[] chain() {
    return packet(0x60000000, IpProtocol.HOP_BY_HOP, 64, HOP_BY_HOP_TO_DESTINATION_OPTIONS,
        DESTINATION_OPTIONS_TO_ROUTING, SEGMENT_ROUTING_TO_FRAGMENT, FIRST_FRAGMENT_TO_AH,
        AH_TO_TCP, TCP);
  }

  /** An IPv6 header with Payload Length covering {@code payloadHex}, then the payload. */
  static byte[] packet(int firstWord, int nextHeader, int hopLimit, String... payloadHex) {
    byte[] payload = HexFormat.of().parseHex(String.join("", payloadHex).replace(" ", ""));
    String header = String.format("%08x%04x%02x%02x", firstWord, payload.length, nextHeader,
        hopLimit) + SOURCE + DESTINATION;
    byte[] fixed = HexFormat.of().parseHex(header);
    byte[] packet = new byte[fixed.length + payload.length];
    System.arraycopy(fixed, 0, packet, 0, fixed.length);
    System.arraycopy(payload, 0, packet, fixed.length, payload.length);
    return packet;
  }
}
