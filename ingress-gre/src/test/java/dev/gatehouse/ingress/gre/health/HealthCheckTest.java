package dev.gatehouse.ingress.gre.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.wire.Ipv4Header;
import dev.gatehouse.core.wire.PacketWriter;
import dev.gatehouse.ingress.gre.health.HealthCheck.Verdict;
import dev.gatehouse.ingress.gre.health.HealthCheckSettings.Direction;
import dev.gatehouse.ingress.gre.health.HealthCheckSettings.Rate;
import dev.gatehouse.ingress.gre.health.HealthCheckSettings.Type;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The health check engine, driven by byte fixtures and a clock of its own. */
class HealthCheckTest {
  private static final Inet4Address APPLIANCE = v4("198.18.60.0");
  private static final Inet4Address SITE = v4("198.18.60.1");
  private static final int IDENTIFIER = 0x1234;
  private static final long TOKEN = 0x0102030405060708L;
  private static final long EPOCH_MILLIS_AT_ZERO = 1_750_000_000_000L;
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
  private static final long MILLI = TimeUnit.MILLISECONDS.toNanos(1);

  // RFC 792 echo messages worked out by hand (checksums with a separate implementation):
  // 198.18.60.0 -> 198.18.60.1, identifier 0x1234, sequence 7, data 01..08.
  private static final String REQUEST_FIXTURE =
      "4500002400070000400176acc6123c00c6123c01" + "0800d5b0123400070102030405060708";
  // The same numbers in an echo reply from 198.18.60.1 to 198.18.60.0.
  private static final String REPLY_FIXTURE =
      "4500002400070000400176acc6123c01c6123c00" + "0000ddb0123400070102030405060708";

  private final HealthCounters counters = new HealthCounters();
  private final PacketWriter writer = new PacketWriter(UnpooledByteBufAllocator.DEFAULT);
  private long now;

  private static Inet4Address v4(String literal) {
    try {
      return (Inet4Address) InetAddress.getByName(literal);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  private HealthCheck check(Type type, Direction direction, Rate rate, int firstSequence) {
    return new HealthCheck("branch-1", new HealthCheckSettings(true, type, direction, rate), APPLIANCE, SITE,
        IDENTIFIER, TOKEN, firstSequence, now, nanos -> EPOCH_MILLIS_AT_ZERO + nanos / MILLI,
        UnpooledByteBufAllocator.DEFAULT, counters);
  }

  private HealthCheck check() {
    return check(Type.REPLY, Direction.BIDIRECTIONAL, Rate.MID, 0);
  }

  private static byte[] bytes(ByteBuf packet) {
    try {
      return ByteBufUtil.getBytes(packet);
    } finally {
      packet.release();
    }
  }

  /** What the site sends back for {@code probe}: the probe itself one hop on, or an echo reply. */
  private ByteBuf answerTo(byte[] probe) {
    ByteBuf packet = Unpooled.wrappedBuffer(probe.clone());
    Ipv4Header header = new Ipv4Header();
    header.wrap(packet, 0, probe.length);
    if (packet.getUnsignedByte(Ipv4Header.MIN_HEADER_LENGTH_BYTES) == 0) {
      header.rewriteTtl(header.ttl() - 1); // routed back unchanged but for the hop
      return packet;
    }
    int identifier = packet.getUnsignedShort(24);
    int sequence = packet.getUnsignedShort(26);
    ByteBuf data = packet.slice(28, probe.length - 28);
    try {
      return writer.echoReply(SITE, APPLIANCE, identifier, sequence, data);
    } finally {
      packet.release();
    }
  }

  private Verdict feed(HealthCheck check, ByteBuf packet, boolean throughTunnel) {
    try {
      return check.onPacket(packet, packet.readerIndex(), packet.readableBytes(), throughTunnel, now);
    } finally {
      packet.release();
    }
  }

  /** Every probe due by {@code now}, as bytes. */
  private static List<byte[]> due(HealthCheck check, long nowNanos) {
    List<byte[]> probes = new ArrayList<>();
    for (ByteBuf probe = check.poll(nowNanos); probe != null; probe = check.poll(nowNanos)) {
      probes.add(bytes(probe));
    }
    return probes;
  }

  /**
   * Runs the clock from deadline to deadline until {@code untilNanos}, the site answering
   * every probe at once when {@code answering}; returns the states seen, the first included.
   */
  private List<HealthState> run(HealthCheck check, long untilNanos, boolean answering) {
    List<HealthState> seen = new ArrayList<>(List.of(check.state()));
    while (check.nextDeadlineNanos() - untilNanos <= 0) {
      now = Math.max(now, check.nextDeadlineNanos());
      for (byte[] probe : due(check, now)) {
        if (answering) {
          assertEquals(Verdict.ANSWERED, feed(check, answerTo(probe), true));
        }
        note(seen, check.state());
      }
      note(seen, check.state());
    }
    now = untilNanos;
    return seen;
  }

  private static void note(List<HealthState> seen, HealthState state) {
    if (seen.getLast() != state) {
      seen.add(state);
    }
  }

  private HealthCheck healthyCheck() {
    HealthCheck check = check();
    run(check, 40 * SECOND, true);
    assertEquals(HealthState.HEALTHY, check.state());
    return check;
  }

  // --- the probes on the wire

  @Test
  void buildsARequestStyleProbeAsAnEchoFromTheApplianceToTheSite() {
    HealthCheck check = check(Type.REQUEST, Direction.BIDIRECTIONAL, Rate.MID, 7);

    assertEquals(REQUEST_FIXTURE, HexFormat.of().formatHex(bytes(check.poll(now))));
    assertEquals(1, counters.probesSent());
  }

  @Test
  void buildsAReplyStyleProbeAsAnEchoReplyFromTheSiteToTheAppliance() {
    HealthCheck check = check(Type.REPLY, Direction.BIDIRECTIONAL, Rate.MID, 7);

    assertEquals(REPLY_FIXTURE, HexFormat.of().formatHex(bytes(check.poll(now))));
  }

  @Test
  void takesTheSitesEchoReplyToARequestStyleProbeAsItsAnswer() {
    HealthCheck check = check(Type.REQUEST, Direction.BIDIRECTIONAL, Rate.MID, 7);
    check.poll(now).release();

    ByteBuf answer = Unpooled.wrappedBuffer(HexFormat.of().parseHex(REPLY_FIXTURE));
    assertEquals(Verdict.ANSWERED, feed(check, answer, true));
    assertEquals(1, counters.probesAnswered());
  }

  @Test
  void takesAReplyStyleProbeRoutedBackWithALowerTtlAsItsAnswer() {
    HealthCheck check = check(Type.REPLY, Direction.BIDIRECTIONAL, Rate.MID, 7);
    byte[] probe = bytes(check.poll(now));

    assertEquals(Verdict.ANSWERED, feed(check, answerTo(probe), true));
  }

  @Test
  void sendsOneProbePerIntervalOfTheRate() {
    for (Rate rate : Rate.values()) {
      now = 0;
      HealthCheck check = check(Type.REPLY, Direction.BIDIRECTIONAL, rate, 0);
      check.poll(0).release();
      long interval = rate.interval().toNanos();

      assertNull(check.poll(interval - 1), rate.configName());
      ByteBuf second = check.poll(interval);
      assertNotNull(second, rate.configName());
      assertEquals(1, second.getUnsignedShort(26), "the sequence number goes up");
      second.release();
    }
  }

  // --- the verdict over time

  @Test
  void startsDownThenIsDegradedAfterThreeAnswersAndHealthyAfterThirty() {
    HealthCheck check = check();
    assertEquals(HealthState.DOWN, check.state());

    List<byte[]> first = due(check, now);
    assertEquals(1, first.size());
    assertEquals(Verdict.ANSWERED, feed(check, answerTo(first.getFirst()), true));
    List<byte[]> confirming = due(check, now);
    assertEquals(1, confirming.size(), "the first answer on a down tunnel sends a confirming probe at once");
    feed(check, answerTo(confirming.getFirst()), true);
    assertEquals(HealthState.DOWN, check.state());
    assertTrue(due(check, now + 99 * MILLI).isEmpty());
    now += 100 * MILLI;
    feed(check, answerTo(due(check, now).getFirst()), true);
    assertEquals(HealthState.DEGRADED, check.state());

    run(check, now + 26 * SECOND, true);
    assertEquals(HealthState.DEGRADED, check.state(), "29 answers in a row");
    run(check, now + SECOND, true);
    assertEquals(HealthState.HEALTHY, check.state(), "30 answers in a row");
  }

  @Test
  void goesDegradedThenDownWhenAnswersStopAndBackUpWhenTheyReturn() {
    HealthCheck check = healthyCheck();
    long stopped = now;

    List<HealthState> seen = run(check, stopped + 3 * SECOND, false);
    assertEquals(List.of(HealthState.HEALTHY, HealthState.DEGRADED, HealthState.DOWN), seen);
    long downAt = check.health().sinceEpochMillis() - EPOCH_MILLIS_AT_ZERO;
    assertTrue(downAt - stopped / MILLI <= 2_500, "down within 2.5 s of the last answer, took "
        + (downAt - stopped / MILLI) + " ms");
    assertEquals(List.of(HealthState.DOWN), run(check, now + 60 * SECOND, false), "stays down");

    List<HealthState> back = run(check, now + 40 * SECOND, true);
    assertEquals(List.of(HealthState.DOWN, HealthState.DEGRADED, HealthState.HEALTHY), back);
    assertTrue(counters.probesLost() >= 3);
  }

  @Test
  void staysHealthyWhenOneProbeIsLostAndTheConfirmingOnesAreAnswered() {
    HealthCheck check = healthyCheck();
    long sentBefore = counters.probesSent();

    now = check.nextDeadlineNanos();
    assertEquals(1, due(check, now).size()); // lost: nobody answers it
    run(check, now + 5 * SECOND, true);

    assertEquals(HealthState.HEALTHY, check.state());
    assertEquals(1, counters.probesLost());
    assertTrue(counters.probesSent() - sentBefore >= 3, "the loss brought two confirming probes");
  }

  @Test
  void confirmsALossWithTwoProbesAHundredMillisecondsApart() {
    HealthCheck check = healthyCheck();
    now = check.nextDeadlineNanos();
    long lostSentAt = now;
    due(check, now); // not answered

    now = lostSentAt + HealthCheck.TIMEOUT_NANOS;
    List<byte[]> atTimeout = due(check, now);
    assertEquals(1, atTimeout.size(), "one confirming probe when the loss is found (the regular one is due too)");
    assertTrue(due(check, now + 99 * MILLI).isEmpty());
    assertEquals(1, due(check, now + 100 * MILLI).size());
    assertTrue(due(check, now + 100 * MILLI + SECOND - 1).isEmpty(), "then the rate again");
  }

  @Test
  void twoLossesInTheWindowDegradeAHealthyTunnelThatIsNotDown() {
    HealthCheck check = healthyCheck();
    for (int i = 0; i < 2; i++) {
      now = check.nextDeadlineNanos();
      due(check, now); // lost
      run(check, now + 5 * SECOND, true);
    }

    assertEquals(HealthState.DEGRADED, check.state());
    assertEquals(2, counters.probesLost());
    assertEquals(List.of(HealthState.DEGRADED, HealthState.HEALTHY), run(check, now + 40 * SECOND, true));
  }

  // --- what is not an answer

  @Test
  void dropsAndCountsStrayReplies() {
    HealthCheck check = check(Type.REPLY, Direction.BIDIRECTIONAL, Rate.MID, 7);
    byte[] probe = bytes(check.poll(now));

    ByteBuf unknownSequence = writer.echoReply(SITE, APPLIANCE, IDENTIFIER, 8, data(TOKEN));
    assertEquals(Verdict.STRAY, feed(check, unknownSequence, true));
    ByteBuf otherData = writer.echoReply(SITE, APPLIANCE, IDENTIFIER, 7, data(TOKEN + 1));
    assertEquals(Verdict.STRAY, feed(check, otherData, true));
    ByteBuf longerData = writer.echoReply(SITE, APPLIANCE, IDENTIFIER, 7, Unpooled.wrappedBuffer(new byte[9]));
    assertEquals(Verdict.STRAY, feed(check, longerData, true));
    assertEquals(Verdict.ANSWERED, feed(check, answerTo(probe), true));
    assertEquals(Verdict.STRAY, feed(check, answerTo(probe), true), "a duplicate");

    assertEquals(4, counters.strayAnswers());
    assertEquals(1, counters.probesAnswered());
  }

  @Test
  void countsAnAnswerAfterTheTimeoutAsLostAndStray() {
    HealthCheck check = check();
    byte[] probe = bytes(check.poll(now));
    now += HealthCheck.TIMEOUT_NANOS;
    due(check, now);

    assertEquals(Verdict.STRAY, feed(check, answerTo(probe), true));
    assertEquals(1, counters.probesLost());
    assertEquals(0, counters.probesAnswered());
  }

  @Test
  void leavesOtherIcmpToTheCore() {
    HealthCheck check = check();
    check.poll(now).release();

    ByteBuf otherIdentifier = writer.echoReply(SITE, APPLIANCE, IDENTIFIER + 1, 0, data(TOKEN));
    assertEquals(Verdict.NOT_AN_ANSWER, feed(check, otherIdentifier, true));
    ByteBuf siteHostAnswer = writer.echoReply(v4("198.18.40.10"), APPLIANCE, IDENTIFIER, 0,
        data(TOKEN));
    assertEquals(Verdict.NOT_AN_ANSWER, feed(check, siteHostAnswer, true));
    // a ping from the site to the appliance's interface address: the core answers it
    ByteBuf sitePing = Unpooled.wrappedBuffer(HexFormat.of().parseHex(REQUEST_FIXTURE.replace(
        "c6123c00c6123c01", "c6123c01c6123c00")));
    assertEquals(Verdict.NOT_AN_ANSWER, feed(check, sitePing, true));
    ByteBuf udp = writer.udp(SITE, 4000, APPLIANCE, 53, data(TOKEN));
    assertEquals(Verdict.NOT_AN_ANSWER, feed(check, udp, true));

    assertEquals(0, counters.strayAnswers() + counters.malformedAnswers() + counters.probesAnswered());
  }

  @Test
  void dropsAndCountsMalformedAnswersWithoutThrowing() {
    HealthCheck check = check(Type.REPLY, Direction.BIDIRECTIONAL, Rate.MID, 7);
    check.poll(now).release();
    byte[] good = HexFormat.of().parseHex(REPLY_FIXTURE);

    byte[] badIcmpChecksum = good.clone();
    badIcmpChecksum[23] ^= 1;
    byte[] badIpChecksum = good.clone();
    badIpChecksum[11] ^= 1;
    byte[] truncatedIcmp = Arrays.copyOf(good, 24); // 4 bytes of ICMP
    truncatedIcmp[3] = 24;
    fixIpChecksum(truncatedIcmp);
    byte[] fragment = good.clone();
    fragment[6] = 0x20; // more fragments
    fixIpChecksum(fragment);
    byte[] lyingLength = good.clone();
    lyingLength[3] = (byte) 0xFF; // total length beyond the bytes
    byte[] headerOnly = Arrays.copyOf(good, 20);
    headerOnly[3] = 20;
    fixIpChecksum(headerOnly);

    for (byte[] broken : List.of(badIcmpChecksum, badIpChecksum, truncatedIcmp, fragment, lyingLength, headerOnly)) {
      assertEquals(Verdict.MALFORMED, feed(check, Unpooled.wrappedBuffer(broken), true),
          HexFormat.of().formatHex(broken));
    }
    assertEquals(6, counters.malformedAnswers());
    assertEquals(Verdict.ANSWERED, feed(check, Unpooled.wrappedBuffer(good), true), "the probe is still open");
  }

  @Test
  void neverThrowsOnGarbageAddressedAsAnAnswer() {
    HealthCheck check = check();
    check.poll(now).release();
    byte[] prefix = HexFormat.of().parseHex(REPLY_FIXTURE);
    Random random = new Random(6);
    for (int i = 0; i < 5_000; i++) {
      byte[] packet = new byte[random.nextInt(60)];
      random.nextBytes(packet);
      System.arraycopy(prefix, 0, packet, 0, Math.min(packet.length, 20));
      if (packet.length > 0) {
        packet[0] = (byte) (0x40 | random.nextInt(16));
      }
      Verdict verdict = feed(check, Unpooled.wrappedBuffer(packet), true);
      assertFalse(verdict == Verdict.ANSWERED, HexFormat.of().formatHex(packet));
    }
  }

  @Test
  void matchesAnswersAcrossTheSequenceNumberWrap() {
    HealthCheck check = check(Type.REQUEST, Direction.BIDIRECTIONAL, Rate.HIGH, 65_534);
    List<Integer> sequences = new ArrayList<>();
    List<byte[]> probes = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      byte[] probe = bytes(check.poll(now));
      probes.add(probe);
      sequences.add((probe[26] & 0xFF) << 8 | probe[27] & 0xFF);
      now += Rate.HIGH.interval().toNanos();
    }
    assertEquals(List.of(65_534, 65_535, 0, 1), sequences);

    for (byte[] probe : probes.reversed()) {
      assertEquals(Verdict.ANSWERED, feed(check, answerTo(probe), true));
    }
    assertEquals(0, counters.probesLost());
  }

  // --- directions

  @Test
  void bidirectionalTakesAnswersOnlyThroughTheTunnel() {
    HealthCheck check = check(Type.REQUEST, Direction.BIDIRECTIONAL, Rate.MID, 7);
    byte[] probe = bytes(check.poll(now));

    assertEquals(Verdict.NOT_AN_ANSWER, feed(check, answerTo(probe), false));
    assertEquals(Verdict.ANSWERED, feed(check, answerTo(probe), true));
  }

  @Test
  void unidirectionalTakesAnswersEitherWay() {
    HealthCheck check = check(Type.REQUEST, Direction.UNIDIRECTIONAL, Rate.HIGH, 7);
    byte[] first = bytes(check.poll(now));
    now += Rate.HIGH.interval().toNanos();
    byte[] second = bytes(check.poll(now));

    assertEquals(Verdict.ANSWERED, feed(check, answerTo(first), false));
    assertEquals(Verdict.ANSWERED, feed(check, answerTo(second), true));
  }

  // --- the snapshot

  @Test
  void keepsABoundedHistoryOfChangesInEpochMillis() {
    HealthCheck check = check();
    run(check, 40 * SECOND, true);
    TunnelHealth healthy = check.health();
    assertEquals(HealthState.HEALTHY, healthy.state());
    assertEquals(List.of(HealthState.DOWN, HealthState.DEGRADED),
        healthy.history().stream().map(TunnelHealth.Change::from).toList());
    assertEquals(List.of(HealthState.DEGRADED, HealthState.HEALTHY),
        healthy.history().stream().map(TunnelHealth.Change::to).toList());
    assertEquals(EPOCH_MILLIS_AT_ZERO + 100, healthy.history().getFirst().atEpochMillis());
    assertEquals(healthy.history().getLast().atEpochMillis(), healthy.sinceEpochMillis());
    assertEquals(0.0, healthy.lossRatio());

    for (int i = 0; i < 40; i++) {
      run(check, now + 5 * SECOND, false);
      run(check, now + 40 * SECOND, true);
    }
    List<TunnelHealth.Change> history = check.health().history();
    assertEquals(HealthCheck.HISTORY_ENTRIES, history.size());
    assertEquals(HealthState.HEALTHY, history.getLast().to());
    assertEquals(2 + 40 * 4, counters.stateChanges(), "down, degraded, healthy, then four a cycle");
    for (int i = 1; i < history.size(); i++) {
      assertEquals(history.get(i - 1).to(), history.get(i).from());
      assertTrue(history.get(i - 1).atEpochMillis() <= history.get(i).atEpochMillis());
    }
  }

  @Test
  void reportsTheLossRatioOverTheLastFiveMinutes() {
    HealthCheck check = healthyCheck();
    now = check.nextDeadlineNanos();
    due(check, now); // one lost among answered ones
    run(check, now + 10 * SECOND, true);
    double ratio = check.health().lossRatio();
    assertTrue(ratio > 0 && ratio < 0.05, "ratio " + ratio);

    run(check, now + 6 * 60 * SECOND, true);
    assertEquals(0.0, check.health().lossRatio(), "the loss fell out of the window");
  }

  private static ByteBuf data(long value) {
    return Unpooled.wrappedBuffer(new byte[] {(byte) (value >>> 56), (byte) (value >>> 48), (byte) (value >>> 40),
        (byte) (value >>> 32), (byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value});
  }

  private static void fixIpChecksum(byte[] packet) {
    ByteBuf buffer = Unpooled.wrappedBuffer(packet);
    Ipv4Header header = new Ipv4Header();
    header.init(buffer, 0, 20, Math.max(20, (packet[2] & 0xFF) << 8 | packet[3] & 0xFF));
    header.writeHeaderChecksum();
  }
}
