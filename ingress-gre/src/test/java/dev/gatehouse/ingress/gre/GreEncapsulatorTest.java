package dev.gatehouse.ingress.gre;

import static dev.gatehouse.ingress.gre.Packets.LOCAL;
import static dev.gatehouse.ingress.gre.Packets.ORIGIN;
import static dev.gatehouse.ingress.gre.Packets.ORIGIN_V6;
import static dev.gatehouse.ingress.gre.Packets.REMOTE;
import static dev.gatehouse.ingress.gre.Packets.SITE_HOST;
import static dev.gatehouse.ingress.gre.Packets.SITE_HOST_V6;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.config.IpPrefix;
import dev.gatehouse.core.testing.Pcap4jChecks;
import dev.gatehouse.core.wire.Checksums;
import dev.gatehouse.core.wire.IcmpError;
import dev.gatehouse.core.wire.PacketWriter;
import dev.gatehouse.core.wire.TcpSegment;
import dev.gatehouse.ingress.gre.wire.GreHeader;
import dev.gatehouse.ingress.gre.wire.GreStatus;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.IcmpV4CommonPacket;
import org.pcap4j.packet.IcmpV6CommonPacket;
import org.pcap4j.packet.IllegalRawDataException;
import org.pcap4j.packet.IpPacket;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.IpV6Packet;
import org.pcap4j.packet.TcpMaximumSegmentSizeOption;
import org.pcap4j.packet.TcpPacket;
import org.pcap4j.packet.namednumber.IcmpV4Type;
import org.pcap4j.packet.namednumber.IcmpV6Type;

/** The sending half: inner packets from the core, GRE packets and ICMP errors out, decoded apart. */
class GreEncapsulatorTest {
  private static final int MTU = 1476;
  private static final IpPrefix INTERFACE = IpPrefix.parse("198.18.60.0/31").orElseThrow();
  private static final IpPrefix INTERFACE_V6 = IpPrefix.parse("2001:2:0:60::/127").orElseThrow();

  private final GreCounters counters = new GreCounters();
  private final Recorder output = new Recorder();
  private final GreHeader gre = new GreHeader();

  /** Keeps what the engine gives, and releases it after each test. */
  static final class Recorder implements GreOutput {
    final List<ByteBuf> toSite = new ArrayList<>();
    final List<ByteBuf> toCore = new ArrayList<>();

    @Override
    public void sendToSite(ByteBuf grePacket) {
      toSite.add(grePacket);
    }

    @Override
    public void deliverToCore(ByteBuf innerPacket) {
      toCore.add(innerPacket);
    }
  }

  @AfterEach
  void releaseOutput() {
    output.toSite.forEach(ByteBuf::release);
    output.toCore.forEach(ByteBuf::release);
  }

  private static GreSettings settings(OptionalLong key, boolean checksum, boolean sequence, boolean interfaces) {
    return new GreSettings(LOCAL, REMOTE, key,
        interfaces ? Optional.of(INTERFACE) : Optional.empty(),
        interfaces ? Optional.of(INTERFACE_V6) : Optional.empty(),
        GreTransport.IP, GreSettings.GRE_IN_UDP_PORT, checksum, sequence);
  }

  private GreEncapsulator engine(int mtu) {
    return new GreEncapsulator(settings(OptionalLong.empty(), false, false, true), mtu, ByteBufAllocator.DEFAULT,
        counters);
  }

  /** The inner packet of the GRE packet at {@code index}, checked well-formed, as pcap4j reads it. */
  private IpPacket innerOf(int index) {
    ByteBuf packet = output.toSite.get(index);
    assertEquals(GreStatus.OK, gre.wrap(packet, packet.readerIndex(), packet.readableBytes()));
    assertEquals(GreStatus.OK, gre.verifyChecksum());
    return Pcap4jChecks.decodeVerified(packet.slice(gre.payloadOffset(), gre.payloadLengthBytes()));
  }

  @Test
  void encapsulatesWithTheTunnelsKeyChecksumAndSequenceNumbersFromZero() {
    GreEncapsulator engine = new GreEncapsulator(settings(OptionalLong.of(0xCAFE_F00DL), true, true, false), MTU,
        ByteBufAllocator.DEFAULT, counters);
    for (int i = 0; i < 3; i++) {
      assertTrue(engine.encapsulate(Packets.udp(ORIGIN, SITE_HOST, 100 + i), output));
    }

    assertEquals(3, output.toSite.size());
    for (int i = 0; i < 3; i++) {
      ByteBuf packet = output.toSite.get(i);
      assertEquals(GreStatus.OK, gre.wrap(packet, 0, packet.readableBytes()));
      assertEquals(16, gre.headerLengthBytes());
      assertEquals(GreHeader.PROTOCOL_IPV4, gre.protocolType());
      assertEquals(0xCAFE_F00D, gre.key());
      assertEquals(i, gre.sequenceNumber());
      assertEquals(GreStatus.OK, gre.verifyChecksum());
      assertEquals(128 + i, innerOf(i).length());
    }
    assertEquals(3 * 16 + 128 * 3 + 3, output.toSite.stream().mapToInt(ByteBuf::readableBytes).sum());
  }

  @Test
  void encapsulatesIpv6UnderItsEtherType() {
    assertTrue(engine(MTU).encapsulate(Packets.udp(ORIGIN_V6, SITE_HOST_V6, 20), output));
    ByteBuf packet = output.toSite.getFirst();
    assertEquals(GreStatus.OK, gre.wrap(packet, 0, packet.readableBytes()));
    assertEquals(GreHeader.PROTOCOL_IPV6, gre.protocolType());
    assertEquals(4, gre.headerLengthBytes());
    assertTrue(innerOf(0) instanceof IpV6Packet);
  }

  @Test
  void dropsWhatIsNotAnIpPacket() {
    ByteBuf garbage = Fixtures.hex("00112233445566778899");
    assertFalse(engine(MTU).encapsulate(garbage, output));
    assertEquals(1, counters.drops(GreDropReason.OUT_NOT_IP));
    assertEquals(0, garbage.refCnt());
  }

  // --- MSS clamp toward the site

  @Test
  void clampsTheMssOfASynAckTowardTheSiteForEachFamily() {
    GreEncapsulator engine = engine(1400);
    int synAck = TcpSegment.FLAG_SYN | TcpSegment.FLAG_ACK;
    engine.encapsulate(Packets.tcp(ORIGIN, SITE_HOST, synAck, "020405b4", 0), output);
    engine.encapsulate(Packets.tcp(ORIGIN_V6, SITE_HOST_V6, synAck, "020405a0", 0), output);
    engine.encapsulate(Packets.tcp(ORIGIN, SITE_HOST, synAck, "02040500", 0), output); // 1280: below
    assertEquals(1360, mssOf(0));
    assertEquals(1340, mssOf(1));
    assertEquals(1280, mssOf(2));
    assertEquals(2, counters.mssClamped());
  }

  @Test
  void updatesTheChecksumWhenTheMssValueStraddlesTwoWords() {
    // a NOP first puts the MSS value at an odd distance from the TCP header's start
    engine(1400).encapsulate(Packets.tcp(ORIGIN, SITE_HOST, TcpSegment.FLAG_SYN, "01020405b4000000", 0), output);
    assertEquals(1360, mssOf(0)); // decodeVerified checked the TCP checksum
  }

  @Test
  void leavesSegmentsOtherThanSynAlone() {
    engine(1400).encapsulate(Packets.tcp(ORIGIN, SITE_HOST, TcpSegment.FLAG_ACK, "020405b4", 0), output);
    assertEquals(1460, mssOf(0));
    assertEquals(0, counters.mssClamped());
  }

  private int mssOf(int index) {
    TcpPacket tcp = (TcpPacket) innerOf(index).getPayload();
    return tcp.getHeader().getOptions().stream()
        .filter(TcpMaximumSegmentSizeOption.class::isInstance)
        .map(option -> ((TcpMaximumSegmentSizeOption) option).getMaxSegSizeAsInt())
        .findFirst().orElseThrow();
  }

  // --- larger than the MTU

  @Test
  void fragmentsAnIpv4PacketWithDfClearIntoPiecesThatReassemble() {
    ByteBuf original = Packets.udp(ORIGIN, SITE_HOST, 3000);
    short identification = original.getShort(4);
    byte[] originalData = ByteBufUtil.getBytes(original, 20, original.readableBytes() - 20);
    assertTrue(engine(MTU).encapsulate(original, output));

    ByteArrayOutputStream reassembled = new ByteArrayOutputStream();
    assertEquals(3, output.toSite.size());
    for (int i = 0; i < 3; i++) {
      IpV4Packet piece = (IpV4Packet) decodeFragment(i);
      IpV4Packet.IpV4Header header = piece.getHeader();
      assertTrue(header.length() + piece.getPayload().length() <= MTU);
      assertEquals(reassembled.size(), header.getFragmentOffset() * 8);
      assertEquals(i < 2, header.getMoreFragmentFlag());
      assertEquals(identification, header.getIdentification());
      assertFalse(header.getDontFragmentFlag());
      reassembled.writeBytes(piece.getPayload().getRawData());
    }
    assertArrayEquals(originalData, reassembled.toByteArray());
    assertEquals(3, counters.fragmentsOut());
    assertEquals(0, counters.totalDrops());
  }

  @Test
  void copiesOnlyOptionsWithTheCopiedFlagIntoLaterFragments() {
    // Router Alert (0x94, copied) and four NOPs (not copied): 28-byte first header, 24 later
    ByteBuf original = withOptions(Packets.udp(ORIGIN, SITE_HOST, 2000), "94040000 01010101");
    byte[] data = ByteBufUtil.getBytes(original, 28, original.readableBytes() - 28);
    engine(MTU).encapsulate(original, output);

    int dataSeen = 0;
    for (int i = 0; i < output.toSite.size(); i++) {
      IpV4Packet piece = (IpV4Packet) decodeFragment(i);
      assertEquals(i == 0 ? 7 : 6, piece.getHeader().getIhlAsInt());
      byte[] options = ByteBufUtil.getBytes(innerBuffer(i), 20, 4);
      assertEquals("94040000", ByteBufUtil.hexDump(options));
      byte[] pieceData = piece.getPayload().getRawData();
      assertArrayEquals(Arrays.copyOfRange(data, dataSeen, dataSeen + pieceData.length), pieceData);
      dataSeen += pieceData.length;
    }
    assertEquals(data.length, dataSeen);
  }

  /** Re-heads {@code packet} (released) with IPv4 options given as hex, a multiple of 4 bytes. */
  private static ByteBuf withOptions(ByteBuf packet, String optionsHex) {
    byte[] options = HexFormat.of().parseHex(optionsHex.replace(" ", ""));
    int length = packet.readableBytes() + options.length;
    ByteBuf out = ByteBufAllocator.DEFAULT.buffer(length);
    out.writeBytes(packet, 0, 20).writeBytes(options).writeBytes(packet, 20, packet.readableBytes() - 20);
    packet.release();
    out.setByte(0, 0x40 | (20 + options.length) / 4);
    out.setShort(2, length);
    out.setShort(10, 0);
    out.setShort(10, Checksums.checksum(out, 0, 20 + options.length));
    return out;
  }

  private ByteBuf innerBuffer(int index) {
    ByteBuf packet = output.toSite.get(index);
    gre.wrap(packet, 0, packet.readableBytes());
    return packet.slice(gre.payloadOffset(), gre.payloadLengthBytes());
  }

  /** A fragment has no whole transport header for pcap4j's checks: decode the IP layer alone. */
  private IpPacket decodeFragment(int index) {
    try {
      byte[] bytes = ByteBufUtil.getBytes(innerBuffer(index));
      IpV4Packet packet = IpV4Packet.newPacket(bytes, 0, bytes.length);
      assertTrue(packet.getHeader().hasValidChecksum(false), "IPv4 header checksum of fragment " + index);
      return packet;
    } catch (IllegalRawDataException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void answersAnIpv4PacketWithDfSetWithFragmentationNeededCarryingTheMtu() {
    ByteBuf big = Packets.tcp(ORIGIN, SITE_HOST, TcpSegment.FLAG_ACK, "", 1500);
    byte[] quotedStart = ByteBufUtil.getBytes(big, 0, 28);
    assertFalse(engine(MTU).encapsulate(big, output));

    assertEquals(0, output.toSite.size());
    IpV4Packet error = (IpV4Packet) Pcap4jChecks.decodeVerified(output.toCore.getFirst());
    assertEquals(INTERFACE.address(), error.getHeader().getSrcAddr());
    assertEquals(ORIGIN, error.getHeader().getDstAddr());
    IcmpV4CommonPacket icmp = (IcmpV4CommonPacket) error.getPayload();
    assertEquals(IcmpV4Type.DESTINATION_UNREACHABLE, icmp.getHeader().getType());
    assertEquals((byte) 4, icmp.getHeader().getCode().value()); // RFC 1191 §4
    byte[] body = icmp.getPayload().getRawData(); // RFC 1191 §4: unused 16 bits, Next-Hop MTU, quote
    assertEquals(MTU, (body[2] & 0xFF) << 8 | body[3] & 0xFF);
    assertEquals(0, body[0] | body[1]);
    assertArrayEquals(quotedStart, Arrays.copyOfRange(body, 4, 32));
    assertEquals(1, counters.drops(GreDropReason.OUT_LARGER_THAN_MTU));
    assertEquals(1, counters.tooBigErrors());
  }

  @Test
  void answersAnOversizedIpv6PacketWithPacketTooBigCarryingTheMtu() {
    assertFalse(engine(1280).encapsulate(Packets.udp(ORIGIN_V6, SITE_HOST_V6, 1300), output));
    IpV6Packet error = (IpV6Packet) Pcap4jChecks.decodeVerified(output.toCore.getFirst());
    assertEquals(INTERFACE_V6.address(), error.getHeader().getSrcAddr());
    assertEquals(ORIGIN_V6, error.getHeader().getDstAddr());
    IcmpV6CommonPacket icmp = (IcmpV6CommonPacket) error.getPayload();
    assertEquals(IcmpV6Type.PACKET_TOO_BIG, icmp.getHeader().getType());
    byte[] body = icmp.getPayload().getRawData(); // RFC 4443 §3.2: the 32-bit MTU
    assertEquals(1280, ByteBuffer.wrap(body, 0, 4).getInt());
    assertEquals(1280, error.length(), "quotes as much as fits the minimum MTU");
  }

  @Test
  void sendsNoErrorAboutAnIcmpErrorNorWithoutAnInterfaceAddress() {
    GreEncapsulator bare = new GreEncapsulator(settings(OptionalLong.empty(), false, false, false), MTU,
        ByteBufAllocator.DEFAULT, counters);
    assertFalse(bare.encapsulate(Packets.tcp(ORIGIN, SITE_HOST, TcpSegment.FLAG_ACK, "", 1500), output));

    ByteBuf quoted = Packets.udp(SITE_HOST, ORIGIN, 1400);
    ByteBuf icmpError = new PacketWriter(ByteBufAllocator.DEFAULT)
        .icmpError(IcmpError.PORT_UNREACHABLE, ORIGIN, quoted, 0, quoted.readableBytes());
    quoted.release();
    icmpError.setShort(6, 0x4000); // DF, as if it were too big to fragment
    icmpError.setShort(10, 0);
    icmpError.setShort(10, Checksums.checksum(icmpError, 0, 20));
    // the error is 576 bytes (RFC 1812 §4.3.2.3); an MTU below the configurable range makes it too big
    assertFalse(engine(500).encapsulate(icmpError, output));

    assertEquals(List.of(), output.toCore);
    assertEquals(2, counters.drops(GreDropReason.OUT_LARGER_THAN_MTU));
    assertEquals(0, counters.tooBigErrors());
  }
}
