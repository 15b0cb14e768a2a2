package dev.gatehouse.core.tcp;

import static dev.gatehouse.core.wire.TcpSegment.FLAG_ACK;
import static dev.gatehouse.core.wire.TcpSegment.FLAG_FIN;
import static dev.gatehouse.core.wire.TcpSegment.FLAG_PSH;
import static dev.gatehouse.core.wire.TcpSegment.FLAG_RST;
import static dev.gatehouse.core.wire.TcpSegment.FLAG_SYN;

import dev.gatehouse.core.tcp.CongestionControl.AckAction;
import dev.gatehouse.core.wire.TcpSegment;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * One client's TCP connection, terminated by Gatehouse in user space: a pure state machine.
 * Client segments, origin bytes and the time go in; segments for the client, bytes for the
 * origin and close events come out through {@link TcpOutput}. No threads, no clock, no
 * channel: every call that may send takes {@code nowNanos}, and the owner asks {@link
 * #nextDeadlineNanos()} when to call {@link #onTimer}.
 *
 * <p>The RFCs a reader needs:
 *
 * <ul>
 *   <li>RFC 9293, TCP: states (§3.3.2), sequence numbers (§3.4), window management (§3.8.6),
 *       event processing (§3.10), the segment-arrival steps implemented by {@link #onSegment}
 *       (§3.10.7.4)
 *   <li>RFC 7323: window scale (§2), timestamps and RTTM (§3, §4), PAWS (§5)
 *   <li>RFC 2018: SACK-Permitted and SACK blocks, both directions
 *   <li>RFC 6298: the retransmission timer; RFC 5681 and RFC 6582: NewReno congestion
 *       control (see {@link NewReno}); RFC 6928: the initial window
 *   <li>RFC 6528: initial sequence numbers (see {@link IsnGenerator}); RFC 6691: what the
 *       MSS counts
 *   <li>RFC 5961: challenge ACKs for in-window RST and for SYN, ACK range check
 * </ul>
 *
 * <p><b>Gatehouse's handshake.</b> A connection starts from the client's SYN in {@link
 * TcpState#SYN_HELD}: nothing is answered while the owner dials the origin; SYN
 * retransmissions are absorbed. {@link #accept} sends the SYN-ACK once the origin answered,
 * {@link #refuse} answers RST when it refused or the dial timed out.
 *
 * <p><b>Threading.</b> Single-threaded by contract: all calls come from the flow's event loop,
 * and a {@link TcpOutput} callback must not call back into this connection.
 *
 * <p><b>Memory.</b> Bounded per connection, worst case: {@code sendBufferBytes} of origin
 * bytes not yet acknowledged, plus a ring of {@code receiveBufferBytes} for out-of-order
 * client bytes (allocated on the first hole), plus the delivered bytes the origin has not
 * consumed, which the owner holds and which are never more than {@code receiveBufferBytes}
 * because the advertised window excludes them. Fixed-size tables (SACK scoreboard, holes)
 * add under 1 KiB.
 *
 * <p><b>Choices</b>, each where it is decided below: every ACK is sent at once (no delayed
 * ACK, RFC 9293 §3.8.6.3 allows it; costs packets, never latency); no Nagle (a proxy relays
 * what the origin wrote as soon as it can); our FIN is sent even into a zero window; urgent
 * data is delivered inline as ordinary bytes (RFC 6093 §4 discourages its use).
 */
public final class TcpConnection {

  /** No deadline: {@link #nextDeadlineNanos()} when no timer runs. */
  public static final long NO_DEADLINE = Long.MAX_VALUE;

  /** RFC 7323 §5.4: timestamps tick between 1 ms and 1 s; ours tick every millisecond. */
  private static final long TIMESTAMP_TICK_NANOS = 1_000_000;
  /** Like Linux's TCP_MIN_SND_MSS: a peer's absurdly small MSS is raised to this. */
  private static final int MIN_SEND_MSS_BYTES = 48;
  /** Timestamps option with its two NOPs, as we send it. */
  private static final int TIMESTAMPS_OPTION_BYTES = 12;

  private final TcpSettings settings;
  private final TcpOutput output;
  private final ByteBufAllocator allocator;
  private final SegmentFields fields = new SegmentFields();
  private final RttEstimator rtt;
  private final CongestionControl congestion;
  private final SackScoreboard scoreboard = new SackScoreboard();
  private final Reassembly reassembly;
  private final SendBuffer sendBuffer;

  private TcpState state = TcpState.SYN_HELD;

  // RFC 9293 §3.3.1 send sequence variables; sndMax (from BSD) is the highest sequence number
  // sent, since sndNxt goes back to sndUna after a retransmission timeout
  private final int iss;
  private int sndUna;
  private int sndNxt;
  private int sndMax;
  private int sndWnd;
  private int sndWl1;
  private int sndWl2;
  private int maxSndWnd;
  private final int sndWndShift;

  // RFC 9293 §3.3.1 receive sequence variables; the window is derived from the buffer
  private final int irs;
  private int rcvNxt;
  /** RCV.NXT + RCV.WND as last advertised; never moves left (RFC 9293 §3.8.6.2.2). */
  private int rcvAdvertisedEdge;
  private final int rcvWndShift;
  private int unconsumedBytes;
  private final int synLengthBytes;

  // options negotiated on the SYN
  private final boolean windowScaleOffered;
  private final boolean sackPermitted;
  private final boolean timestampsEnabled;
  private final int sendMssBytes;
  private int tsRecent;
  private int lastAckSent;

  // FINs
  private boolean finQueued;
  private boolean finSent;
  private int finSeq;
  private boolean clientFinPending;
  private int clientFinSeq;

  // timers (RFC 6298 retransmission, RFC 9293 §3.8.6.1 persist, §3.10.8 TIME-WAIT)
  private long rtoDeadlineNanos = NO_DEADLINE;
  private long persistDeadlineNanos = NO_DEADLINE;
  private long timeWaitDeadlineNanos = NO_DEADLINE;
  private int retransmissions;
  private boolean persisting;
  private int persistProbes;
  private long synAckSentNanos;

  // Karn's algorithm (RFC 6298 §3) when timestamps are off: one timed segment at a time
  private boolean rttTiming;
  private int rttSeq;
  private long rttStartNanos;

  private boolean writable = true;
  private boolean ackPending;

  private TcpConnection(TcpSegment syn, int iss, TcpSettings settings, TcpOutput output,
      ByteBufAllocator allocator) {
    this.settings = settings;
    this.output = output;
    this.allocator = allocator;
    this.iss = iss;
    this.irs = syn.sequenceNumber();

    // RFC 7323 §2.2: scale only if the client offered it; its shift counts above 14 read as 14
    this.windowScaleOffered = syn.windowScale() >= 0;
    this.sndWndShift = windowScaleOffered
        ? Math.min(syn.windowScale(), TcpSettings.MAX_WINDOW_SHIFT) : 0;
    this.rcvWndShift = windowScaleOffered ? shiftFor(settings.receiveBufferBytes()) : 0;
    this.sackPermitted = syn.sackPermitted();
    this.timestampsEnabled = syn.hasTimestamps();
    this.tsRecent = timestampsEnabled ? syn.timestampValue() : 0;

    // RFC 6691 §2: the MSS counts data only, so options we always send come off it;
    // RFC 9293 §3.7.1: 536 without an option (1220 over IPv6, RFC 8200 §5)
    int peerMss = syn.mss() > 0 ? syn.mss() : settings.defaultPeerMssBytes();
    int mss = Math.min(peerMss, settings.mssBytes())
        - (timestampsEnabled ? TIMESTAMPS_OPTION_BYTES : 0);
    this.sendMssBytes = Math.max(mss, MIN_SEND_MSS_BYTES);

    this.synLengthBytes = 1 + syn.payloadLengthBytes() + (syn.isFin() ? 1 : 0);
    this.rcvNxt = irs + 1;
    this.rcvAdvertisedEdge = rcvNxt;
    this.sndUna = iss;
    this.sndNxt = iss;
    this.sndMax = iss;
    this.sndWnd = syn.window(); // RFC 7323 §2.2: a SYN's window is never scaled
    this.maxSndWnd = sndWnd;
    this.rtt = new RttEstimator(
        settings.initialRtoNanos(), settings.minRtoNanos(), settings.maxRtoNanos());
    this.congestion = new NewReno(sendMssBytes, iss);
    this.reassembly = new Reassembly(allocator, settings.receiveBufferBytes());
    this.sendBuffer = new SendBuffer(allocator, settings.sendBufferBytes(), iss + 1);
  }

  /**
   * Whether {@code segment} opens a connection: SYN without ACK, RST or FIN. The owner creates
   * a connection only for these; anything else for an unknown flow is the owner's to answer.
   */
  public static boolean isConnectionRequest(TcpSegment segment) {
    return segment.isSyn() && !segment.isAck() && !segment.isRst() && !segment.isFin();
  }

  /**
   * A connection for a client SYN, held unanswered in {@link TcpState#SYN_HELD}. Data in the
   * SYN is not taken (nor acknowledged): the client sends it again after the handshake.
   *
   * @param syn the client's SYN, a {@link #isConnectionRequest connection request}
   * @param iss our initial sequence number, from {@link IsnGenerator} (the owner knows the
   *     addresses this engine never sees)
   * @param allocator for delivered bytes and the per-connection buffers
   * @throws IllegalArgumentException if {@code syn} is not a connection request
   */
  public static TcpConnection fromSyn(TcpSegment syn, int iss, TcpSettings settings,
      TcpOutput output, ByteBufAllocator allocator) {
    if (!isConnectionRequest(syn)) {
      throw new IllegalArgumentException(
          "expected a SYN without ACK, RST or FIN, got flags 0x"
              + Integer.toHexString(syn.flags()));
    }
    return new TcpConnection(syn, iss, settings, output, allocator);
  }

  /** RFC 7323 §2.3: the smallest shift that lets the 16-bit field say the whole buffer. */
  private static int shiftFor(int bufferBytes) {
    int shift = 0;
    while (shift < TcpSettings.MAX_WINDOW_SHIFT
        && bufferBytes >> shift > TcpSettings.MAX_WINDOW_FIELD) {
      shift++;
    }
    return shift;
  }

  // ---------------------------------------------------------------------------------------
  // the owner's decisions on the held SYN

  /** The origin connected: answer the held SYN with SYN-ACK (→ SYN-RECEIVED). */
  public void accept(long nowNanos) {
    requireState(TcpState.SYN_HELD, "accept");
    state = TcpState.SYN_RECEIVED;
    sendSynAck(nowNanos);
    sndNxt = iss + 1;
    sndMax = sndNxt;
    updateTimers(nowNanos);
  }

  /**
   * The origin refused, or the dial timed out: answer the held SYN with RST and close.
   * RFC 9293 §3.10.7.1: {@code <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>}, since the SYN
   * carried no ACK.
   */
  public void refuse(long nowNanos) {
    requireState(TcpState.SYN_HELD, "refuse");
    sendReset(0, irs + synLengthBytes, true);
    close(CloseCause.REFUSED);
  }

  /**
   * Ends the connection at once (RFC 9293 §3.10.5 ABORT): RST {@code <SEQ=SND.NXT>} in
   * every synchronized state but TIME-WAIT, which RFC 9293 closes silently (we use the
   * highest sequence number sent, which the client expects after a go-back); RST,ACK in
   * SYN-RECEIVED; the held SYN is refused. Nothing happens once CLOSED.
   */
  public void abort() {
    switch (state) {
      case CLOSED -> {
        return;
      }
      case SYN_HELD -> sendReset(0, irs + synLengthBytes, true);
      // with ACK: a client still in SYN-SENT (our SYN-ACK lost) accepts only an RST that
      // acknowledges its SYN (RFC 9293 §3.10.7.3)
      case SYN_RECEIVED -> sendReset(iss + 1, rcvNxt, true);
      case TIME_WAIT -> {
        // RFC 9293 §3.10.5: no reset in TIME-WAIT
      }
      default -> sendReset(sndMax, 0, false);
    }
    close(CloseCause.ABORTED);
  }

  // ---------------------------------------------------------------------------------------
  // origin side

  /**
   * Queues origin bytes for the client, copying as many as the send buffer has room for and
   * advancing {@code data}'s reader index past them; {@code data} stays the caller's. Returns
   * the bytes taken: fewer than offered means the buffer is full, and {@link
   * TcpOutput#writable}(false) was reported; offer the rest after writable(true). Returns 0
   * once CLOSED. Bytes queued in SYN-RECEIVED go out when the handshake completes.
   *
   * @throws IllegalStateException before {@link #accept} or after {@link #shutdownOutput}
   */
  public int write(ByteBuf data, long nowNanos) {
    if (state == TcpState.CLOSED || state == TcpState.TIME_WAIT) {
      return 0;
    }
    if (state == TcpState.SYN_HELD || finQueued) {
      throw new IllegalStateException("write in " + state + (finQueued ? " after shutdown" : ""));
    }
    int accepted = sendBuffer.append(data);
    trySend(nowNanos);
    if (sendBuffer.freeBytes() == 0 && writable) {
      writable = false;
      output.writable(false);
    }
    updateTimers(nowNanos);
    return accepted;
  }

  /**
   * The origin closed its side: send FIN after the queued bytes (RFC 9293 §3.10.4 CLOSE:
   * ESTABLISHED → FIN-WAIT-1, CLOSE-WAIT → LAST-ACK; from SYN-RECEIVED the FIN waits for
   * ESTABLISHED). Repeated calls and calls after CLOSED do nothing.
   */
  public void shutdownOutput(long nowNanos) {
    if (finQueued || state == TcpState.CLOSED || state == TcpState.SYN_HELD) {
      return;
    }
    finQueued = true;
    if (state == TcpState.ESTABLISHED) {
      state = TcpState.FIN_WAIT_1;
    } else if (state == TcpState.CLOSE_WAIT) {
      state = TcpState.LAST_ACK;
    }
    trySend(nowNanos);
    updateTimers(nowNanos);
  }

  /**
   * The origin took {@code bytes} of what {@link TcpOutput#deliver} handed over: the receive
   * window reopens by that much. A window update is sent only when the window grew by at least
   * min(receive buffer / 2, MSS) (receiver SWS avoidance, RFC 9293 §3.8.6.2.2).
   *
   * @throws IllegalArgumentException if more bytes are returned than were delivered
   */
  public void consumed(int bytes, long nowNanos) {
    if (bytes < 0 || bytes > unconsumedBytes) {
      throw new IllegalArgumentException("consumed " + bytes + " bytes, but only "
          + unconsumedBytes + " are delivered and not consumed");
    }
    unconsumedBytes -= bytes;
    if (receivesData() && windowGrowthIsWorthAnUpdate()) {
      sendAck(nowNanos);
    }
  }

  private boolean receivesData() {
    return state == TcpState.SYN_RECEIVED || state.receivesText();
  }

  private boolean windowGrowthIsWorthAnUpdate() {
    int advertised = Math.max(rcvAdvertisedEdge - rcvNxt, 0);
    int threshold = Math.min(settings.receiveBufferBytes() / 2, settings.mssBytes());
    return receiveWindowBytes() - advertised >= threshold;
  }

  // ---------------------------------------------------------------------------------------
  // segment arrival, RFC 9293 §3.10.7.4

  /**
   * Processes one segment from the client of this flow; the owner checked checksum, addresses
   * and ports. Never throws on what the segment holds: a segment that makes no sense is
   * dropped and the result says why.
   */
  public SegmentResult onSegment(TcpSegment segment, long nowNanos) {
    SegmentResult result = switch (state) {
      case CLOSED -> SegmentResult.DROPPED_CLOSED;
      case SYN_HELD -> onSegmentWhileHeld(segment);
      default -> onSegmentSynchronizing(segment, nowNanos);
    };
    if (state != TcpState.CLOSED) {
      updateTimers(nowNanos);
    }
    return result;
  }

  // TODO(#11): a client SYN with another ISN while held (the client restarted) is dropped;
  // it is answered once the origin is, and the client resets the stale connection
  private SegmentResult onSegmentWhileHeld(TcpSegment segment) {
    if (isConnectionRequest(segment) && segment.sequenceNumber() == irs) {
      // the client's SYN timer fired; it will get its answer when the origin answers ours
      return SegmentResult.ABSORBED_HELD_SYN;
    }
    if (segment.isRst() && segment.sequenceNumber() == irs + 1) {
      close(CloseCause.RESET_BY_CLIENT);
      return SegmentResult.RESET;
    }
    return SegmentResult.DROPPED_WHILE_HELD;
  }

  private SegmentResult onSegmentSynchronizing(TcpSegment segment, long nowNanos) {
    int seq = segment.sequenceNumber();

    // a retransmitted SYN: our SYN-ACK was lost, send it again
    if (state == TcpState.SYN_RECEIVED && isConnectionRequest(segment) && seq == irs) {
      sendSynAck(nowNanos);
      return SegmentResult.SYN_ACK_RESENT;
    }

    // second (checked first, RFC 5961 §3.2 replaces the RST rules): exact RST resets,
    // in-window RST gets a challenge ACK, any other RST is dropped
    if (segment.isRst()) {
      return onReset(seq, nowNanos);
    }

    // first: sequence number check, after PAWS (RFC 7323 §5.3 R1)
    if (timestampsEnabled && segment.hasTimestamps()
        && SeqNum.lt(segment.timestampValue(), tsRecent)) {
      sendAck(nowNanos);
      return SegmentResult.DROPPED_OLD_TIMESTAMP;
    }
    if (!isAcceptable(seq, segmentLength(segment))) {
      // TIME-WAIT: a retransmitted FIN restarts the 2*MSL timer (RFC 9293 §3.10.7.4, eighth)
      if (state == TcpState.TIME_WAIT && segment.isFin()) {
        timeWaitDeadlineNanos = nowNanos + settings.timeWaitNanos();
      }
      sendAck(nowNanos);
      return SegmentResult.DROPPED_OUT_OF_WINDOW;
    }
    // RFC 7323 §4.3 (2): remember the timestamp of a segment that covers Last.ACK.sent.
    // TODO(#11): PAWS ignores the 24-day idle rule of RFC 7323 §5.5; segments without a
    // timestamp are accepted (as Linux does) where RFC 7323 §3.2 says SHOULD drop
    if (timestampsEnabled && segment.hasTimestamps() && SeqNum.le(seq, lastAckSent)) {
      tsRecent = segment.timestampValue();
    }

    // fourth: SYN in a synchronized state, RFC 5961 §4: challenge ACK whatever its number
    if (segment.isSyn()) {
      sendAck(nowNanos);
      return SegmentResult.CHALLENGE_ACK_SENT;
    }

    // fifth: ACK
    if (!segment.isAck()) {
      return SegmentResult.DROPPED_NO_ACK;
    }
    if (state == TcpState.SYN_RECEIVED) {
      SegmentResult handshake = completeHandshake(segment, nowNanos);
      if (handshake != SegmentResult.ACCEPTED) {
        return handshake;
      }
    }
    SegmentResult ack = onAck(segment, nowNanos);
    if (ack != SegmentResult.ACCEPTED || state == TcpState.CLOSED) {
      return ack;
    }

    // sixth (URG) is not special: urgent bytes go inline. seventh and eighth: text and FIN
    SegmentResult text = state.receivesText()
        ? onText(segment, nowNanos) : SegmentResult.ACCEPTED;
    if (segment.isFin() && state.receivesText()) {
      noteClientFin(segment);
    }
    processClientFin(nowNanos);

    trySend(nowNanos);
    if (ackPending) {
      sendAck(nowNanos);
    }
    return text;
  }

  private static int segmentLength(TcpSegment segment) {
    // RFC 9293 §3.4: SEG.LEN counts SYN and FIN
    return segment.payloadLengthBytes() + (segment.isSyn() ? 1 : 0) + (segment.isFin() ? 1 : 0);
  }

  /** RFC 9293 §3.10.7.4, first: the four cases of the acceptability test. */
  private boolean isAcceptable(int seq, int length) {
    int windowEnd = SeqNum.max(rcvAdvertisedEdge, rcvNxt);
    if (windowEnd == rcvNxt) {
      return length == 0 && seq == rcvNxt;
    }
    if (length == 0) {
      return SeqNum.inWindow(seq, rcvNxt, windowEnd);
    }
    return SeqNum.inWindow(seq, rcvNxt, windowEnd)
        || SeqNum.inWindow(seq + length - 1, rcvNxt, windowEnd);
  }

  private SegmentResult onReset(int seq, long nowNanos) {
    if (seq == rcvNxt) {
      // RFC 9293 §3.10.7.4, second: from SYN-RECEIVED (passive) or any synchronized state
      close(CloseCause.RESET_BY_CLIENT);
      return SegmentResult.RESET;
    }
    int windowEnd = SeqNum.max(rcvAdvertisedEdge, rcvNxt + 1);
    if (SeqNum.inWindow(seq, rcvNxt, windowEnd)) {
      // RFC 5961 §3.2: a blind attacker rarely hits RCV.NXT exactly; a real peer answers
      // the challenge ACK with an exact RST
      // TODO(#11): rate-limit challenge ACKs (RFC 5961 §7)
      sendAck(nowNanos);
      return SegmentResult.CHALLENGE_ACK_SENT;
    }
    return SegmentResult.DROPPED_RST_OUT_OF_WINDOW;
  }

  /** SYN-RECEIVED: an ACK of our SYN moves to ESTABLISHED; any other ACK is answered by RST. */
  private SegmentResult completeHandshake(TcpSegment segment, long nowNanos) {
    int ack = segment.acknowledgmentNumber();
    if (ack != iss + 1) {
      // RFC 9293 §3.10.7.4, fifth, SYN-RECEIVED: <SEQ=SEG.ACK><CTL=RST>
      sendReset(ack, 0, false);
      return SegmentResult.DROPPED_BAD_ACK;
    }
    if (retransmissions == 0) {
      // RFC 6298 §3 (Karn): only a SYN-ACK that was sent once gives a sample
      rtt.onSample(nowNanos - synAckSentNanos);
    }
    retransmissions = 0;
    sndUna = ack;
    sndWnd = segment.window() << sndWndShift;
    maxSndWnd = sndWnd;
    sndWl1 = segment.sequenceNumber();
    sndWl2 = ack;
    state = finQueued ? TcpState.FIN_WAIT_1 : TcpState.ESTABLISHED;
    rtoDeadlineNanos = NO_DEADLINE;
    return SegmentResult.ACCEPTED;
  }

  private SegmentResult onAck(TcpSegment segment, long nowNanos) {
    int ack = segment.acknowledgmentNumber();
    if (SeqNum.gt(ack, sndMax) || SeqNum.lt(ack, sndUna - maxSndWnd)) {
      // RFC 9293 §3.10.7.4, fifth: ack of something not sent; RFC 5961 §5.2: far too old
      sendAck(nowNanos);
      return SegmentResult.DROPPED_BAD_ACK;
    }
    persistProbes = 0;
    if (sackPermitted) {
      scoreboard.addBlocks(segment, ack, sndMax);
    }

    int windowBefore = sndWnd;
    boolean windowUpdate = updateSendWindow(segment, ack);
    if (SeqNum.gt(ack, sndUna)) {
      onNewAck(segment, ack, nowNanos);
    } else if (ack == sndUna && isDuplicateAck(segment, windowBefore, windowUpdate)) {
      // TODO(#10): SACK-based loss recovery (RFC 6675, pipe) would resend every hole in one
      // round trip; NewReno resends one hole per partial ACK, skipping SACKed bytes
      int flight = sndMax - sndUna;
      if (congestion.onDuplicateAck(sndUna, sndMax, flight)
          != AckAction.NONE) {
        retransmitFirstUnacked(nowNanos);
        rtoDeadlineNanos = nowNanos + rtt.rtoNanos();
      }
    }

    onOurFinAcknowledged(nowNanos);
    return SegmentResult.ACCEPTED;
  }

  /** RFC 5681 §2: the definition of a duplicate acknowledgment. */
  private boolean isDuplicateAck(TcpSegment segment, int windowBefore, boolean windowUpdate) {
    return sndMax != sndUna
        && segment.payloadLengthBytes() == 0
        && !segment.isFin()
        && (!windowUpdate || sndWnd == windowBefore);
  }

  /** RFC 9293 §3.10.7.4, fifth: SND.WL1 and SND.WL2 keep old segments from moving SND.WND. */
  private boolean updateSendWindow(TcpSegment segment, int ack) {
    int seq = segment.sequenceNumber();
    if (SeqNum.lt(sndWl1, seq) || (sndWl1 == seq && SeqNum.le(sndWl2, ack))) {
      sndWnd = segment.window() << sndWndShift;
      maxSndWnd = Math.max(maxSndWnd, sndWnd);
      sndWl1 = seq;
      sndWl2 = ack;
      return true;
    }
    return false;
  }

  private void onNewAck(TcpSegment segment, int ack, long nowNanos) {
    int acked = ack - sndUna;
    int flight = sndMax - sndUna;
    takeRttSample(segment, ack, nowNanos);

    sndUna = ack;
    if (SeqNum.lt(sndNxt, sndUna)) {
      sndNxt = sndUna;
    }
    sendBuffer.acknowledgeTo(ack);
    scoreboard.acknowledge(ack);
    retransmissions = 0;

    AckAction action = congestion.onNewAck(acked, ack, flight);
    if (action != AckAction.NONE) {
      retransmitFirstUnacked(nowNanos);
    }
    // RFC 6582 §3.2 step 3: a partial ACK after the first one leaves the timer running
    boolean restartTimer = action != AckAction.RETRANSMIT_FIRST_UNACKED_KEEP_TIMER;
    // RFC 6298 (5.2) and (5.3)
    if (sndUna == sndMax) {
      rtoDeadlineNanos = NO_DEADLINE;
    } else if (restartTimer || rtoDeadlineNanos == NO_DEADLINE) {
      rtoDeadlineNanos = nowNanos + rtt.rtoNanos();
    }

    if (!writable && sendBuffer.freeBytes() >= sendBuffer.capacityBytes() / 2) {
      writable = true;
      output.writable(true);
    }
  }

  private void takeRttSample(TcpSegment segment, int ack, long nowNanos) {
    if (timestampsEnabled && segment.hasTimestamps()) {
      // RFC 7323 §4.1: TSecr of an ACK that advances SND.UNA times the segment it echoes
      int elapsedTicks = timestampClock(nowNanos) - segment.timestampEchoReply();
      if (elapsedTicks >= 0) {
        rtt.onSample(elapsedTicks * TIMESTAMP_TICK_NANOS);
      }
    } else if (rttTiming && SeqNum.ge(ack, rttSeq)) {
      rtt.onSample(nowNanos - rttStartNanos);
      rttTiming = false;
    }
  }

  private void onOurFinAcknowledged(long nowNanos) {
    if (!finSent || SeqNum.le(sndUna, finSeq)) {
      return;
    }
    switch (state) {
      // TODO(#11): no FIN-WAIT-2 timer (Linux tcp_fin_timeout); the flow's idle timeout
      // ends a client that never sends its FIN
      case FIN_WAIT_1 -> state = TcpState.FIN_WAIT_2;
      case CLOSING -> enterTimeWait(nowNanos);
      case LAST_ACK -> close(CloseCause.NORMAL);
      default -> {
        // FIN-WAIT-2 and TIME-WAIT: already known
      }
    }
  }

  /** Seventh: take the bytes inside the window, deliver what is in order. */
  private SegmentResult onText(TcpSegment segment, long nowNanos) {
    int seq = segment.sequenceNumber();
    int length = segment.payloadLengthBytes();
    int index = segment.payloadOffset();
    if (length == 0) {
      return SegmentResult.ACCEPTED;
    }
    ackPending = true;

    // trim what we already have and what lies beyond the window
    if (SeqNum.lt(seq, rcvNxt)) {
      int old = rcvNxt - seq;
      if (old >= length) {
        return SegmentResult.ACCEPTED;
      }
      index += old;
      length -= old;
      seq = rcvNxt;
    }
    int windowEnd = SeqNum.max(rcvAdvertisedEdge, rcvNxt);
    length = Math.min(length, windowEnd - seq);
    if (length <= 0) {
      return SegmentResult.ACCEPTED;
    }

    if (seq == rcvNxt && reassembly.isEmpty()) {
      ByteBuf data = allocator.buffer(length);
      data.writeBytes(segment.buffer(), index, length);
      deliver(data);
      return SegmentResult.ACCEPTED;
    }
    if (!reassembly.insert(rcvNxt, seq, segment.buffer(), index, length)) {
      return SegmentResult.DROPPED_REASSEMBLY_FULL;
    }
    for (int ready = reassembly.readableAt(rcvNxt); ready > 0;
        ready = reassembly.readableAt(rcvNxt)) {
      deliver(reassembly.take(ready));
    }
    return SegmentResult.ACCEPTED;
  }

  private void deliver(ByteBuf data) {
    int length = data.readableBytes();
    rcvNxt += length;
    unconsumedBytes += length;
    output.deliver(data);
  }

  private void noteClientFin(TcpSegment segment) {
    int fin = segment.sequenceNumber() + segment.payloadLengthBytes();
    // a FIN beyond the window is not taken (RFC 9293 §3.10.7.4, seventh: trimmed)
    if (SeqNum.le(fin, SeqNum.max(rcvAdvertisedEdge, rcvNxt)) && SeqNum.ge(fin, rcvNxt)) {
      clientFinPending = true;
      clientFinSeq = fin;
    }
  }

  /** Eighth: the client's FIN, once every byte before it is in. */
  private void processClientFin(long nowNanos) {
    if (!clientFinPending || rcvNxt != clientFinSeq) {
      return;
    }
    clientFinPending = false;
    rcvNxt++;
    ackPending = true;
    switch (state) {
      case ESTABLISHED -> state = TcpState.CLOSE_WAIT;
      case FIN_WAIT_1 -> {
        // our FIN acknowledged by this segment would have made this FIN-WAIT-2 already
        state = TcpState.CLOSING;
      }
      case FIN_WAIT_2 -> enterTimeWait(nowNanos);
      default -> {
        // not reached: only states that receive text note a FIN
      }
    }
    output.clientFinished();
  }

  private void enterTimeWait(long nowNanos) {
    state = TcpState.TIME_WAIT;
    rtoDeadlineNanos = NO_DEADLINE;
    persistDeadlineNanos = NO_DEADLINE;
    persisting = false;
    timeWaitDeadlineNanos = nowNanos + settings.timeWaitNanos();
  }

  // ---------------------------------------------------------------------------------------
  // sending

  private boolean sendsData() {
    return switch (state) {
      case ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK -> true;
      default -> false;
    };
  }

  /** Sends what the send window, the congestion window and sender SWS avoidance allow. */
  private void trySend(long nowNanos) {
    if (!sendsData()) {
      return;
    }
    while (true) {
      int dataEnd = sendBuffer.endSeq();
      if (SeqNum.lt(sndNxt, sndMax)) {
        sndNxt = SeqNum.min(scoreboard.skipSacked(sndNxt), sndMax);
      }
      int available = dataEnd - sndNxt;
      if (available > 0) {
        int window = Math.min(sndWnd, congestion.windowBytes());
        int usable = sndUna + window - sndNxt;
        int length = Math.min(Math.min(available, usable), sendMssBytes);
        if (SeqNum.lt(sndNxt, sndMax)) {
          length = Math.min(length, scoreboard.nextSackedStart(sndNxt, dataEnd) - sndNxt);
        }
        // RFC 9293 §3.8.6.2.1: a full segment, all we have (no Nagle), half the largest
        // window the client offered, or anything when nothing is in flight (no ACK will come
        // to open the window further: this stands in for the override timeout)
        if (length <= 0 || length < sendMssBytes && length < available
            && length < maxSndWnd / 2 && sndUna != sndMax) {
          return;
        }
        sendData(sndNxt, length, finQueued && sndNxt + length == dataEnd, nowNanos);
        continue;
      }
      if (finQueued && sndNxt == dataEnd && (!finSent || SeqNum.lt(sndNxt, sndMax))) {
        sendData(sndNxt, 0, true, nowNanos);
      }
      return;
    }
  }

  private void sendData(int seq, int length, boolean fin, long nowNanos) {
    boolean retransmission = SeqNum.lt(seq, sndMax);
    if (retransmission) {
      rttTiming = false;
    } else if (!timestampsEnabled && !rttTiming && length > 0) {
      rttTiming = true;
      rttSeq = seq + length;
      rttStartNanos = nowNanos;
    }
    int flags = FLAG_ACK;
    if (fin) {
      flags |= FLAG_FIN;
      finSent = true;
      finSeq = seq + length;
    }
    if (length > 0 && seq + length == sendBuffer.endSeq()) {
      flags |= FLAG_PSH;
    }
    sendSegment(seq, flags, length, nowNanos);
    sndNxt = seq + length + (fin ? 1 : 0);
    sndMax = SeqNum.max(sndMax, sndNxt);
    if (rtoDeadlineNanos == NO_DEADLINE && !persisting) {
      rtoDeadlineNanos = nowNanos + rtt.rtoNanos(); // RFC 6298 (5.1)
    }
  }

  /** Retransmits the segment at SND.UNA, up to the next SACKed range; window not checked. */
  private void retransmitFirstUnacked(long nowNanos) {
    int dataEnd = sendBuffer.endSeq();
    int length = Math.min(dataEnd - sndUna, sendMssBytes);
    length = Math.min(length, scoreboard.nextSackedStart(sndUna, dataEnd) - sndUna);
    boolean fin = finSent && sndUna + length == dataEnd;
    if (length <= 0 && !fin) {
      return;
    }
    int savedNxt = sndNxt;
    sendData(sndUna, Math.max(length, 0), fin, nowNanos);
    sndNxt = SeqNum.max(savedNxt, sndNxt);
  }

  private void sendSynAck(long nowNanos) {
    synAckSentNanos = nowNanos;
    // RFC 7323 §2.2: the window of a SYN segment is not scaled
    int window = Math.min(receiveWindowBytes(), TcpSettings.MAX_WINDOW_FIELD);
    rcvAdvertisedEdge = SeqNum.max(rcvAdvertisedEdge, rcvNxt + window);
    fields.reset(iss, rcvNxt, FLAG_SYN | FLAG_ACK, window);
    fields.addMss(settings.mssBytes());
    if (windowScaleOffered) {
      // RFC 7323 §2.2: only in answer to a SYN that carried one
      fields.addWindowScale(rcvWndShift);
    }
    if (sackPermitted) {
      fields.addSackPermitted();
    }
    if (timestampsEnabled) {
      fields.addTimestamps(timestampClock(nowNanos), tsRecent);
    }
    lastAckSent = rcvNxt;
    output.emit(fields, null, 0, 0);
  }

  private void sendAck(long nowNanos) {
    sendSegment(sndNxt, FLAG_ACK, 0, nowNanos);
  }

  private void sendSegment(int seq, int flags, int dataLength, long nowNanos) {
    fields.reset(seq, rcvNxt, flags, advertiseWindowField());
    if (timestampsEnabled) {
      fields.addTimestamps(timestampClock(nowNanos), tsRecent);
    }
    if (sackPermitted && !reassembly.isEmpty()) {
      addSackBlocks();
    }
    lastAckSent = rcvNxt;
    ackPending = false;
    if (dataLength > 0) {
      output.emit(fields, sendBuffer.buffer(), sendBuffer.indexOf(seq), dataLength);
    } else {
      output.emit(fields, null, 0, 0);
    }
  }

  /** RFC 2018 §4: the first block holds the latest segment, then as many others as fit. */
  private void addSackBlocks() {
    int blocks = Math.min(reassembly.rangeCount(), fields.sackBlocksThatFit());
    int first = reassembly.mostRecentRange();
    fields.addSackHeader(blocks);
    fields.addSackBlock(reassembly.start(first), reassembly.end(first));
    for (int i = 0, added = 1; added < blocks; i++) {
      if (i != first) {
        fields.addSackBlock(reassembly.start(i), reassembly.end(i));
        added++;
      }
    }
  }

  // TODO(#11): no keepalive (RFC 9293 §3.8.4) and no ECN (RFC 3168); the owner's idle timeout
  // ends silent flows
  private void sendReset(int seq, int ack, boolean withAck) {
    // RFC 7323 §3.2 leaves timestamps on RST optional; like most stacks we send none
    fields.reset(seq, withAck ? ack : 0, FLAG_RST | (withAck ? FLAG_ACK : 0), 0);
    output.emit(fields, null, 0, 0);
  }

  /** Free receive buffer from RCV.NXT: all of it but delivered bytes not yet consumed. */
  private int receiveWindowBytes() {
    int free = settings.receiveBufferBytes() - unconsumedBytes;
    return Math.min(free, TcpSettings.MAX_WINDOW_FIELD << rcvWndShift);
  }

  /**
   * The Window field to send, moving the advertised right edge only forward and only by
   * enough (receiver SWS avoidance, RFC 9293 §3.8.6.2.2); scaled down (RFC 7323 §2.3).
   */
  private int advertiseWindowField() {
    int advertised = Math.max(rcvAdvertisedEdge - rcvNxt, 0);
    if (windowGrowthIsWorthAnUpdate()) {
      advertised = receiveWindowBytes();
    }
    int field = Math.min(advertised >> rcvWndShift, TcpSettings.MAX_WINDOW_FIELD);
    rcvAdvertisedEdge = SeqNum.max(rcvAdvertisedEdge, rcvNxt + (field << rcvWndShift));
    return field;
  }

  private int timestampClock(long nowNanos) {
    // RFC 7323 §7.1: a per-connection offset; the ISN is already secret and random
    return (int) (nowNanos / TIMESTAMP_TICK_NANOS) + iss;
  }

  // ---------------------------------------------------------------------------------------
  // timers

  /** When {@link #onTimer} should run next, or {@link #NO_DEADLINE}. */
  public long nextDeadlineNanos() {
    long next = NO_DEADLINE;
    next = earlier(next, rtoDeadlineNanos);
    next = earlier(next, persistDeadlineNanos);
    return earlier(next, timeWaitDeadlineNanos);
  }

  private static long earlier(long a, long b) {
    if (a == NO_DEADLINE) {
      return b;
    }
    if (b == NO_DEADLINE) {
      return a;
    }
    return a - b <= 0 ? a : b;
  }

  /** Runs the timers due at {@code nowNanos}; early calls do nothing. */
  public void onTimer(long nowNanos) {
    if (isDue(timeWaitDeadlineNanos, nowNanos)) {
      close(CloseCause.NORMAL); // RFC 9293 §3.10.8: TIME-WAIT timeout
      return;
    }
    if (isDue(rtoDeadlineNanos, nowNanos)) {
      rtoDeadlineNanos = NO_DEADLINE;
      onRetransmissionTimeout(nowNanos);
    }
    if (state != TcpState.CLOSED && isDue(persistDeadlineNanos, nowNanos)) {
      persistDeadlineNanos = NO_DEADLINE;
      onPersistTimeout(nowNanos);
    }
    if (state != TcpState.CLOSED) {
      updateTimers(nowNanos);
    }
  }

  private static boolean isDue(long deadlineNanos, long nowNanos) {
    return deadlineNanos != NO_DEADLINE && nowNanos - deadlineNanos >= 0;
  }

  private void onRetransmissionTimeout(long nowNanos) {
    if (state == TcpState.SYN_RECEIVED) {
      if (retransmissions >= settings.synAckRetries()) {
        sendReset(iss + 1, rcvNxt, true);
        close(CloseCause.HANDSHAKE_TIMEOUT);
        return;
      }
      retransmissions++;
      rtt.backOff(); // RFC 6298 (5.5)
      sendSynAck(nowNanos);
      rtoDeadlineNanos = nowNanos + rtt.rtoNanos();
      return;
    }
    if (retransmissions >= settings.dataRetries()) {
      sendReset(sndMax, 0, false);
      close(CloseCause.RETRANSMISSION_TIMEOUT);
      return;
    }
    retransmissions++;
    congestion.onRetransmissionTimeout(sndMax, sndMax - sndUna);
    if (retransmissions > 1) {
      // RFC 2018 §8: the client may have reneged on what it SACKed; after the first timeout
      // we keep the scoreboard (as Linux does), after a second we stop trusting it
      scoreboard.clear();
    }
    rtt.backOff(); // RFC 6298 (5.5)
    rttTiming = false;
    // RFC 6298 (5.4): retransmit the earliest segment; then go back to SND.UNA and send
    // again what the (now one-segment) congestion window allows, skipping SACKed data
    sndNxt = sndUna;
    retransmitFirstUnacked(nowNanos);
    trySend(nowNanos);
    rtoDeadlineNanos = nowNanos + rtt.rtoNanos(); // RFC 6298 (5.6)
  }

  /** RFC 9293 §3.8.6.1: probe a zero window with one byte; never give up while ACKed. */
  private void onPersistTimeout(long nowNanos) {
    if (persistProbes >= settings.dataRetries()) {
      sendReset(sndMax, 0, false);
      close(CloseCause.RETRANSMISSION_TIMEOUT);
      return;
    }
    persistProbes++;
    if (SeqNum.lt(sndUna, sendBuffer.endSeq())) {
      sendSegment(sndUna, FLAG_ACK, 1, nowNanos);
      sndMax = SeqNum.max(sndMax, sndUna + 1);
    }
    persistDeadlineNanos = nowNanos + probeIntervalNanos();
  }

  private long probeIntervalNanos() {
    long interval = rtt.rtoNanos();
    for (int i = 0; i < persistProbes && interval < settings.maxRtoNanos(); i++) {
      interval <<= 1;
    }
    return Math.min(interval, settings.maxRtoNanos());
  }

  /** Arms or stops the retransmission and persist timers after anything changed. */
  private void updateTimers(long nowNanos) {
    if (state == TcpState.CLOSED || state == TcpState.TIME_WAIT) {
      return;
    }
    boolean waitingForWindow = sendsData() && sndWnd == 0
        && SeqNum.lt(sndNxt, sendBuffer.endSeq()) && SeqNum.le(sndMax, sndUna + 1);
    if (persisting && !waitingForWindow) {
      persisting = false;
      persistDeadlineNanos = NO_DEADLINE;
    } else if (!persisting && waitingForWindow && sndMax == sndUna) {
      persisting = true;
      persistProbes = 0;
      persistDeadlineNanos = nowNanos + rtt.rtoNanos();
    }
    if (sndMax == sndUna || persisting) {
      rtoDeadlineNanos = NO_DEADLINE;
    } else if (rtoDeadlineNanos == NO_DEADLINE) {
      rtoDeadlineNanos = nowNanos + rtt.rtoNanos();
    }
  }

  // ---------------------------------------------------------------------------------------

  private void close(CloseCause cause) {
    state = TcpState.CLOSED;
    rtoDeadlineNanos = NO_DEADLINE;
    persistDeadlineNanos = NO_DEADLINE;
    timeWaitDeadlineNanos = NO_DEADLINE;
    sendBuffer.release();
    reassembly.release();
    output.closed(cause);
  }

  private void requireState(TcpState expected, String operation) {
    if (state != expected) {
      throw new IllegalStateException(operation + " expects " + expected + ", state is " + state);
    }
  }

  /** The state, as RFC 9293 §3.3.2 names it. */
  public TcpState state() {
    return state;
  }

  /** ISS, our initial sequence number. */
  public int iss() {
    return iss;
  }

  /** IRS, the client's initial sequence number. */
  public int irs() {
    return irs;
  }

  /** SND.UNA, the oldest unacknowledged sequence number. */
  public int sndUna() {
    return sndUna;
  }

  /** SND.NXT, the next sequence number to send. */
  public int sndNxt() {
    return sndNxt;
  }

  /** SND.WND in bytes, scaled. */
  public int sndWnd() {
    return sndWnd;
  }

  /** RCV.NXT, the next sequence number expected from the client. */
  public int rcvNxt() {
    return rcvNxt;
  }

  /** RCV.WND in bytes as last advertised. */
  public int rcvWnd() {
    return Math.max(rcvAdvertisedEdge - rcvNxt, 0);
  }

  /** The congestion window in bytes. */
  public int congestionWindowBytes() {
    return congestion.windowBytes();
  }

  /** The most data bytes we put in one segment: the effective send MSS (RFC 6691). */
  public int sendMssBytes() {
    return sendMssBytes;
  }

  /** The current retransmission timeout, with backoff. */
  public long rtoNanos() {
    return rtt.rtoNanos();
  }
}
