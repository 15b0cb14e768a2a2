package dev.gatehouse.ingress.gre.health;

import dev.gatehouse.core.wire.Icmpv4Message;
import dev.gatehouse.core.wire.IpProtocol;
import dev.gatehouse.core.wire.Ipv4Header;
import dev.gatehouse.core.wire.WireStatus;
import dev.gatehouse.ingress.gre.health.HealthCheckSettings.Direction;
import dev.gatehouse.ingress.gre.health.HealthCheckSettings.Type;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.net.Inet4Address;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongUnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tunnel's health check, as Cloudflare's WAN tunnels run theirs: ICMP echo messages
 * (RFC 792) sent into the tunnel, their answers read back, and the tunnel judged healthy,
 * degraded or down from how many went unanswered. Pure: no socket and no clock; the caller
 * passes {@code nowNanos} (a monotonic clock) in, sends the probes {@link #poll} returns
 * into the tunnel, and shows this check the packets that may answer them
 * ({@link #onPacket}).
 *
 * <p><b>The probe.</b> One IPv4 packet carrying an ICMP message of 8 bytes of header and 8
 * bytes of data (a per-check token), with this check's Identifier and a Sequence Number
 * that goes up by one each probe and wraps at 2^16. Its addresses are a pair, the
 * appliance's and the site's: for {@link Direction#BIDIRECTIONAL} the two hosts of the
 * tunnel's interface prefix, for {@link Direction#UNIDIRECTIONAL} the outer {@code local}
 * and {@code remote}. The caller picks the pair; this class does not know the tunnel.
 * <ul>
 *   <li>{@link Type#REQUEST}: an Echo (type 8) from the appliance to the site. The site
 *       answers with an Echo Reply from the site to the appliance, carrying the same
 *       Identifier, Sequence Number and data (RFC 792, "Echo or Echo Reply Message").
 *   <li>{@link Type#REPLY}: an Echo Reply (type 0) from the site to the appliance. The
 *       site's router, once it has decapsulated it, forwards it to its destination as it
 *       would any packet, unchanged but for its TTL, and so sends it back.
 * </ul>
 * Either way what comes back is an Echo Reply from the site to the appliance with our
 * Identifier, a Sequence Number in flight and our token: that is an answer. Bidirectional
 * answers must arrive through the tunnel; unidirectional ones are taken either way.
 *
 * <p><b>The verdict</b> follows the rules Cloudflare publishes for its tunnels, with one
 * prober instead of many (their "at least three samples in the last second" becomes three
 * probes in a row); the figures are the constants below:
 * <ul>
 *   <li>A probe unanswered after {@link #TIMEOUT_NANOS} is lost. When one is lost on a
 *       tunnel that is not down, two more leave at once, {@link #CONFIRMING_SPACING_NANOS}
 *       apart, to confirm it.
 *   <li>Down: {@link #DOWN_AFTER_LOST} probes lost in a row, from any state.
 *   <li>Degraded, from healthy: a probe is lost and, over the last
 *       {@link #LOSS_WINDOW_NANOS}, at least {@link #DEGRADED_MIN_LOST} were lost and they
 *       are at least {@link #DEGRADED_MIN_LOSS_RATIO} of those settled.
 *   <li>Out of down: the first answer sends two more probes at once; after
 *       {@link #DEGRADED_AFTER_ANSWERED} answers in a row the tunnel is degraded.
 *   <li>Healthy, from degraded: the last {@link #HEALTHY_AFTER_ANSWERED} probes were all
 *       answered (less than 0.1% of 30 lost is none).
 * </ul>
 * A check starts down: nothing has been shown to pass yet. Going down is fast and coming
 * back slow, so that a flapping link does not flap the state as often.
 *
 * <p>Answers that are not what a probe would get back are dropped and counted, never
 * thrown at: malformed (bad IP header or checksum, a fragment, a truncated or
 * bad-checksum ICMP message), or stray (late, duplicated, an unknown Sequence Number or
 * other data). An Echo Reply with another Identifier is not ours and goes on like any
 * other packet.
 *
 * <p>Threads: one owner, the tunnel's event loop, calls everything but
 * {@link #mayBeAnswer}, which reads only what never changes and may be called from any
 * thread, and {@link #health}, which returns an immutable snapshot published for any
 * thread. Each change of state is logged once at INFO.
 */
public final class HealthCheck {
  private static final Logger log = LoggerFactory.getLogger(HealthCheck.class);

  // Cloudflare's published thresholds, read for one prober.
  /** Lost probes in a row that make a tunnel down. */
  public static final int DOWN_AFTER_LOST = 3;
  /** Lost probes within the window, at the least, that make a healthy tunnel degraded. */
  public static final int DEGRADED_MIN_LOST = 2;
  /** The share of lost probes within the window, at the least, that makes a healthy tunnel degraded. */
  public static final double DEGRADED_MIN_LOSS_RATIO = 0.001;
  /** The window over which losses count toward degraded: five minutes. */
  public static final long LOSS_WINDOW_NANOS = TimeUnit.MINUTES.toNanos(5);
  /** Answers in a row that bring a down tunnel to degraded. */
  public static final int DEGRADED_AFTER_ANSWERED = 3;
  /** Answers in a row that bring a degraded tunnel to healthy. */
  public static final int HEALTHY_AFTER_ANSWERED = 30;
  /** Quick probes sent to confirm a loss on a live tunnel, or an answer on a down one. */
  public static final int CONFIRMING_PROBES = 2;

  // Choices of this implementation.
  /** How long an answer may take. */
  public static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(1);
  /** The time between two confirming probes. */
  public static final long CONFIRMING_SPACING_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  /** Changes of state kept in the history. */
  public static final int HISTORY_ENTRIES = 64;
  /** The probe's ICMP data: the check's 64-bit token. */
  public static final int DATA_LENGTH_BYTES = 8;
  /** Probes in flight at once; a power of two that divides 2^16, so that slots survive the wrap. */
  static final int IN_FLIGHT_SLOTS = 64;
  /** Settled probes remembered for the loss window: five minutes at the high rate, with room to spare. */
  static final int WINDOW_CAPACITY = 4096;

  private static final int TTL = 64;
  private static final int SEQUENCE_MASK = 0xFFFF;
  private static final int PROBE_LENGTH_BYTES =
      Ipv4Header.MIN_HEADER_LENGTH_BYTES + Icmpv4Message.HEADER_LENGTH_BYTES + DATA_LENGTH_BYTES;
  private static final int NO_PROBE = -1;

  /** What {@link #onPacket} made of a packet. */
  public enum Verdict {
    /** Not an answer to this check: hand it on as any other packet. */
    NOT_AN_ANSWER,
    /** It answered a probe in flight; consumed. */
    ANSWERED,
    /** A well-formed echo reply of this check that answers nothing in flight; dropped. */
    STRAY,
    /** Addressed as an answer but broken; dropped. */
    MALFORMED;

    /** Whether the check consumed the packet (the caller releases it and hands it nowhere). */
    public boolean consumed() {
      return this != NOT_AN_ANSWER;
    }
  }

  private final String tunnelName;
  private final HealthCheckSettings settings;
  private final int applianceAddress;
  private final int siteAddress;
  private final int identifier;
  private final long token;
  private final long intervalNanos;
  private final LongUnaryOperator epochMillisOf;
  private final ByteBufAllocator allocator;
  private final HealthCounters counters;

  // the loop's
  private final Ipv4Header ip = new Ipv4Header();
  private final Icmpv4Message icmp = new Icmpv4Message();
  private final int[] inFlightSequence = new int[IN_FLIGHT_SLOTS];
  private final long[] inFlightSentNanos = new long[IN_FLIGHT_SLOTS];
  private final long[] settledNanos = new long[WINDOW_CAPACITY];
  private final boolean[] settledLost = new boolean[WINDOW_CAPACITY];
  private final ArrayDeque<long[]> history = new ArrayDeque<>(); // {nanos, from, to}
  private int settledHead;
  private int settledCount;
  private int lostInWindow;
  private int nextSequence;
  private int lostInARow;
  private int answeredInARow;
  private int confirmingOwed;
  private long nextProbeNanos;
  private HealthState state = HealthState.DOWN;
  private long sinceNanos;

  private volatile TunnelHealth snapshot;

  /**
   * A check that sends its first probe at {@code nowNanos}.
   *
   * @param tunnelName the tunnel, for the log
   * @param settings type, direction and rate; must be enabled
   * @param appliance the appliance's address of the pair the probes use
   * @param site the site's address of the pair
   * @param identifier the ICMP Identifier of every probe, 0 to 65535
   * @param token the ICMP data of every probe: best unpredictable, so that only what saw a
   *     probe can answer it
   * @param firstSequence the first probe's Sequence Number, 0 to 65535
   * @param nowNanos the monotonic clock now
   * @param epochMillisOf turns a reading of that clock into milliseconds since the epoch,
   *     for the snapshot
   * @param allocator where probes come from
   * @param counters where sends, answers and drops are counted
   */
  public HealthCheck(String tunnelName, HealthCheckSettings settings, Inet4Address appliance, Inet4Address site,
      int identifier, long token, int firstSequence, long nowNanos, LongUnaryOperator epochMillisOf,
      ByteBufAllocator allocator, HealthCounters counters) {
    this.tunnelName = Objects.requireNonNull(tunnelName, "tunnelName");
    this.settings = Objects.requireNonNull(settings, "settings");
    if (!settings.enabled()) {
      throw new IllegalArgumentException("tunnel " + tunnelName + ": a health check needs enabled settings");
    }
    if ((identifier & ~SEQUENCE_MASK) != 0 || (firstSequence & ~SEQUENCE_MASK) != 0) {
      throw new IllegalArgumentException("identifier and firstSequence are 16 bits, got " + identifier + " and "
          + firstSequence);
    }
    this.applianceAddress = intOf(appliance);
    this.siteAddress = intOf(site);
    this.identifier = identifier;
    this.token = token;
    this.intervalNanos = settings.rate().interval().toNanos();
    this.epochMillisOf = Objects.requireNonNull(epochMillisOf, "epochMillisOf");
    this.allocator = Objects.requireNonNull(allocator, "allocator");
    this.counters = Objects.requireNonNull(counters, "counters");
    this.nextSequence = firstSequence;
    this.nextProbeNanos = nowNanos;
    this.sinceNanos = nowNanos;
    Arrays.fill(inFlightSequence, NO_PROBE);
    publish();
  }

  /** The settings it runs with. */
  public HealthCheckSettings settings() {
    return settings;
  }

  /** The state now, on the owning thread. */
  public HealthState state() {
    return state;
  }

  /** The latest snapshot; any thread. */
  public TunnelHealth health() {
    return snapshot;
  }

  /** When {@link #poll} next has something to do: a probe to send or one to give up on. */
  public long nextDeadlineNanos() {
    long deadline = nextProbeNanos;
    for (int slot = 0; slot < IN_FLIGHT_SLOTS; slot++) {
      if (inFlightSequence[slot] != NO_PROBE && inFlightSentNanos[slot] + TIMEOUT_NANOS - deadline < 0) {
        deadline = inFlightSentNanos[slot] + TIMEOUT_NANOS;
      }
    }
    return deadline;
  }

  /**
   * Gives up on the probes whose time ran out, then returns the next probe if one is due:
   * a whole IPv4 packet for the tunnel, the caller's to send and release; null if none is.
   * Call again until it returns null.
   */
  public ByteBuf poll(long nowNanos) {
    expire(nowNanos);
    if (nowNanos - nextProbeNanos < 0) {
      return null;
    }
    ByteBuf probe = probe(nowNanos);
    if (confirmingOwed > 0) {
      confirmingOwed--;
      nextProbeNanos = nowNanos + (confirmingOwed > 0 ? CONFIRMING_SPACING_NANOS : intervalNanos);
    } else {
      nextProbeNanos = nowNanos + intervalNanos;
    }
    return probe;
  }

  /**
   * Whether the IPv4 packet of {@code lengthBytes} at {@code offset} is addressed as an
   * answer: ICMP from the site's address to the appliance's, an Echo Reply or too short to
   * say. Reads no state of the check: any thread may ask, to decide whether to pass the
   * packet to the owner's {@link #onPacket} or straight on.
   */
  public boolean mayBeAnswer(ByteBuf packet, int offset, int lengthBytes) {
    if (lengthBytes < Ipv4Header.MIN_HEADER_LENGTH_BYTES
        || packet.getUnsignedByte(offset) >>> 4 != Ipv4Header.VERSION
        || packet.getUnsignedByte(offset + Ipv4Header.PROTOCOL_OFFSET) != IpProtocol.ICMP
        || packet.getInt(offset + Ipv4Header.SOURCE_ADDRESS_OFFSET) != siteAddress
        || packet.getInt(offset + Ipv4Header.DESTINATION_ADDRESS_OFFSET) != applianceAddress) {
      return false;
    }
    int headerBytes = (packet.getUnsignedByte(offset) & 0x0F) * 4;
    return headerBytes >= lengthBytes
        || packet.getUnsignedByte(offset + headerBytes) == Icmpv4Message.TYPE_ECHO_REPLY;
  }

  /**
   * Reads a packet that may answer a probe: the IPv4 packet of {@code lengthBytes} at
   * {@code offset}, which arrived through the tunnel or, if {@code throughTunnel} is false,
   * outside it. Never throws on what the packet holds, and never releases it.
   */
  public Verdict onPacket(ByteBuf packet, int offset, int lengthBytes, boolean throughTunnel, long nowNanos) {
    if (!mayBeAnswer(packet, offset, lengthBytes)
        || (!throughTunnel && settings.direction() == Direction.BIDIRECTIONAL)) {
      return Verdict.NOT_AN_ANSWER;
    }

    // the packet: whole, unfragmented, checksums right (RFC 791, RFC 792)
    if (ip.wrap(packet, offset, lengthBytes) != WireStatus.OK || ip.verifyHeaderChecksum() != WireStatus.OK
        || ip.isFragment()
        || icmp.wrap(packet, ip.payloadOffset(), ip.payloadLengthBytes()) != WireStatus.OK
        || icmp.verifyChecksum() != WireStatus.OK || icmp.code() != 0) {
      counters.malformedAnswer();
      return Verdict.MALFORMED;
    }
    if (icmp.identifier() != identifier) {
      return Verdict.NOT_AN_ANSWER;
    }

    // ours: in flight, with our data
    int sequence = icmp.sequenceNumber();
    int slot = sequence & (IN_FLIGHT_SLOTS - 1);
    if (icmp.bodyLengthBytes() != DATA_LENGTH_BYTES || packet.getLong(icmp.bodyOffset()) != token
        || inFlightSequence[slot] != sequence) {
      counters.strayAnswer();
      return Verdict.STRAY;
    }
    settle(slot, false, nowNanos);
    return Verdict.ANSWERED;
  }

  private ByteBuf probe(long nowNanos) {
    int sequence = nextSequence;
    nextSequence = (sequence + 1) & SEQUENCE_MASK;
    int slot = sequence & (IN_FLIGHT_SLOTS - 1);
    if (inFlightSequence[slot] != NO_PROBE) {
      settle(slot, true, nowNanos); // only if 64 probes were in flight within one timeout
    }
    inFlightSequence[slot] = sequence;
    inFlightSentNanos[slot] = nowNanos;

    boolean request = settings.type() == Type.REQUEST;
    ByteBuf packet = allocator.buffer(PROBE_LENGTH_BYTES, PROBE_LENGTH_BYTES);
    packet.setZero(0, PROBE_LENGTH_BYTES);
    packet.writerIndex(PROBE_LENGTH_BYTES);
    ip.init(packet, 0, Ipv4Header.MIN_HEADER_LENGTH_BYTES, PROBE_LENGTH_BYTES);
    ip.setIdentification(sequence);
    ip.setTtl(TTL);
    ip.setProtocol(IpProtocol.ICMP);
    ip.setSourceAddress(request ? applianceAddress : siteAddress);
    ip.setDestinationAddress(request ? siteAddress : applianceAddress);
    ip.writeHeaderChecksum();

    icmp.init(packet, Ipv4Header.MIN_HEADER_LENGTH_BYTES, Icmpv4Message.HEADER_LENGTH_BYTES + DATA_LENGTH_BYTES,
        request ? Icmpv4Message.TYPE_ECHO_REQUEST : Icmpv4Message.TYPE_ECHO_REPLY, 0);
    icmp.setIdentifier(identifier);
    icmp.setSequenceNumber(sequence);
    packet.setLong(icmp.bodyOffset(), token);
    icmp.writeChecksum();
    counters.probeSent();
    return packet;
  }

  /** Settles, oldest first, every probe in flight whose time ran out. */
  private void expire(long nowNanos) {
    for (int back = IN_FLIGHT_SLOTS; back > 0; back--) {
      int sequence = (nextSequence - back) & SEQUENCE_MASK;
      int slot = sequence & (IN_FLIGHT_SLOTS - 1);
      if (inFlightSequence[slot] == sequence && nowNanos - inFlightSentNanos[slot] >= TIMEOUT_NANOS) {
        settle(slot, true, nowNanos);
      }
    }
  }

  private void settle(int slot, boolean lost, long nowNanos) {
    inFlightSequence[slot] = NO_PROBE;
    remember(lost, nowNanos);
    if (lost) {
      counters.probeLost();
      lostInARow++;
      answeredInARow = 0;
      judgeLoss(nowNanos);
    } else {
      counters.probeAnswered();
      answeredInARow++;
      lostInARow = 0;
      judgeAnswer(nowNanos);
    }
    publish();
  }

  private void judgeLoss(long nowNanos) {
    if (state != HealthState.DOWN && lostInARow >= DOWN_AFTER_LOST) {
      change(HealthState.DOWN, nowNanos);
    } else if (state == HealthState.HEALTHY && lostInWindow >= DEGRADED_MIN_LOST
        && lossRatio() >= DEGRADED_MIN_LOSS_RATIO) {
      change(HealthState.DEGRADED, nowNanos);
    }
    if (state != HealthState.DOWN && lostInARow == 1) {
      confirm(nowNanos);
    }
  }

  private void judgeAnswer(long nowNanos) {
    if (state == HealthState.DOWN) {
      if (answeredInARow >= DEGRADED_AFTER_ANSWERED) {
        change(HealthState.DEGRADED, nowNanos);
      } else if (answeredInARow == 1) {
        confirm(nowNanos);
      }
    } else if (state == HealthState.DEGRADED && answeredInARow >= HEALTHY_AFTER_ANSWERED) {
      change(HealthState.HEALTHY, nowNanos);
    }
  }

  private void confirm(long nowNanos) {
    confirmingOwed = CONFIRMING_PROBES;
    if (nowNanos - nextProbeNanos < 0) {
      nextProbeNanos = nowNanos;
    }
  }

  /** Adds one settled probe to the loss window and lets the old ones fall out of it. */
  private void remember(boolean lost, long nowNanos) {
    if (settledCount == WINDOW_CAPACITY) {
      forgetOldest();
    }
    int at = (settledHead + settledCount) % WINDOW_CAPACITY;
    settledNanos[at] = nowNanos;
    settledLost[at] = lost;
    settledCount++;
    if (lost) {
      lostInWindow++;
    }
    while (settledCount > 0 && nowNanos - settledNanos[settledHead] > LOSS_WINDOW_NANOS) {
      forgetOldest();
    }
  }

  private void forgetOldest() {
    if (settledLost[settledHead]) {
      lostInWindow--;
    }
    settledHead = (settledHead + 1) % WINDOW_CAPACITY;
    settledCount--;
  }

  private double lossRatio() {
    return settledCount == 0 ? 0 : (double) lostInWindow / settledCount;
  }

  private void change(HealthState to, long nowNanos) {
    HealthState from = state;
    state = to;
    sinceNanos = nowNanos;
    if (history.size() == HISTORY_ENTRIES) {
      history.removeFirst();
    }
    history.addLast(new long[] {nowNanos, from.ordinal(), to.ordinal()});
    counters.stateChanged();
    log.info("tunnel={} event=health-changed from={} to={} loss={} lost-in-a-row={}", tunnelName, from.word(),
        to.word(), String.format(Locale.ROOT, "%.4f", lossRatio()), lostInARow);
  }

  private void publish() {
    HealthState[] states = HealthState.values();
    List<TunnelHealth.Change> changes = new ArrayList<>(history.size());
    for (long[] entry : history) {
      changes.add(new TunnelHealth.Change(epochMillisOf.applyAsLong(entry[0]), states[(int) entry[1]],
          states[(int) entry[2]]));
    }
    snapshot = new TunnelHealth(state, epochMillisOf.applyAsLong(sinceNanos), lossRatio(), changes);
  }

  private static int intOf(Inet4Address address) {
    byte[] bytes = Objects.requireNonNull(address, "address").getAddress();
    return (bytes[0] & 0xFF) << 24 | (bytes[1] & 0xFF) << 16 | (bytes[2] & 0xFF) << 8 | (bytes[3] & 0xFF);
  }
}
