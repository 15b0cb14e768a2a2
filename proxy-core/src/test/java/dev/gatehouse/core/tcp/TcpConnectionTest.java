package dev.gatehouse.core.tcp;

import static dev.gatehouse.core.tcp.Harness.MS;
import static dev.gatehouse.core.wire.TcpSegment.FLAG_ACK;
import static dev.gatehouse.core.wire.TcpSegment.FLAG_FIN;
import static dev.gatehouse.core.wire.TcpSegment.FLAG_PSH;
import static dev.gatehouse.core.wire.TcpSegment.FLAG_RST;
import static dev.gatehouse.core.wire.TcpSegment.FLAG_SYN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.tcp.Harness.Sent;
import dev.gatehouse.core.wire.TcpSegment;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TcpConnectionTest {

  static final int IRS = 1_000_000;
  static final int ISS = 5_000_000;
  static final int MSS = 1460;
  static final TcpSettings SETTINGS = TcpSettings.forMtu(1500, false);

  final Harness h = new Harness();

  @AfterEach
  void closeLeftovers() {
    h.closeQuietly();
  }

  TcpConnection held(TcpSettings settings) {
    return h.open(settings, ISS, h.segment().seq(IRS).mss(MSS));
  }

  /** An ESTABLISHED connection without options but MSS; nothing recorded yet. */
  TcpConnection established(TcpSettings settings) {
    held(settings).accept(h.now);
    h.segment().seq(IRS + 1).ack(ISS + 1).send();
    h.takeSent();
    return h.connection;
  }

  TcpConnection establishedWithSack() {
    h.open(SETTINGS, ISS, h.segment().seq(IRS).mss(MSS).sackPermitted()).accept(h.now);
    h.segment().seq(IRS + 1).ack(ISS + 1).send();
    h.takeSent();
    return h.connection;
  }

  static List<Sent> dataSegments(List<Sent> sent) {
    return sent.stream().filter(s -> s.payloadLength() > 0).toList();
  }

  @Nested
  class SynHeld {

    @Test
    void answersNothingWhileTheOriginIsDialed() {
      TcpConnection connection = held(SETTINGS);
      assertEquals(TcpState.SYN_HELD, connection.state());
      assertEquals("SYN-HELD", connection.state().toString());
      assertTrue(h.sent.isEmpty());
      assertEquals(TcpConnection.NO_DEADLINE, connection.nextDeadlineNanos());
    }

    @Test
    void assumesTheProtocolsDefaultMssWhenTheSynCarriesNone() {
      // RFC 9293 §3.7.1: 536 over IPv4; RFC 8200 §5: 1220 over IPv6 (MTU 1280 less headers)
      TcpConnection v4 = h.open(TcpSettings.forMtu(1500, false), ISS, h.segment().seq(IRS));
      assertEquals(TcpSettings.DEFAULT_MSS_IPV4_BYTES, v4.sendMssBytes());
      TcpConnection v6 = h.open(TcpSettings.forMtu(1500, true), ISS, h.segment().seq(IRS));
      assertEquals(TcpSettings.DEFAULT_MSS_IPV6_BYTES, v6.sendMssBytes());
    }

    @Test
    void absorbsRetransmittedSyn() {
      held(SETTINGS);
      h.now += 1000 * MS;
      assertEquals(SegmentResult.ABSORBED_HELD_SYN,
          h.segment().seq(IRS).flags(FLAG_SYN).mss(MSS).send());
      assertTrue(h.sent.isEmpty());
    }

    @Test
    void dropsEverythingElseWhileHeld() {
      held(SETTINGS);
      assertEquals(SegmentResult.DROPPED_WHILE_HELD,
          h.segment().seq(IRS + 1).ack(ISS + 1).payload(new byte[10]).send());
      assertEquals(SegmentResult.DROPPED_WHILE_HELD,
          h.segment().seq(IRS + 7).flags(FLAG_SYN).send());
      assertTrue(h.sent.isEmpty());
    }

    @Test
    void answersRstAckingTheSynWhenOriginRefuses() {
      held(SETTINGS).refuse(h.now);
      Sent rst = h.last();
      assertEquals(FLAG_RST | FLAG_ACK, rst.flags());
      assertEquals(0, rst.seq());
      assertEquals(IRS + 1, rst.ack());
      assertEquals(CloseCause.REFUSED, h.closedCause);
      assertEquals(TcpState.CLOSED, h.connection.state());
    }

    @Test
    void acknowledgesDataCarriedInTheSynWhenRefusing() {
      h.open(SETTINGS, ISS, h.segment().seq(IRS).payload(new byte[20])).refuse(h.now);
      assertEquals(IRS + 21, h.last().ack(), "RFC 9293 §3.10.7.1: ACK = SEG.SEQ + SEG.LEN");
    }

    @Test
    void answersSynAckWithTheOptionsTheClientOffered() {
      h.open(SETTINGS, ISS, h.segment().seq(IRS).mss(1400).windowScale(7).sackPermitted()
          .timestamps(777, 0)).accept(h.now);
      Sent synAck = h.last();
      assertEquals(FLAG_SYN | FLAG_ACK, synAck.flags());
      assertEquals(ISS, synAck.seq());
      assertEquals(IRS + 1, synAck.ack());
      assertEquals(65535, synAck.window(), "RFC 7323 §2.2: a SYN's window is not scaled");
      TcpSegment view = synAck.view();
      assertEquals(MSS, view.mss());
      assertEquals(3, view.windowScale(), "256 KiB needs a shift of 3 to fit 16 bits");
      assertTrue(view.sackPermitted());
      assertTrue(view.hasTimestamps());
      assertEquals(777, view.timestampEchoReply());
      assertEquals(TcpState.SYN_RECEIVED, h.connection.state());
      assertEquals(1400 - 12, h.connection.sendMssBytes(), "RFC 6691: options come off");
    }

    @Test
    void leavesOutOptionsTheClientDidNotOffer() {
      held(SETTINGS).accept(h.now);
      TcpSegment view = h.last().view();
      assertEquals(MSS, view.mss());
      assertEquals(-1, view.windowScale());
      assertFalse(view.sackPermitted());
      assertFalse(view.hasTimestamps());
    }

    @Test
    void abortRefusesTheHeldSyn() {
      held(SETTINGS).abort();
      assertEquals(FLAG_RST | FLAG_ACK, h.last().flags());
      assertEquals(CloseCause.ABORTED, h.closedCause);
    }
  }

  @Nested
  class SynReceived {

    @Test
    void retransmitsSynAckWithExponentialBackoff() {
      held(SETTINGS).accept(h.now);
      long start = h.now;
      assertEquals(start + 1000 * MS, h.connection.nextDeadlineNanos(), "RFC 6298 (2.1): 1 s");
      h.advanceTo(start + 1000 * MS);
      assertEquals(2, h.sent.size());
      assertEquals(start + 3000 * MS, h.connection.nextDeadlineNanos());
      h.advanceTo(start + 3000 * MS);
      assertEquals(start + 7000 * MS, h.connection.nextDeadlineNanos());
      assertTrue(h.sent.stream().allMatch(s -> s.is(FLAG_SYN | FLAG_ACK) && s.seq() == ISS));
    }

    @Test
    void givesUpAfterTheConfiguredSynAckRetries() {
      held(SETTINGS).accept(h.now);
      h.advanceBy(1000_000 * MS);
      long synAcks = h.sent.stream().filter(s -> s.is(FLAG_SYN | FLAG_ACK)).count();
      assertEquals(1 + SETTINGS.synAckRetries(), synAcks);
      assertEquals(FLAG_RST | FLAG_ACK, h.last().flags());
      assertEquals(CloseCause.HANDSHAKE_TIMEOUT, h.closedCause);
    }

    @Test
    void resendsSynAckForARetransmittedSyn() {
      held(SETTINGS).accept(h.now);
      h.takeSent();
      assertEquals(SegmentResult.SYN_ACK_RESENT, h.segment().seq(IRS).flags(FLAG_SYN).send());
      assertTrue(h.last().is(FLAG_SYN | FLAG_ACK));
    }

    @Test
    void entersEstablishedOnTheAckOfOurSyn() {
      held(SETTINGS).accept(h.now);
      assertEquals(SegmentResult.ACCEPTED, h.segment().seq(IRS + 1).ack(ISS + 1).send());
      assertEquals(TcpState.ESTABLISHED, h.connection.state());
      assertEquals(ISS + 1, h.connection.sndUna());
      assertEquals(TcpConnection.NO_DEADLINE, h.connection.nextDeadlineNanos());
    }

    @Test
    void answersABadAckWithResetAndStays() {
      held(SETTINGS).accept(h.now);
      assertEquals(SegmentResult.DROPPED_BAD_ACK, h.segment().seq(IRS + 1).ack(ISS + 9).send());
      Sent rst = h.last();
      assertEquals(FLAG_RST, rst.flags());
      assertEquals(ISS + 9, rst.seq(), "RFC 9293: <SEQ=SEG.ACK><CTL=RST>");
      assertEquals(TcpState.SYN_RECEIVED, h.connection.state());
    }

    @Test
    void closesOnAnExactReset() {
      held(SETTINGS).accept(h.now);
      assertEquals(SegmentResult.RESET, h.segment().seq(IRS + 1).flags(FLAG_RST).send());
      assertEquals(CloseCause.RESET_BY_CLIENT, h.closedCause);
    }

    @Test
    void abortAnswersResetThatAClientInSynSentAccepts() {
      held(SETTINGS).accept(h.now);
      h.connection.abort();
      Sent rst = h.last();
      assertEquals(FLAG_RST | FLAG_ACK, rst.flags());
      assertEquals(ISS + 1, rst.seq());
      assertEquals(IRS + 1, rst.ack());
      assertEquals(CloseCause.ABORTED, h.closedCause);
    }

    @Test
    void queuesFinUntilTheHandshakeCompletes() {
      held(SETTINGS).accept(h.now);
      h.connection.shutdownOutput(h.now);
      assertEquals(TcpState.SYN_RECEIVED, h.connection.state());
      h.segment().seq(IRS + 1).ack(ISS + 1).send();
      assertEquals(TcpState.FIN_WAIT_1, h.connection.state());
      assertEquals(FLAG_ACK | FLAG_FIN, h.last().flags());
    }

    @Test
    void sendsOriginBytesQueuedBeforeTheHandshakeCompleted() {
      held(SETTINGS).accept(h.now);
      h.originWrites(new byte[] {1, 2, 3});
      assertEquals(1, h.sent.size(), "only the SYN-ACK before the ACK");
      h.segment().seq(IRS + 1).ack(ISS + 1).send();
      assertArrayEquals(new byte[] {1, 2, 3}, h.last().payload());
      assertEquals(ISS + 1, h.last().seq());
    }

    @Test
    void deliversDataThatCameWithTheHandshakeAck() {
      held(SETTINGS).accept(h.now);
      h.segment().seq(IRS + 1).ack(ISS + 1).payload(new byte[] {9, 8}).send();
      assertArrayEquals(new byte[] {9, 8}, h.delivered.toByteArray());
      assertEquals(IRS + 3, h.last().ack());
    }
  }

  @Nested
  class Established {

    @Test
    void deliversInOrderBytesAndAcknowledgesThem() {
      established(SETTINGS.withBuffers(8192, 8192));
      byte[] data = Harness.bytes(100, 1);
      assertEquals(SegmentResult.ACCEPTED,
          h.segment().seq(IRS + 1).ack(ISS + 1).payload(data).send());
      assertArrayEquals(data, h.delivered.toByteArray());
      Sent ack = h.last();
      assertEquals(FLAG_ACK, ack.flags());
      assertEquals(IRS + 101, ack.ack());
      assertEquals(8192 - 100, ack.window(), "delivered bytes count until consumed");
    }

    @Test
    void reassemblesOutOfOrderSegmentsAndReportsThemInSackBlocks() {
      establishedWithSack();
      byte[] data = Harness.bytes(300, 2);
      h.segment().seq(IRS + 201).ack(ISS + 1).payload(Arrays.copyOfRange(data, 200, 300)).send();
      h.segment().seq(IRS + 101).ack(ISS + 1).payload(Arrays.copyOfRange(data, 100, 150)).send();
      assertEquals(0, h.delivered.size());
      TcpSegment ack = h.last().view();
      assertEquals(IRS + 1, ack.acknowledgmentNumber(), "a duplicate ACK for the hole");
      assertEquals(2, ack.sackBlockCount());
      assertEquals(IRS + 101, ack.sackLeftEdge(0), "RFC 2018 §4: latest segment first");
      assertEquals(IRS + 151, ack.sackRightEdge(0));
      assertEquals(IRS + 201, ack.sackLeftEdge(1));
      assertEquals(IRS + 301, ack.sackRightEdge(1));

      h.segment().seq(IRS + 1).ack(ISS + 1).payload(Arrays.copyOfRange(data, 0, 100)).send();
      assertEquals(150, h.delivered.size());
      h.segment().seq(IRS + 151).ack(ISS + 1).payload(Arrays.copyOfRange(data, 150, 200)).send();
      assertArrayEquals(data, h.delivered.toByteArray());
      assertEquals(IRS + 301, h.last().ack());
      assertEquals(0, h.last().view().sackBlockCount());
    }

    @Test
    void takesOnlyNewBytesFromOverlappingAndDuplicateSegments() {
      established(SETTINGS);
      byte[] data = Harness.bytes(150, 3);
      h.segment().seq(IRS + 1).ack(ISS + 1).payload(Arrays.copyOfRange(data, 0, 100)).send();
      h.segment().seq(IRS + 51).ack(ISS + 1).payload(Arrays.copyOfRange(data, 50, 150)).send();
      assertArrayEquals(data, h.delivered.toByteArray());
      assertEquals(SegmentResult.DROPPED_OUT_OF_WINDOW,
          h.segment().seq(IRS + 1).ack(ISS + 1).payload(Arrays.copyOfRange(data, 0, 100)).send());
      assertEquals(150, h.delivered.size());
      assertEquals(IRS + 151, h.last().ack(), "a duplicate is answered with an ACK");
    }

    @Test
    void acknowledgesAndDropsSegmentsOutsideTheWindow() {
      established(SETTINGS.withBuffers(8192, 8192));
      assertEquals(SegmentResult.DROPPED_OUT_OF_WINDOW,
          h.segment().seq(IRS + 1 + 9000).ack(ISS + 1).payload(new byte[10]).send());
      assertEquals(0, h.delivered.size());
      assertEquals(FLAG_ACK, h.last().flags());
      assertEquals(IRS + 1, h.last().ack());
    }

    @Test
    void trimsBytesBeyondTheWindow() {
      established(SETTINGS.withBuffers(4096, 8192));
      byte[] data = Harness.bytes(6000, 4);
      h.segment().seq(IRS + 1).ack(ISS + 1).payload(data).send();
      assertArrayEquals(Arrays.copyOf(data, 4096), h.delivered.toByteArray());
      assertEquals(IRS + 1 + 4096, h.last().ack());
      assertEquals(0, h.last().window());
    }

    @Test
    void scalesWindowsBothWays() {
      h.open(SETTINGS, ISS, h.segment().seq(IRS).mss(MSS).windowScale(2)).accept(h.now);
      h.segment().seq(IRS + 1).ack(ISS + 1).window(1000).send();
      assertEquals(4000, h.connection.sndWnd(), "RFC 7323 §2.3: SEG.WND << Snd.Wind.Shift");
      h.segment().seq(IRS + 1).ack(ISS + 1).window(1000).payload(new byte[1000]).send();
      assertEquals((256 * 1024 - 1000) >> 3, h.last().window(), "ours shifted by 3");
    }

    @Test
    void cutsDataIntoSegmentsOfTheClientsMss() {
      h.open(SETTINGS, ISS, h.segment().seq(IRS).mss(500)).accept(h.now);
      h.segment().seq(IRS + 1).ack(ISS + 1).send();
      h.takeSent();
      byte[] data = Harness.bytes(1200, 5);
      h.originWrites(data);
      List<Sent> sent = h.takeSent();
      assertEquals(List.of(500, 500, 200), sent.stream().map(Sent::payloadLength).toList());
      assertEquals(List.of(ISS + 1, ISS + 501, ISS + 1001), sent.stream().map(Sent::seq).toList());
      assertEquals(FLAG_ACK | FLAG_PSH, sent.get(2).flags());
      assertArrayEquals(Arrays.copyOfRange(data, 1000, 1200), sent.get(2).payload());
    }

    @Test
    void sendsNoMoreThanTheClientsWindow() {
      established(SETTINGS);
      h.segment().seq(IRS + 1).ack(ISS + 1).window(1000).send();
      h.originWrites(new byte[3000]);
      assertEquals(1000, h.takeSent().stream().mapToInt(Sent::payloadLength).sum());
      h.segment().seq(IRS + 1).ack(ISS + 1001).window(3000).send();
      assertEquals(2000, h.takeSent().stream().mapToInt(Sent::payloadLength).sum());
    }

    @Test
    void retransmitsOnTimeoutWithBackoff() {
      established(SETTINGS);
      long rto = h.connection.rtoNanos();
      assertEquals(SETTINGS.minRtoNanos(), rto, "a 0 ms handshake sample gives the minimum");
      h.originWrites(Harness.bytes(1000, 6));
      long sentAt = h.now;
      h.takeSent();
      h.advanceTo(sentAt + rto);
      h.advanceTo(sentAt + 3 * rto);
      h.advanceTo(sentAt + 7 * rto - 1);
      List<Sent> sent = h.takeSent();
      assertEquals(2, sent.size(), "at RTO and at 3 RTO; the next is due at 7 RTO");
      assertTrue(sent.stream().allMatch(s -> s.seq() == ISS + 1 && s.payloadLength() == 1000));
      h.advanceTo(sentAt + 7 * rto);
      assertEquals(1, h.takeSent().size());
    }

    @Test
    void resetsAfterTheConfiguredRetransmissions() {
      established(SETTINGS);
      h.originWrites(new byte[100]);
      h.takeSent();
      h.advanceBy(3_600_000 * MS);
      List<Sent> sent = h.takeSent();
      assertEquals(SETTINGS.dataRetries(), sent.stream().filter(s -> s.payloadLength() > 0).count());
      assertEquals(FLAG_RST, sent.get(sent.size() - 1).flags());
      assertEquals(CloseCause.RETRANSMISSION_TIMEOUT, h.closedCause);
    }

    @Test
    void fastRetransmitsOnTheThirdDuplicateAck() {
      established(SETTINGS);
      h.originWrites(Harness.bytes(5 * MSS, 7));
      assertEquals(5, h.takeSent().size());
      h.segment().seq(IRS + 1).ack(ISS + 1 + MSS).send();
      h.segment().seq(IRS + 1).ack(ISS + 1 + MSS).send();
      h.segment().seq(IRS + 1).ack(ISS + 1 + MSS).send();
      assertTrue(h.takeSent().isEmpty(), "two duplicates are not enough");
      h.segment().seq(IRS + 1).ack(ISS + 1 + MSS).send();
      Sent retransmission = h.last();
      assertEquals(ISS + 1 + MSS, retransmission.seq());
      assertEquals(MSS, retransmission.payloadLength());
      // RFC 5681 §3.2: ssthresh = FlightSize / 2 = 2 MSS, cwnd = ssthresh + 3 MSS
      assertEquals(5 * MSS, h.connection.congestionWindowBytes());
    }

    @Test
    void retransmitsTheNextHoleOnAPartialAck() {
      established(SETTINGS);
      h.originWrites(Harness.bytes(5 * MSS, 8));
      h.takeSent();
      for (int i = 0; i < 4; i++) {
        h.segment().seq(IRS + 1).ack(ISS + 1 + MSS).send();
      }
      h.takeSent();
      // the retransmission filled the first hole; the third segment was lost too
      h.segment().seq(IRS + 1).ack(ISS + 1 + 2 * MSS).send();
      List<Sent> sent = h.takeSent();
      assertEquals(ISS + 1 + 2 * MSS, sent.get(0).seq(), "RFC 6582 §3.2 step 3: partial ACK");
      h.segment().seq(IRS + 1).ack(ISS + 1 + 5 * MSS).send();
      assertEquals(TcpConnection.NO_DEADLINE, h.connection.nextDeadlineNanos());
    }

    @Test
    void skipsSackedDataWhenRetransmitting() {
      establishedWithSack();
      h.originWrites(Harness.bytes(4 * MSS, 9));
      h.takeSent();
      int third = ISS + 1 + 2 * MSS;
      h.segment().seq(IRS + 1).ack(ISS + 1).sack(third, third + 2 * MSS).send();
      h.advanceBy(h.connection.rtoNanos());
      assertEquals(List.of(ISS + 1), dataSegments(h.takeSent()).stream().map(Sent::seq).toList());
      h.segment().seq(IRS + 1).ack(ISS + 1 + MSS).sack(third, third + 2 * MSS).send();
      List<Sent> sent = dataSegments(h.takeSent());
      assertEquals(List.of(ISS + 1 + MSS), sent.stream().map(Sent::seq).toList(),
          "the SACKed third and fourth segments are not sent again");
      h.segment().seq(IRS + 1).ack(ISS + 1 + 4 * MSS).send();
      assertEquals(ISS + 1 + 4 * MSS, h.connection.sndNxt());
    }

    @Test
    void probesAZeroWindowWithOneByte() {
      established(SETTINGS);
      h.segment().seq(IRS + 1).ack(ISS + 1).window(0).send();
      byte[] data = Harness.bytes(100, 10);
      h.originWrites(data);
      assertTrue(h.takeSent().isEmpty());
      long start = h.now;
      long rto = h.connection.rtoNanos();
      assertEquals(start + rto, h.connection.nextDeadlineNanos());
      h.advanceTo(start + rto);
      Sent probe = h.last();
      assertEquals(ISS + 1, probe.seq());
      assertArrayEquals(new byte[] {data[0]}, probe.payload());
      assertEquals(start + 3 * rto, h.connection.nextDeadlineNanos(), "probes back off");
      h.segment().seq(IRS + 1).ack(ISS + 1).window(0).send();
      h.takeSent();
      h.segment().seq(IRS + 1).ack(ISS + 1).window(1000).send();
      List<Sent> sent = h.takeSent();
      assertEquals(100, sent.stream().mapToInt(Sent::payloadLength).sum());
      assertArrayEquals(data, sent.get(0).payload());
    }

    @Test
    void reopensTheWindowOnlyWhenTheOriginConsumed() {
      established(SETTINGS.withBuffers(8192, 8192));
      for (int offset = 0; offset < 8192; offset += 1024) {
        h.segment().seq(IRS + 1 + offset).ack(ISS + 1).payload(new byte[1024]).send();
      }
      assertEquals(0, h.last().window());
      h.takeSent();
      h.deliveredUnconsumed -= 100;
      h.connection.consumed(100, h.now);
      assertTrue(h.sent.isEmpty(), "RFC 9293 §3.8.6.2.2: 100 bytes are not worth an update");
      h.consumeAll();
      Sent update = h.last();
      assertEquals(8192, update.window());
      assertEquals(IRS + 1 + 8192, update.ack());
    }

    @Test
    void reportsBackpressureWhenTheSendBufferFills() {
      established(SETTINGS.withBuffers(8192, 4096));
      io.netty.buffer.ByteBuf data = io.netty.buffer.ByteBufAllocator.DEFAULT.buffer(5000);
      try {
        data.writeZero(5000);
        assertEquals(4096, h.connection.write(data, h.now));
        assertEquals(904, data.readableBytes());
      } finally {
        data.release();
      }
      assertEquals(List.of("writable=false"), h.events);
      h.segment().seq(IRS + 1).ack(ISS + 1 + 1000).send();
      assertEquals(List.of("writable=false"), h.events, "not yet half empty");
      h.segment().seq(IRS + 1).ack(ISS + 1 + 2048).send();
      assertEquals(List.of("writable=false", "writable=true"), h.events);
    }

    @Test
    void takesNoOriginBytesOnceClosed() {
      established(SETTINGS);
      h.segment().seq(IRS + 1).flags(FLAG_RST).send();
      io.netty.buffer.ByteBuf data = io.netty.buffer.ByteBufAllocator.DEFAULT.buffer(10);
      try {
        data.writeZero(10);
        assertEquals(0, h.connection.write(data, h.now));
      } finally {
        data.release();
      }
      assertEquals(SegmentResult.DROPPED_CLOSED, h.segment().seq(IRS + 1).ack(ISS + 1).send());
    }

    @Test
    void challengesAnInWindowResetThatIsNotExact() {
      established(SETTINGS);
      assertEquals(SegmentResult.CHALLENGE_ACK_SENT,
          h.segment().seq(IRS + 50).flags(FLAG_RST).send());
      assertEquals(FLAG_ACK, h.last().flags());
      assertEquals(IRS + 1, h.last().ack());
      assertEquals(TcpState.ESTABLISHED, h.connection.state());
    }

    @Test
    void dropsAResetOutsideTheWindowSilently() {
      established(SETTINGS);
      assertEquals(SegmentResult.DROPPED_RST_OUT_OF_WINDOW,
          h.segment().seq(IRS + 1 + 300_000).flags(FLAG_RST).send());
      assertTrue(h.sent.isEmpty());
    }

    @Test
    void challengesASynInASynchronizedState() {
      established(SETTINGS);
      assertEquals(SegmentResult.CHALLENGE_ACK_SENT,
          h.segment().seq(IRS + 10).flags(FLAG_SYN).send());
      assertEquals(IRS + 1, h.last().ack());
      assertEquals(TcpState.ESTABLISHED, h.connection.state());
    }

    @Test
    void answersAnAckOfUnsentDataWithAnAck() {
      established(SETTINGS);
      assertEquals(SegmentResult.DROPPED_BAD_ACK,
          h.segment().seq(IRS + 1).ack(ISS + 500).payload(new byte[5]).send());
      assertEquals(0, h.delivered.size());
      assertEquals(FLAG_ACK, h.last().flags());
    }

    @Test
    void dropsSegmentsWithoutAck() {
      established(SETTINGS);
      assertEquals(SegmentResult.DROPPED_NO_ACK,
          h.segment().seq(IRS + 1).payload(new byte[5]).send());
      assertEquals(0, h.delivered.size());
    }

    @Test
    void dropsOldTimestampsAndMeasuresRttFromEchoes() {
      h.open(SETTINGS, ISS, h.segment().seq(IRS).mss(MSS).timestamps(1000, 0)).accept(h.now);
      int ourTs = h.last().view().timestampValue();
      h.now += 40 * MS;
      h.segment().seq(IRS + 1).ack(ISS + 1).timestamps(1001, ourTs).send();
      assertEquals(SETTINGS.minRtoNanos(), h.connection.rtoNanos());
      h.originWrites(new byte[100]);
      int dataTs = h.last().view().timestampValue();
      assertEquals(1001, h.last().view().timestampEchoReply());
      h.now += 300 * MS;
      h.segment().seq(IRS + 1).ack(ISS + 101).timestamps(1002, dataTs).send();
      // 40 ms then 300 ms: SRTT = 40 + (300 - 40) / 8, RTTVAR = 3/4 * 20 + 1/4 * 260 = 80
      assertEquals((72_500_000L + 4 * 80_000_000L), h.connection.rtoNanos());
      assertEquals(SegmentResult.DROPPED_OLD_TIMESTAMP,
          h.segment().seq(IRS + 1).ack(ISS + 101).timestamps(999, dataTs)
              .payload(new byte[3]).send());
      assertEquals(0, h.delivered.size());
    }
  }

  @Nested
  class Closing {

    @Test
    void keepsSendingInCloseWaitThenClosesThroughLastAck() {
      established(SETTINGS);
      h.segment().seq(IRS + 1).ack(ISS + 1).flags(FLAG_FIN).send();
      assertEquals(TcpState.CLOSE_WAIT, h.connection.state());
      assertEquals(List.of("clientFinished"), h.events);
      assertEquals(IRS + 2, h.last().ack());

      h.originWrites(new byte[] {7, 7, 7});
      assertArrayEquals(new byte[] {7, 7, 7}, h.last().payload());
      h.connection.shutdownOutput(h.now);
      assertEquals(TcpState.LAST_ACK, h.connection.state());
      Sent fin = h.last();
      assertEquals(FLAG_ACK | FLAG_FIN, fin.flags());
      assertEquals(ISS + 4, fin.seq());
      h.segment().seq(IRS + 2).ack(ISS + 5).send();
      assertEquals(CloseCause.NORMAL, h.closedCause);
    }

    @Test
    void closesFirstThroughFinWaitAndTimeWait() {
      established(SETTINGS);
      h.connection.shutdownOutput(h.now);
      assertEquals(TcpState.FIN_WAIT_1, h.connection.state());
      assertEquals(FLAG_ACK | FLAG_FIN, h.last().flags());
      h.segment().seq(IRS + 1).ack(ISS + 2).send();
      assertEquals(TcpState.FIN_WAIT_2, h.connection.state());
      h.segment().seq(IRS + 1).ack(ISS + 2).payload(new byte[] {4}).send();
      assertEquals(1, h.delivered.size(), "the client may still send in FIN-WAIT-2");
      h.segment().seq(IRS + 2).ack(ISS + 2).flags(FLAG_FIN).send();
      assertEquals(TcpState.TIME_WAIT, h.connection.state());
      assertEquals(IRS + 3, h.last().ack());
      assertEquals(h.now + SETTINGS.timeWaitNanos(), h.connection.nextDeadlineNanos());
      h.advanceBy(SETTINGS.timeWaitNanos() - 1);
      assertEquals(TcpState.TIME_WAIT, h.connection.state());
      h.advanceBy(1);
      assertEquals(CloseCause.NORMAL, h.closedCause);
    }

    @Test
    void reacknowledgesARetransmittedFinInTimeWait() {
      established(SETTINGS);
      h.connection.shutdownOutput(h.now);
      h.segment().seq(IRS + 1).ack(ISS + 2).flags(FLAG_FIN).send();
      assertEquals(TcpState.TIME_WAIT, h.connection.state());
      h.takeSent();
      h.now += 1000 * MS;
      h.segment().seq(IRS + 1).ack(ISS + 2).flags(FLAG_FIN).send();
      assertEquals(IRS + 2, h.last().ack());
      assertEquals(h.now + SETTINGS.timeWaitNanos(), h.connection.nextDeadlineNanos());
    }

    @Test
    void closesSimultaneouslyThroughClosing() {
      established(SETTINGS);
      h.connection.shutdownOutput(h.now);
      h.segment().seq(IRS + 1).ack(ISS + 1).flags(FLAG_FIN).send();
      assertEquals(TcpState.CLOSING, h.connection.state());
      h.segment().seq(IRS + 2).ack(ISS + 2).send();
      assertEquals(TcpState.TIME_WAIT, h.connection.state());
    }

    @Test
    void sendsFinWithTheLastQueuedBytes() {
      established(SETTINGS);
      h.segment().seq(IRS + 1).ack(ISS + 1).window(1000).send();
      h.originWrites(new byte[1500]);
      h.connection.shutdownOutput(h.now);
      assertFalse(h.last().view().isFin(), "500 bytes still wait for the window");
      h.segment().seq(IRS + 1).ack(ISS + 1001).window(1000).send();
      assertEquals(FLAG_ACK | FLAG_PSH | FLAG_FIN, h.last().flags());
      assertEquals(500, h.last().payloadLength());
    }

    @Test
    void retransmitsALostFin() {
      established(SETTINGS);
      h.connection.shutdownOutput(h.now);
      h.takeSent();
      h.advanceBy(h.connection.rtoNanos());
      assertEquals(FLAG_ACK | FLAG_FIN, h.last().flags());
      assertEquals(ISS + 1, h.last().seq());
    }

    @Test
    void takesAFinThatArrivesBeforeTheLastBytes() {
      established(SETTINGS);
      h.segment().seq(IRS + 11).ack(ISS + 1).flags(FLAG_FIN).payload(new byte[5]).send();
      assertEquals(TcpState.ESTABLISHED, h.connection.state());
      h.segment().seq(IRS + 1).ack(ISS + 1).payload(new byte[10]).send();
      assertEquals(TcpState.CLOSE_WAIT, h.connection.state());
      assertEquals(15, h.delivered.size());
      assertEquals(IRS + 17, h.last().ack());
    }

    @ParameterizedTest
    @EnumSource(value = TcpState.class, names = {"ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2",
        "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT"})
    void closesOnAnExactResetInEveryState(TcpState target) {
      established(SETTINGS);
      int rcvNxt = driveTo(target);
      assertEquals(target, h.connection.state());
      assertEquals(SegmentResult.RESET, h.segment().seq(rcvNxt).flags(FLAG_RST).send());
      assertEquals(CloseCause.RESET_BY_CLIENT, h.closedCause);
    }

    @ParameterizedTest
    @EnumSource(value = TcpState.class, names = {"ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2",
        "CLOSE_WAIT", "CLOSING", "LAST_ACK"})
    void abortSendsResetInEveryState(TcpState target) {
      established(SETTINGS);
      driveTo(target);
      h.connection.abort();
      assertEquals(FLAG_RST, h.last().flags());
      assertEquals(CloseCause.ABORTED, h.closedCause);
    }

    /** Drives an ESTABLISHED connection to {@code target}; returns RCV.NXT. */
    private int driveTo(TcpState target) {
      switch (target) {
        case ESTABLISHED -> {
          return IRS + 1;
        }
        case FIN_WAIT_1 -> h.connection.shutdownOutput(h.now);
        case FIN_WAIT_2 -> {
          h.connection.shutdownOutput(h.now);
          h.segment().seq(IRS + 1).ack(ISS + 2).send();
        }
        case CLOSE_WAIT -> {
          h.segment().seq(IRS + 1).ack(ISS + 1).flags(FLAG_FIN).send();
          return IRS + 2;
        }
        case CLOSING -> {
          h.connection.shutdownOutput(h.now);
          h.segment().seq(IRS + 1).ack(ISS + 1).flags(FLAG_FIN).send();
          return IRS + 2;
        }
        case LAST_ACK -> {
          h.segment().seq(IRS + 1).ack(ISS + 1).flags(FLAG_FIN).send();
          h.connection.shutdownOutput(h.now);
          return IRS + 2;
        }
        case TIME_WAIT -> {
          h.connection.shutdownOutput(h.now);
          h.segment().seq(IRS + 1).ack(ISS + 2).flags(FLAG_FIN).send();
          return IRS + 2;
        }
        default -> throw new IllegalArgumentException(target.toString());
      }
      return IRS + 1;
    }
  }

  @Nested
  class WrapAround {

    @Test
    void transfersBothWaysAcrossSequenceNumber2To32() {
      int irs = 0xFFFF_FE00;
      int iss = 0xFFFF_FF00;
      h.open(SETTINGS, iss, h.segment().seq(irs).mss(MSS)).accept(h.now);
      h.segment().seq(irs + 1).ack(iss + 1).send();
      byte[] up = Harness.bytes(3000, 11);
      for (int offset = 0; offset < up.length; offset += 1000) {
        h.segment().seq(irs + 1 + offset).ack(iss + 1)
            .payload(Arrays.copyOfRange(up, offset, offset + 1000)).send();
      }
      assertArrayEquals(up, h.delivered.toByteArray());
      assertEquals(irs + 3001, h.last().ack());
      assertEquals(0x0000_0BB9 - 0x200 + 0x0, h.last().ack() - 0, "wrapped past zero");

      h.takeSent();
      byte[] down = Harness.bytes(3000, 12);
      h.originWrites(down);
      List<Sent> sent = h.takeSent();
      java.io.ByteArrayOutputStream received = new java.io.ByteArrayOutputStream();
      sent.forEach(s -> received.writeBytes(s.payload()));
      assertArrayEquals(down, received.toByteArray());
      h.segment().seq(irs + 3001).ack(iss + 1 + 3000).send();
      assertEquals(iss + 3001, h.connection.sndUna());
      assertEquals(TcpConnection.NO_DEADLINE, h.connection.nextDeadlineNanos());
    }
  }
}
