package dev.gatehouse.core.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.tcp.CongestionControl.AckAction;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The engine's parts on their own: NewReno, the RTO estimator, the reassembly ring. */
class CongestionAndTimersTest {

  private static final long MS = 1_000_000L;

  @Nested
  class NewRenoWindow {

    private final NewReno reno = new NewReno(1000, 0);

    @Test
    void startsWithTheRfc6928InitialWindow() {
      assertEquals(10_000, reno.windowBytes(), "10 segments of 1000 bytes");
      assertEquals(14_600, new NewReno(1460, 0).windowBytes(), "capped at 14600 bytes");
    }

    @Test
    void growsBySegmentsInSlowStartAndSlowlyInCongestionAvoidance() {
      assertEquals(AckAction.NONE, reno.onNewAck(1000, 1001, 10_000));
      assertEquals(11_000, reno.windowBytes());
      reno.onNewAck(5000, 6001, 10_000);
      assertEquals(12_000, reno.windowBytes(), "RFC 5681 eq. 2: at most one SMSS per ACK");

      reno.onRetransmissionTimeout(20_000, 20_000);
      assertEquals(1000, reno.windowBytes(), "RFC 5681 §3.1: the loss window");
      assertEquals(10_000, reno.ssthreshBytes(), "RFC 5681 eq. 4: FlightSize / 2");
      for (int i = 0; i < 9; i++) {
        reno.onNewAck(1000, 0, 0);
      }
      assertEquals(10_000, reno.windowBytes());
      reno.onNewAck(1000, 0, 0);
      assertEquals(10_100, reno.windowBytes(), "RFC 5681 eq. 3: SMSS * SMSS / cwnd");
    }

    @Test
    void entersFastRecoveryOnTheThirdDuplicateAndLeavesOnAFullAck() {
      assertEquals(AckAction.NONE, reno.onDuplicateAck(1, 8001, 8000));
      assertEquals(AckAction.NONE, reno.onDuplicateAck(1, 8001, 8000));
      assertEquals(AckAction.RETRANSMIT_FIRST_UNACKED, reno.onDuplicateAck(1, 8001, 8000));
      assertTrue(reno.inRecovery());
      assertEquals(4000 + 3000, reno.windowBytes());
      reno.onDuplicateAck(1, 8001, 8000);
      assertEquals(8000, reno.windowBytes(), "inflated by one SMSS per further duplicate");

      assertEquals(AckAction.RETRANSMIT_FIRST_UNACKED, reno.onNewAck(2000, 2001, 8000));
      assertEquals(AckAction.RETRANSMIT_FIRST_UNACKED_KEEP_TIMER,
          reno.onNewAck(2000, 4001, 6000), "RFC 6582: only the first partial ACK resets");
      assertEquals(AckAction.NONE, reno.onNewAck(4000, 8001, 4000));
      assertFalse(reno.inRecovery());
      assertEquals(2000, reno.windowBytes(),
          "RFC 6582 §3.2 step 3 (1): min(ssthresh, max(FlightSize, SMSS) + SMSS), none in flight");
    }

    @Test
    void ignoresDuplicatesFromBeforeTheLastTimeout() {
      reno.onRetransmissionTimeout(8001, 8000);
      for (int i = 0; i < 3; i++) {
        assertEquals(AckAction.NONE, reno.onDuplicateAck(1, 8001, 8000));
      }
      assertFalse(reno.inRecovery(), "RFC 6582 §4: ACK below recover");
    }
  }

  @Nested
  class RetransmissionTimeout {

    private final RttEstimator rtt = new RttEstimator(1000 * MS, 200 * MS, 60_000 * MS);

    @Test
    void followsRfc6298FromTheFirstSample() {
      assertEquals(1000 * MS, rtt.rtoNanos());
      rtt.onSample(100 * MS);
      assertEquals(300 * MS, rtt.rtoNanos(), "SRTT + 4 * RTTVAR = 100 + 4 * 50");
      rtt.onSample(100 * MS);
      assertEquals(100 * MS + 4 * 37_500_000L, rtt.rtoNanos(), "RTTVAR = 3/4 * 50 + 0");
    }

    @Test
    void backsOffUpToTheMaximumAndRespectsTheMinimum() {
      rtt.onSample(1 * MS);
      assertEquals(200 * MS, rtt.rtoNanos());
      rtt.backOff();
      assertEquals(400 * MS, rtt.rtoNanos());
      for (int i = 0; i < 20; i++) {
        rtt.backOff();
      }
      assertEquals(60_000 * MS, rtt.rtoNanos());
      rtt.onSample(1 * MS);
      assertEquals(200 * MS, rtt.rtoNanos(), "a new sample clears the backoff");
    }
  }

  @Nested
  class ReassemblyRing {

    private final Reassembly reassembly = new Reassembly(ByteBufAllocator.DEFAULT, 16);

    @Test
    void joinsHolesAcrossTheEndOfTheRing() {
      try {
        insert(100, 110, "klmn");
        assertEquals(0, reassembly.readableAt(100));
        insert(100, 100, "abcdefghij");
        assertEquals(14, reassembly.readableAt(100));
        assertEquals("abcdefghijklmn", take(14));
        assertTrue(reassembly.isEmpty());

        insert(114, 120, "UVWXYZ");
        insert(114, 117, "RST");
        insert(114, 114, "OPQ");
        assertEquals(12, reassembly.readableAt(114));
        assertEquals("OPQRSTUVWXYZ", take(12), "bytes that wrapped the 16-byte ring");
      } finally {
        reassembly.release();
      }
    }

    @Test
    void refusesSegmentsThatWouldNeedTooManyHoles() {
      Reassembly wide = new Reassembly(ByteBufAllocator.DEFAULT, 1000);
      try {
        ByteBuf one = Unpooled.wrappedBuffer(new byte[] {1});
        for (int i = 0; i < Reassembly.MAX_RANGES; i++) {
          assertTrue(wide.insert(0, 2 + 2 * i, one, 0, 1));
        }
        assertFalse(wide.insert(0, 2 + 2 * Reassembly.MAX_RANGES, one, 0, 1));
        assertTrue(wide.insert(0, 3, one, 0, 1), "joining two ranges needs no new one");
        assertEquals(Reassembly.MAX_RANGES - 1, wide.rangeCount());
      } finally {
        wide.release();
      }
    }

    private void insert(int rcvNxt, int seq, String text) {
      ByteBuf source = Unpooled.wrappedBuffer(text.getBytes(StandardCharsets.US_ASCII));
      assertTrue(reassembly.insert(rcvNxt, seq, source, 0, text.length()));
    }

    private String take(int length) {
      ByteBuf taken = reassembly.take(length);
      try {
        return new String(ByteBufUtil.getBytes(taken), StandardCharsets.US_ASCII);
      } finally {
        taken.release();
      }
    }
  }

}
