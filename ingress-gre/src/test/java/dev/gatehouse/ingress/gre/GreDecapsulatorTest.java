package dev.gatehouse.ingress.gre;

import static dev.gatehouse.ingress.gre.Packets.LOCAL;
import static dev.gatehouse.ingress.gre.Packets.ORIGIN;
import static dev.gatehouse.ingress.gre.Packets.ORIGIN_V6;
import static dev.gatehouse.ingress.gre.Packets.REMOTE;
import static dev.gatehouse.ingress.gre.Packets.SITE_HOST;
import static dev.gatehouse.ingress.gre.Packets.SITE_HOST_V6;
import static dev.gatehouse.ingress.gre.Packets.gre;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gatehouse.core.testing.Pcap4jChecks;
import dev.gatehouse.core.wire.Checksums;
import dev.gatehouse.ingress.gre.GreDecapsulator.Verdict;
import dev.gatehouse.ingress.gre.wire.GreHeader;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.net.InetAddress;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.TcpMaximumSegmentSizeOption;
import org.pcap4j.packet.TcpPacket;

/** The receiving half: GRE packets from the site, byte by byte, against the verdicts and counters. */
class GreDecapsulatorTest {
  private static final int MTU = 1476;

  private final GreCounters counters = new GreCounters();

  private static GreSettings settings(OptionalLong key) {
    return new GreSettings(LOCAL, REMOTE, key, Optional.empty(), Optional.empty(), GreTransport.IP,
        GreSettings.GRE_IN_UDP_PORT, false, false);
  }

  private GreDecapsulator engine() {
    return new GreDecapsulator(settings(OptionalLong.empty()), MTU, true, counters);
  }

  private GreDecapsulator keyed(long key) {
    return new GreDecapsulator(settings(OptionalLong.of(key)), MTU, true, counters);
  }

  /** Runs {@code packet} (released) through {@code engine} from {@code source}. */
  private static Verdict run(GreDecapsulator engine, InetAddress source, ByteBuf packet) {
    try {
      return engine.decapsulate(source, packet, 0, packet.readableBytes());
    } finally {
      packet.release();
    }
  }

  private void assertDropped(GreDropReason reason, GreDecapsulator engine, InetAddress source, ByteBuf packet) {
    long before = counters.drops(reason);
    assertEquals(Verdict.DROP, run(engine, source, packet));
    assertEquals(reason, engine.dropReason());
    assertEquals(before + 1, counters.drops(reason));
  }

  // --- delivered

  @Test
  void deliversTheInnerIpv4PacketOfPlainGre() {
    GreDecapsulator engine = engine();
    ByteBuf inner = Packets.udp(SITE_HOST, ORIGIN, 10);
    String expected = ByteBufUtil.hexDump(inner);
    ByteBuf packet = gre(inner);
    try {
      assertEquals(Verdict.DELIVER, engine.decapsulate(REMOTE, packet, 0, packet.readableBytes()));
      assertEquals(4, engine.innerOffset());
      assertEquals(38, engine.innerLengthBytes());
      assertEquals(expected, ByteBufUtil.hexDump(packet, engine.innerOffset(), engine.innerLengthBytes()));
    } finally {
      packet.release();
    }
    assertEquals(1, counters.packetsIn());
    assertEquals(38, counters.bytesIn());
    assertEquals(0, counters.totalDrops());
  }

  @Test
  void deliversAnIpv6InnerPacket() {
    GreDecapsulator engine = engine();
    ByteBuf packet = gre(GreHeader.PROTOCOL_IPV6, false, null, null, Packets.udp(SITE_HOST_V6, ORIGIN_V6, 4));
    assertEquals(Verdict.DELIVER, run(engine, REMOTE, packet));
    assertEquals(40 + 8 + 4, engine.innerLengthBytes());
  }

  @Test
  void deliversWithAVerifiedChecksumAndTheRightKey() {
    GreDecapsulator engine = keyed(0xFFFF_FFFEL);
    ByteBuf packet = gre(GreHeader.PROTOCOL_IPV4, true, 0xFFFF_FFFE, null, Packets.udp(SITE_HOST, ORIGIN, 3));
    assertEquals(Verdict.DELIVER, run(engine, REMOTE, packet));
    assertEquals(16 - 4, engine.innerOffset()); // checksum word and key word
  }

  @Test
  void trimsBytesPastTheInnerPacketsOwnLength() {
    GreDecapsulator engine = engine();
    ByteBuf packet = gre(Packets.udp(SITE_HOST, ORIGIN, 2));
    packet.writeZero(6); // padding a sender left after the inner packet
    assertEquals(Verdict.DELIVER, run(engine, REMOTE, packet));
    assertEquals(30, engine.innerLengthBytes());
  }

  @Test
  void clampsTheMssOfASynFromTheSite() {
    GreDecapsulator engine = new GreDecapsulator(settings(OptionalLong.empty()), 1400, true, counters);
    ByteBuf packet = gre(Packets.syn(SITE_HOST, ORIGIN, 1460));
    try {
      assertEquals(Verdict.DELIVER, engine.decapsulate(REMOTE, packet, 0, packet.readableBytes()));
      ByteBuf inner = packet.slice(engine.innerOffset(), engine.innerLengthBytes());
      TcpPacket tcp = (TcpPacket) Pcap4jChecks.decodeVerified(inner).getPayload();
      TcpMaximumSegmentSizeOption mss = (TcpMaximumSegmentSizeOption) tcp.getHeader().getOptions().getFirst();
      assertEquals(1400 - 40, mss.getMaxSegSize());
    } finally {
      packet.release();
    }
    assertEquals(1, counters.mssClamped());
  }

  // --- dropped: who sent it

  @Test
  void dropsGreFromAnUnknownRemote() {
    assertDropped(GreDropReason.IN_UNKNOWN_REMOTE, engine(), Packets.address("198.18.0.3"),
        gre(Packets.udp(SITE_HOST, ORIGIN, 1)));
    assertEquals(0, counters.packetsIn());
  }

  // --- dropped: malformed GRE

  @Test
  void dropsEveryMalformedHeaderUnderItsReason() {
    GreDecapsulator engine = engine();
    assertDropped(GreDropReason.IN_TRUNCATED, engine, REMOTE, Fixtures.hex("0000 08"));
    assertDropped(GreDropReason.IN_TRUNCATED, engine, REMOTE, Fixtures.hex("b000 0800 0000 0000 0000"));
    assertDropped(GreDropReason.IN_BAD_VERSION, engine, REMOTE, Fixtures.hex("0001 0800" + Fixtures.INNER_UDP));
    assertDropped(GreDropReason.IN_RESERVED_FLAGS, engine, REMOTE, Fixtures.hex("4000 0800" + Fixtures.INNER_UDP));
    assertDropped(GreDropReason.IN_BAD_CHECKSUM, engine, REMOTE,
        Fixtures.hex("8000 0800 1786 0000" + Fixtures.INNER_UDP));
    assertDropped(GreDropReason.IN_UNKNOWN_PROTOCOL_TYPE, engine, REMOTE,
        Fixtures.hex("0000 6558" + Fixtures.INNER_UDP));
    assertEquals(6, counters.totalDrops());
  }

  @Test
  void dropsAPayloadThatIsNotAnIpPacketOfTheAnnouncedVersion() {
    GreDecapsulator engine = engine();
    assertDropped(GreDropReason.IN_NOT_IP, engine, REMOTE,
        gre(GreHeader.PROTOCOL_IPV4, false, null, null, Packets.udp(SITE_HOST_V6, ORIGIN_V6, 1)));
    assertDropped(GreDropReason.IN_NOT_IP, engine, REMOTE, Fixtures.hex("0000 0800 45000050 0000"));
    assertDropped(GreDropReason.IN_NOT_IP, engine, REMOTE, Fixtures.hex("0000 86dd"));
  }

  // --- dropped: key (RFC 2890 §2.1)

  @Test
  void dropsAKeyWhereTheTunnelHasNone() {
    assertDropped(GreDropReason.IN_WRONG_KEY, engine(), REMOTE,
        gre(GreHeader.PROTOCOL_IPV4, false, 0, null, Packets.udp(SITE_HOST, ORIGIN, 1)));
  }

  @Test
  void dropsNoKeyOrAnotherKeyWhereTheTunnelHasOne() {
    GreDecapsulator engine = keyed(42);
    assertDropped(GreDropReason.IN_WRONG_KEY, engine, REMOTE, gre(Packets.udp(SITE_HOST, ORIGIN, 1)));
    assertDropped(GreDropReason.IN_WRONG_KEY, engine, REMOTE,
        gre(GreHeader.PROTOCOL_IPV4, false, 43, null, Packets.udp(SITE_HOST, ORIGIN, 1)));
    assertEquals(Verdict.DELIVER, run(engine, REMOTE,
        gre(GreHeader.PROTOCOL_IPV4, false, 42, null, Packets.udp(SITE_HOST, ORIGIN, 1))));
  }

  // --- sequence numbers (RFC 2890 §2.2)

  private Verdict numbered(GreDecapsulator engine, Integer sequence) {
    return run(engine, REMOTE, gre(GreHeader.PROTOCOL_IPV4, false, null, sequence, Packets.udp(SITE_HOST, ORIGIN, 1)));
  }

  @Test
  void acceptsNumbersInSequenceAcrossGapsAndDropsLateOrRepeatedOnes() {
    GreDecapsulator engine = engine();
    assertEquals(Verdict.DELIVER, numbered(engine, 1000)); // the first number is taken as it is
    assertEquals(Verdict.DELIVER, numbered(engine, 1001));
    assertEquals(Verdict.DELIVER, numbered(engine, 1005)); // 1002..1004 lost
    assertEquals(Verdict.DROP, numbered(engine, 1003)); // late
    assertEquals(Verdict.DROP, numbered(engine, 1005)); // repeated
    assertEquals(Verdict.DELIVER, numbered(engine, null)); // unnumbered may be interleaved
    assertEquals(Verdict.DELIVER, numbered(engine, 1006));
    assertEquals(2, counters.drops(GreDropReason.IN_OUT_OF_SEQUENCE));
  }

  @Test
  void followsTheSequenceNumberAcrossItsWrapAround() {
    GreDecapsulator engine = engine();
    assertEquals(Verdict.DELIVER, numbered(engine, -2)); // 2^32 - 2
    assertEquals(Verdict.DELIVER, numbered(engine, -1));
    assertEquals(Verdict.DELIVER, numbered(engine, 0));
    assertEquals(Verdict.DROP, numbered(engine, -1));
  }

  @Test
  void resynchronisesWhenTheRouterRestartedItsCount() {
    GreDecapsulator engine = engine();
    assertEquals(Verdict.DELIVER, numbered(engine, 5_000_000));
    for (int i = 0; i < GreDecapsulator.RESYNC_AFTER_DROPS; i++) {
      assertEquals(Verdict.DROP, numbered(engine, i), "packet " + i);
    }
    assertEquals(Verdict.DELIVER, numbered(engine, 64));
    assertEquals(Verdict.DELIVER, numbered(engine, 65));
    assertEquals(Verdict.DROP, numbered(engine, 64));
  }

  // --- keepalives

  /** A Cisco-style keepalive: inside the tunnel, from our outer address to the router's, carrying GRE. */
  private static ByteBuf keepalive(InetAddress from, InetAddress to) {
    ByteBuf inner = Fixtures.hex("45000018 0000 0000 ff2f 0000" + "00000000 00000000" + "0000 0000");
    inner.setBytes(12, from.getAddress());
    inner.setBytes(16, to.getAddress());
    int checksum = Checksums.checksum(inner, 0, 20);
    inner.setShort(10, checksum);
    return gre(inner);
  }

  @Test
  void answersAKeepaliveWithTheGrePacketItCarries() {
    GreDecapsulator engine = engine();
    ByteBuf packet = keepalive(LOCAL, REMOTE);
    try {
      assertEquals(Verdict.ANSWER_KEEPALIVE, engine.decapsulate(REMOTE, packet, 0, packet.readableBytes()));
      assertEquals(4 + 20, engine.innerOffset());
      assertEquals(4, engine.innerLengthBytes());
      assertEquals("00000000", ByteBufUtil.hexDump(packet, engine.innerOffset(), engine.innerLengthBytes()));
    } finally {
      packet.release();
    }
    assertEquals(1, counters.keepalivesAnswered());
    assertEquals(0, counters.packetsIn());
  }

  @Test
  void reflectsNothingAddressedToAThirdPartyAndNoKeepaliveWithoutARawSocket() {
    GreDecapsulator engine = engine();
    assertEquals(Verdict.DELIVER, run(engine, REMOTE, keepalive(LOCAL, Packets.address("198.18.0.9"))));
    assertEquals(Verdict.DELIVER, run(engine, REMOTE, keepalive(Packets.address("198.18.0.9"), REMOTE)));
    GreDecapsulator overUdp = new GreDecapsulator(settings(OptionalLong.empty()), MTU, false, counters);
    assertEquals(Verdict.DELIVER, run(overUdp, REMOTE, keepalive(LOCAL, REMOTE)));
    assertEquals(0, counters.keepalivesAnswered());
  }
}
