package dev.gatehouse.ingress.gre;

import dev.gatehouse.core.wire.IpPacket;
import dev.gatehouse.core.wire.IpProtocol;
import dev.gatehouse.core.wire.Ipv4Header;
import dev.gatehouse.core.wire.Ipv6Header;
import dev.gatehouse.core.wire.WireStatus;
import dev.gatehouse.ingress.gre.wire.GreHeader;
import dev.gatehouse.ingress.gre.wire.GreStatus;
import io.netty.buffer.ByteBuf;
import java.net.InetAddress;
import java.util.Objects;

/**
 * The receiving half of a GRE tunnel's engine: one GRE packet from the site in, a verdict
 * out. Pure: no socket, no clock; the packet is read in place and only the MSS of a TCP SYN
 * is rewritten (see {@link MssClamp}). Confined to one thread, the one that receives.
 *
 * <p>Checks, in order, each drop counted under its {@link GreDropReason}:
 * <ol>
 *   <li>the outer source is the tunnel's {@code remote};
 *   <li>the GRE header is well-formed ({@link GreHeader#wrap}: length, reserved bits,
 *       version) and its checksum, when present, verifies (RFC 2784 §2.5);
 *   <li>the key is the tunnel's: a tunnel with a key takes only packets with that key, a
 *       tunnel without one only packets without (RFC 2890 §2.1);
 *   <li>the sequence number, when present, is after the last one accepted (below);
 *   <li>the protocol type is IPv4 or IPv6 and the payload is a well-formed packet of that
 *       version, then trimmed to its own IP length.
 * </ol>
 *
 * <p><b>Sequence numbers</b> (RFC 2890 §2.2): a packet is in sequence when its number
 * follows the last one accepted in serial arithmetic modulo 2^32 (RFC 1982); a later
 * number after a gap is in sequence too (the packets in between were lost). RFC 2890 lets
 * the decapsulator discard an out-of-sequence packet or hold it for reordering; we discard
 * it, so no packet waits and no memory has to be bounded, and TCP inside copes with the
 * loss. Packets without a sequence number may be interleaved with numbered ones and are
 * accepted (RFC 2890 §2.2). Where we differ: RFC 2890 starts the receiver at 2^32-1,
 * which would discard up to 2^31 packets from a router that kept counting while the
 * appliance restarted; we take the first numbered packet's number as it is. For the same
 * reason, after {@link #RESYNC_AFTER_DROPS} out-of-sequence packets in a row (the router
 * restarted and counts from 0 again) the next numbered packet is taken as the new start.
 *
 * <p><b>Keepalives</b> (IP transport only). A Cisco or Juniper router checks a GRE tunnel
 * by sending, inside it, a GRE packet that it addressed to itself: an inner IP packet from
 * the appliance's outer address to the router's, protocol 47, carrying a GRE header and
 * usually nothing else. A plain GRE endpoint that decapsulates it finds a packet for the
 * router and routes it there natively, so the router sees its own packet return and knows
 * the tunnel works both ways. Gatehouse has no kernel route for it, so the engine
 * recognises exactly that shape (inner source our {@code local}, inner destination the
 * {@code remote}, protocol 47) and answers {@link Verdict#ANSWER_KEEPALIVE}: the tunnel
 * sends the inner packet's payload, the GRE packet as the router built it, unchanged, to
 * the remote over the raw socket, whose kernel writes the IP header the inner packet had.
 * Nothing else addressed onward is reflected, so the tunnel cannot be used to send GRE to
 * a third party.
 */
public final class GreDecapsulator {

  /** Implementation choice: out-of-sequence packets in a row that mean the router restarted. */
  public static final int RESYNC_AFTER_DROPS = 64;

  /** What to do with the packet just decapsulated. */
  public enum Verdict {
    /** Hand the inner packet, {@link #innerOffset()} for {@link #innerLengthBytes()}, to the core. */
    DELIVER,
    /** Send the GRE packet at {@link #innerOffset()} for {@link #innerLengthBytes()} back to the remote. */
    ANSWER_KEEPALIVE,
    /** Drop it: {@link #dropReason()} says why, and it was counted. */
    DROP
  }

  private final GreSettings settings;
  private final GreCounters counters;
  private final boolean answersKeepalives;
  private final boolean keyed;
  private final int key;
  private final byte[] localBytes;
  private final byte[] remoteBytes;
  private final GreHeader gre = new GreHeader();
  private final IpPacket inner = new IpPacket();
  private final MssClamp mssClamp;

  private boolean sequenceKnown;
  private int lastSequence;
  private int outOfSequenceRun;

  private int innerOffset;
  private int innerLengthBytes;
  private GreDropReason dropReason;

  /**
   * @param mtuBytes the tunnel's MTU, for the MSS clamp
   * @param answersKeepalives whether keepalives can be answered: only where a raw IP socket
   *     can send the GRE packet back natively (not over GRE-in-UDP)
   */
  public GreDecapsulator(GreSettings settings, int mtuBytes, boolean answersKeepalives, GreCounters counters) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.counters = Objects.requireNonNull(counters, "counters");
    this.answersKeepalives = answersKeepalives;
    this.keyed = settings.key().isPresent();
    this.key = (int) settings.key().orElse(0);
    this.localBytes = settings.local().getAddress();
    this.remoteBytes = settings.remote().getAddress();
    this.mssClamp = new MssClamp(mtuBytes);
  }

  /**
   * Judges one GRE packet of {@code lengthBytes} at {@code offset} in {@code buffer} (the
   * outer IP payload, or the UDP payload), which came from {@code outerSource}.
   */
  public Verdict decapsulate(InetAddress outerSource, ByteBuf buffer, int offset, int lengthBytes) {
    if (!settings.remote().equals(outerSource)) {
      return drop(GreDropReason.IN_UNKNOWN_REMOTE);
    }
    GreDropReason malformed = checkHeader(buffer, offset, lengthBytes);
    if (malformed != null) {
      return drop(malformed);
    }
    if (gre.keyPresent() != keyed || (keyed && gre.key() != key)) {
      return drop(GreDropReason.IN_WRONG_KEY);
    }
    if (gre.sequenceNumberPresent() && !inSequence(gre.sequenceNumber())) {
      return drop(GreDropReason.IN_OUT_OF_SEQUENCE);
    }

    // inner: an IP packet of the version the protocol type names, trimmed to its length
    int version = switch (gre.protocolType()) {
      case GreHeader.PROTOCOL_IPV4 -> Ipv4Header.VERSION;
      case GreHeader.PROTOCOL_IPV6 -> Ipv6Header.VERSION;
      default -> 0;
    };
    if (version == 0) {
      return drop(GreDropReason.IN_UNKNOWN_PROTOCOL_TYPE);
    }
    int at = gre.payloadOffset();
    if (inner.wrap(buffer, at, gre.payloadLengthBytes()) != WireStatus.OK || inner.version() != version) {
      return drop(GreDropReason.IN_NOT_IP);
    }
    innerOffset = at;
    innerLengthBytes = inner.packetLengthBytes();

    if (answersKeepalives && isKeepalive(buffer, at)) {
      innerOffset = inner.payloadOffset();
      innerLengthBytes = inner.payloadLengthBytes();
      counters.keepaliveAnswered();
      return Verdict.ANSWER_KEEPALIVE;
    }
    if (mssClamp.clamp(inner)) {
      counters.clampedMss();
    }
    counters.packetIn(innerLengthBytes);
    return Verdict.DELIVER;
  }

  /** Where the inner packet (or the keepalive's GRE packet) starts; after DELIVER or ANSWER_KEEPALIVE. */
  public int innerOffset() {
    return innerOffset;
  }

  /** Its length; after DELIVER or ANSWER_KEEPALIVE. */
  public int innerLengthBytes() {
    return innerLengthBytes;
  }

  /** Why the last packet was dropped; after DROP. */
  public GreDropReason dropReason() {
    return dropReason;
  }

  private GreDropReason checkHeader(ByteBuf buffer, int offset, int lengthBytes) {
    GreStatus status = gre.wrap(buffer, offset, lengthBytes);
    if (status == GreStatus.OK) {
      status = gre.verifyChecksum();
    }
    return switch (status) {
      case OK -> null;
      case TRUNCATED -> GreDropReason.IN_TRUNCATED;
      case BAD_VERSION -> GreDropReason.IN_BAD_VERSION;
      case RESERVED_FLAGS -> GreDropReason.IN_RESERVED_FLAGS;
      case BAD_CHECKSUM -> GreDropReason.IN_BAD_CHECKSUM;
    };
  }

  /** RFC 2890 §2.2 with the two departures the class description gives. */
  private boolean inSequence(int sequence) {
    if (!sequenceKnown || outOfSequenceRun >= RESYNC_AFTER_DROPS || sequence - lastSequence > 0) {
      sequenceKnown = true;
      lastSequence = sequence;
      outOfSequenceRun = 0;
      return true;
    }
    outOfSequenceRun++;
    return false;
  }

  private boolean isKeepalive(ByteBuf buffer, int at) {
    if (inner.protocol() != IpProtocol.GRE || inner.isFragment()) {
      return false;
    }
    int source = at + (inner.isIpv4() ? Ipv4Header.SOURCE_ADDRESS_OFFSET : Ipv6Header.SOURCE_ADDRESS_OFFSET);
    int destination = at + (inner.isIpv4()
        ? Ipv4Header.DESTINATION_ADDRESS_OFFSET
        : Ipv6Header.DESTINATION_ADDRESS_OFFSET);
    return inner.version() == (localBytes.length == 4 ? Ipv4Header.VERSION : Ipv6Header.VERSION)
        && holds(buffer, source, localBytes)
        && holds(buffer, destination, remoteBytes);
  }

  private static boolean holds(ByteBuf buffer, int index, byte[] address) {
    for (int i = 0; i < address.length; i++) {
      if (buffer.getByte(index + i) != address[i]) {
        return false;
      }
    }
    return true;
  }

  private Verdict drop(GreDropReason reason) {
    dropReason = reason;
    counters.drop(reason);
    return Verdict.DROP;
  }
}
