package dev.gatehouse.ingress.gre;

import dev.gatehouse.core.config.IpPrefix;
import dev.gatehouse.core.wire.Checksums;
import dev.gatehouse.core.wire.Icmpv4Message;
import dev.gatehouse.core.wire.Icmpv6Message;
import dev.gatehouse.core.wire.IpPacket;
import dev.gatehouse.core.wire.IpProtocol;
import dev.gatehouse.core.wire.Ipv4Header;
import dev.gatehouse.core.wire.Ipv6Header;
import dev.gatehouse.core.wire.PacketWriter;
import dev.gatehouse.core.wire.WireStatus;
import dev.gatehouse.ingress.gre.wire.GreHeader;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.net.InetAddress;
import java.util.Objects;

/**
 * The sending half of a GRE tunnel's engine: an inner packet from the core in, GRE packets
 * for the site (or an ICMP error for the core) out, through {@link GreOutput}. Pure: no
 * socket, no clock. Confined to one thread, the tunnel's event loop.
 *
 * <p>Each inner packet, after its TCP SYN's MSS is clamped ({@link MssClamp}):
 * <ul>
 *   <li>fits the MTU: one GRE packet with the tunnel's key, its next sequence number (the
 *       first is 0, RFC 2890 §2.2) and, if configured, its checksum (RFC 2784 §2.5);
 *   <li>IPv4 longer than the MTU with DF clear: fragmented as a router would (RFC 791
 *       §3.2, "Fragmentation"): pieces of at most MTU bytes whose data, but for the last,
 *       is a multiple of 8 bytes; the first keeps every option, the others only those
 *       whose copied flag is set; a packet that was a fragment already keeps its offset and
 *       its MF on the last piece. Each piece is its own GRE packet; the site's host
 *       reassembles;
 *   <li>longer than the MTU with DF set, or IPv6, which routers never fragment (RFC 8200
 *       §5): dropped, and the sender is told the MTU, as RFC 1191 §4 ("fragmentation
 *       needed", type 3 code 4, the Next-Hop MTU in the low 16 bits of the word after the
 *       checksum) and RFC 8201 / RFC 4443 §3.2 ("packet too big", the 32-bit MTU) ask of a
 *       router. The error comes from the tunnel's interface address of that family and goes
 *       to the core, which is where the packet's source lives; none is sent about an ICMP
 *       error or a non-first fragment (RFC 1122 §3.2.2, RFC 4443 §2.4(e)), nor without an
 *       interface address of the family.
 * </ul>
 */
public final class GreEncapsulator {
  // TODO(#6): the core drops ICMP errors from tunnels (DropReason.NOT_ECHO_REQUEST), so an
  // IPv6 packet from the core above the MTU (a large UDP reply) is lost with nothing learnt;
  // the core should act on "packet too big", or fragment as the source node it is (RFC 8200 §4.5).
  // TODO(#6): rate-limit the ICMP errors (RFC 1812 §4.3.2.8, RFC 4443 §2.4(f)); today every
  // oversized DF packet gets one, but they go only to the core, never onto a network.

  /** RFC 791 §3.1: fragment offsets count 8-byte blocks. */
  private static final int FRAGMENT_BLOCK_BYTES = 8;
  /** RFC 791 §3.1: the copied flag, the top bit of an option's type byte. */
  private static final int OPTION_COPIED_FLAG = 0x80;
  /** RFC 1191 §4: type 3, code 4, "fragmentation needed and DF set". */
  private static final int ICMP_CODE_FRAGMENTATION_NEEDED = 4;
  /** RFC 792 and RFC 4443 §2.1: type, code, checksum, then the word the MTU goes in. */
  private static final int ICMP_CHECKSUM_OFFSET = 2;
  private static final int ICMP_MTU_WORD_OFFSET = 4;

  private final GreSettings settings;
  private final int mtuBytes;
  private final ByteBufAllocator allocator;
  private final GreCounters counters;
  private final PacketWriter writer;
  private final MssClamp mssClamp;
  private final IpPacket inner = new IpPacket();
  private final GreHeader gre = new GreHeader();
  private final Ipv4Header fragment = new Ipv4Header();
  private final int greHeaderBytes;
  private final int protocolFlags;
  private int nextSequence;

  public GreEncapsulator(GreSettings settings, int mtuBytes, ByteBufAllocator allocator, GreCounters counters) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.mtuBytes = mtuBytes;
    this.allocator = Objects.requireNonNull(allocator, "allocator");
    this.counters = Objects.requireNonNull(counters, "counters");
    this.writer = new PacketWriter(allocator);
    this.mssClamp = new MssClamp(mtuBytes);
    this.protocolFlags = (settings.checksum() ? GreHeader.FLAG_CHECKSUM : 0)
        | (settings.key().isPresent() ? GreHeader.FLAG_KEY : 0)
        | (settings.sequenceNumbers() ? GreHeader.FLAG_SEQUENCE : 0);
    this.greHeaderBytes = GreHeader.headerLengthBytes(protocolFlags);
  }

  /** The GRE header's length with this tunnel's options: 4 to 16 bytes. */
  public int greHeaderBytes() {
    return greHeaderBytes;
  }

  /**
   * Encapsulates one inner packet from the core, starting at its reader index; takes
   * ownership and releases it.
   *
   * @return whether anything went to the site
   */
  public boolean encapsulate(ByteBuf packet, GreOutput output) {
    try {
      int offset = packet.readerIndex();
      if (inner.wrap(packet, offset, packet.readableBytes()) != WireStatus.OK) {
        counters.drop(GreDropReason.OUT_NOT_IP);
        return false;
      }
      if (!packet.isReadOnly() && mssClamp.clamp(inner)) {
        counters.clampedMss();
      }
      int length = inner.packetLengthBytes();

      if (length <= mtuBytes) {
        ByteBuf out = startGre(length, inner.isIpv4());
        out.setBytes(gre.payloadOffset(), packet, offset, length);
        finishGre(out, output);
        return true;
      }
      if (inner.isIpv4() && !inner.ipv4().dontFragment()) {
        fragment(packet, offset, output);
        return true;
      }
      // counted first: whoever gets the error may read the counters at once
      counters.drop(GreDropReason.OUT_LARGER_THAN_MTU);
      tooBig(packet, offset, length, output);
      return false;
    } finally {
      packet.release();
    }
  }

  private ByteBuf startGre(int payloadBytes, boolean ipv4) {
    int length = greHeaderBytes + payloadBytes;
    ByteBuf out = allocator.directBuffer(length, length);
    out.writerIndex(length);
    gre.init(out, 0, length, ipv4 ? GreHeader.PROTOCOL_IPV4 : GreHeader.PROTOCOL_IPV6,
        settings.checksum(), settings.key().isPresent(), settings.sequenceNumbers());
    if (settings.key().isPresent()) {
      gre.setKey((int) settings.key().getAsLong());
    }
    if (settings.sequenceNumbers()) {
      gre.setSequenceNumber(nextSequence++); // RFC 2890 §2.2: modulo 2^32, as int overflow is
    }
    return out;
  }

  /** Writes the checksum over the payload now in place, and hands the packet on (the output counts it sent). */
  private void finishGre(ByteBuf out, GreOutput output) {
    if (settings.checksum()) {
      gre.writeChecksum();
    }
    output.sendToSite(out);
  }

  // --- RFC 791 §3.2, fragmentation

  private void fragment(ByteBuf packet, int offset, GreOutput output) {
    Ipv4Header original = inner.ipv4();
    int headerBytes = original.headerLengthBytes();
    int dataStart = offset + headerBytes;
    int dataBytes = original.totalLengthBytes() - headerBytes;
    int copiedOptionBytes = copiedOptions(packet, original.optionsOffset(), dataStart, null, 0);
    int laterHeaderBytes = Ipv4Header.MIN_HEADER_LENGTH_BYTES + roundUp4(copiedOptionBytes);
    int firstOffsetBytes = original.fragmentOffsetBytes();
    boolean lastHadMore = original.moreFragments();

    int sent = 0;
    while (sent < dataBytes) {
      boolean first = sent == 0;
      int fragmentHeaderBytes = first ? headerBytes : laterHeaderBytes;
      int maxData = (mtuBytes - fragmentHeaderBytes) / FRAGMENT_BLOCK_BYTES * FRAGMENT_BLOCK_BYTES;
      int pieceBytes = Math.min(maxData, dataBytes - sent);
      boolean last = sent + pieceBytes == dataBytes;

      ByteBuf out = startGre(fragmentHeaderBytes + pieceBytes, true);
      int at = gre.payloadOffset();
      if (first) {
        out.setBytes(at, packet, offset, headerBytes);
      } else {
        out.setBytes(at, packet, offset, Ipv4Header.MIN_HEADER_LENGTH_BYTES);
        int options = at + Ipv4Header.MIN_HEADER_LENGTH_BYTES;
        int written = copiedOptions(packet, original.optionsOffset(), dataStart, out, options);
        out.setZero(options + written, laterHeaderBytes - Ipv4Header.MIN_HEADER_LENGTH_BYTES - written);
      }
      out.setBytes(at + fragmentHeaderBytes, packet, dataStart + sent, pieceBytes);
      fragment.init(out, at, fragmentHeaderBytes, fragmentHeaderBytes + pieceBytes);
      fragment.setFragmentation(false, !last || lastHadMore, firstOffsetBytes + sent);
      fragment.writeHeaderChecksum();
      counters.fragmentOut();
      finishGre(out, output);
      sent += pieceBytes;
    }
  }

  /**
   * Walks the options in {@code [from, end)} (well-formed: the view checked them) and copies
   * those whose copied flag is set to {@code out} at {@code at}, unless {@code out} is null.
   *
   * @return the bytes they take
   */
  private static int copiedOptions(ByteBuf packet, int from, int end, ByteBuf out, int at) {
    int copied = 0;
    int position = from;
    while (position < end) {
      int type = packet.getUnsignedByte(position);
      if (type == Ipv4Header.OPTION_END_OF_LIST) {
        break;
      }
      int length = type == Ipv4Header.OPTION_NO_OPERATION ? 1 : packet.getUnsignedByte(position + 1);
      if ((type & OPTION_COPIED_FLAG) != 0) {
        if (out != null) {
          out.setBytes(at + copied, packet, position, length);
        }
        copied += length;
      }
      position += length;
    }
    return copied;
  }

  private static int roundUp4(int bytes) {
    return (bytes + 3) & ~3;
  }

  // --- RFC 1191 §4 and RFC 4443 §3.2

  private void tooBig(ByteBuf packet, int offset, int length, GreOutput output) {
    boolean v4 = inner.isIpv4();
    IpPrefix reporter = (v4 ? settings.interfaceAddress() : settings.interfaceAddressV6()).orElse(null);
    if (reporter == null || inner.isNonFirstFragment() || isIcmpError(packet)) {
      return;
    }
    InetAddress from = reporter.address();
    ByteBuf error = v4
        ? writer.icmpError(Icmpv4Message.TYPE_DESTINATION_UNREACHABLE, ICMP_CODE_FRAGMENTATION_NEEDED, from,
            packet, offset, length)
        : writer.icmpError(Icmpv6Message.TYPE_PACKET_TOO_BIG, 0, from, packet, offset, length);

    // PacketWriter leaves the word after the checksum zero; RFC 1191's Next-Hop MTU (its low
    // 16 bits, the high ones unused) and RFC 4443's MTU (all 32) are both the MTU as a word
    int icmp = error.readerIndex()
        + (v4 ? Ipv4Header.MIN_HEADER_LENGTH_BYTES : Ipv6Header.HEADER_LENGTH_BYTES);
    error.setInt(icmp + ICMP_MTU_WORD_OFFSET, mtuBytes);
    int checksum = error.getUnsignedShort(icmp + ICMP_CHECKSUM_OFFSET);
    error.setShort(icmp + ICMP_CHECKSUM_OFFSET, Checksums.update32(checksum, 0, mtuBytes));
    counters.tooBigError();
    output.deliverToCore(error);
  }

  /** RFC 1122 §3.2.2 and RFC 4443 §2.4(e): never an ICMP error about an ICMP error. */
  private boolean isIcmpError(ByteBuf packet) {
    if (inner.payloadLengthBytes() < 1) {
      return false;
    }
    int type = packet.getUnsignedByte(inner.payloadOffset());
    if (inner.isIpv4()) {
      return inner.protocol() == IpProtocol.ICMP && switch (type) {
        case Icmpv4Message.TYPE_DESTINATION_UNREACHABLE, Icmpv4Message.TYPE_SOURCE_QUENCH,
            Icmpv4Message.TYPE_REDIRECT, Icmpv4Message.TYPE_TIME_EXCEEDED,
            Icmpv4Message.TYPE_PARAMETER_PROBLEM -> true;
        default -> false;
      };
    }
    return inner.protocol() == IpProtocol.ICMPV6 && type < Icmpv6Message.TYPE_ECHO_REQUEST;
  }
}
