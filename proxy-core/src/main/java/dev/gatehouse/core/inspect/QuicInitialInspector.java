package dev.gatehouse.core.inspect;

import dev.gatehouse.core.wire.QuicPackets;
import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.Cipher;
import javax.crypto.Mac;

/**
 * Reads the TLS ClientHello a QUIC client sends in its Initial packets (RFC 9000 §17.2.2,
 * RFC 9001 §5), across datagrams, and finds its server name with the same parser as TCP's.
 *
 * <p>For each datagram that {@link QuicPackets#isClientInitial} accepts, every coalesced
 * packet (RFC 9000 §12.2) is read; each Initial of QUIC version 1 or 2 has its header
 * protection removed and its payload opened with keys derived from its Destination
 * Connection ID (RFC 9001 §5.2, §5.4, RFC 9369 §3.3). A packet that does not authenticate is
 * ignored: it may be some other sender's, and it reveals nothing. The CRYPTO frames of the
 * packets that do are reassembled by offset, and the inspector decides as soon as the
 * stream's prefix holds the whole ClientHello (RFC 8446 §4), or is not one.
 *
 * <p>The specifications: RFC 9000 §12.2 (coalescing), §12.4 and §17.2.2 (frames allowed in
 * Initials), §16 (integers), §17.1 and Appendix A.3 (packet numbers), §19 (frames);
 * RFC 9001 §5.2 to §5.4 (Initial protection); RFC 9369 §3 (version 2).
 *
 * <p>Memory is bounded by {@code maxCryptoBytes} and the largest datagram; work by the
 * bytes offered, with at most {@link #MAX_KEY_SETS} decryptions per packet. No input throws.
 * The caller bounds how many datagrams it offers (see {@link #datagramsSeen()}).
 *
 * <p>One instance per UDP flow, confined to the flow's thread.
 */
public final class QuicInitialInspector {
  /**
   * Chosen: 16 KiB, as for TCP ({@link StreamInspector#DEFAULT_MAX_BYTES}); a ClientHello
   * with post-quantum key shares (about 1.8 KB) fits many times over, and RFC 9000 §7.5 asks
   * endpoints to buffer at least 4096 bytes of out-of-order CRYPTO data.
   */
  public static final int DEFAULT_MAX_CRYPTO_BYTES = 16 * 1024;
  /** Chosen: the most an inspector may be asked to hold. */
  public static final int MAX_MAX_CRYPTO_BYTES = StreamInspector.MAX_MAX_BYTES;
  /**
   * Chosen: key sets kept per flow. The client's first Destination Connection ID gives
   * the first; a Retry makes the client use the server's connection ID and keys derived from
   * it (RFC 9001 §5.2), which gives the second. Anything further is not derived.
   */
  static final int MAX_KEY_SETS = 2;

  /** RFC 9000 §19.1, §19.2, §19.3, §19.6: the frame types read in an Initial. */
  private static final int PADDING = 0x00;
  private static final int PING = 0x01;
  private static final int ACK = 0x02;
  private static final int ACK_ECN = 0x03;
  private static final int CRYPTO = 0x06;
  /** RFC 9001 §5.4.1: header protection masks the low 4 bits of a long header's first byte. */
  private static final int LONG_HEADER_PROTECTED_BITS = 0x0f;
  /** RFC 9000 §17.2: Reserved Bits, which "MUST be 0" once protection is removed. */
  private static final int RESERVED_BITS = 0x0c;
  private static final int PACKET_NUMBER_LENGTH_BITS = 0x03;
  /** RFC 9001 §5.4.2: the sample starts 4 bytes after the start of the Packet Number. */
  private static final int SAMPLE_OFFSET_FROM_PACKET_NUMBER = 4;

  private final int maxCryptoBytes;
  private final Mac hmac = QuicInitialKeys.newHmac();
  private final Cipher aead = QuicInitialKeys.newAead();
  private final QuicLongHeader header = new QuicLongHeader();
  private final QuicReader frames = new QuicReader();
  private final byte[] mask = new byte[QuicInitialKeys.SAMPLE_BYTES];
  private QuicInitialKeys[] keys = new QuicInitialKeys[MAX_KEY_SETS];
  private int keySets;
  private QuicCryptoStream crypto;
  private byte[] datagramCopy = new byte[0];
  private byte[] plaintext = new byte[0];
  /** RFC 9000 §17.1: the largest packet number opened so far, -1 before the first. */
  private long largestPacketNumber = -1;

  private int datagramsSeen;
  private int packetsOpened;
  private boolean decided;
  private String sniHost = "";

  /**
   * An inspector that reassembles at most {@code maxCryptoBytes} of the CRYPTO stream.
   *
   * @throws IllegalArgumentException unless {@code 1 <= maxCryptoBytes <= MAX_MAX_CRYPTO_BYTES}
   */
  public QuicInitialInspector(int maxCryptoBytes) {
    if (maxCryptoBytes < 1 || maxCryptoBytes > MAX_MAX_CRYPTO_BYTES) {
      throw new IllegalArgumentException("maxCryptoBytes must be between 1 and "
          + MAX_MAX_CRYPTO_BYTES + ", got " + maxCryptoBytes);
    }
    this.maxCryptoBytes = maxCryptoBytes;
    this.crypto = new QuicCryptoStream(maxCryptoBytes);
  }

  /**
   * Offers one client datagram, the {@code length} bytes at {@code offset}, which may hold
   * several coalesced QUIC packets (RFC 9000 §12.2). Never takes ownership of the buffer,
   * never changes its indices, reads nothing outside the range and never throws on its
   * contents. Datagrams offered after the decision are not looked at.
   *
   * @return whether the inspector has decided
   * @throws IndexOutOfBoundsException when the range lies outside {@code datagram}
   */
  public boolean offer(ByteBuf datagram, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, datagram.capacity());
    if (decided) {
      return true;
    }
    datagramsSeen++;
    // RFC 9000 §14.1: a server discards Initials in datagrams under 1200 bytes; so do we
    if (!QuicPackets.isClientInitial(datagram, offset, length)) {
      return false;
    }
    if (datagramCopy.length < length) {
      datagramCopy = new byte[length];
      plaintext = new byte[length];
    }
    datagram.getBytes(offset, datagramCopy, 0, length);

    int at = 0;
    int firstDcidStart = -1;
    int firstDcidLength = 0;
    while (at < length && !decided && header.read(datagramCopy, at, length)) {
      if (firstDcidStart < 0) {
        firstDcidStart = header.dcidStart;
        firstDcidLength = header.dcidLength;
      }
      // RFC 9000 §12.2: "receivers SHOULD ignore any subsequent packets with a different
      // Destination Connection ID than the first packet in the datagram"
      boolean sameConnection = Arrays.equals(datagramCopy, firstDcidStart,
          firstDcidStart + firstDcidLength, datagramCopy, header.dcidStart,
          header.dcidStart + header.dcidLength);
      if (header.initial && sameConnection) {
        initial();
      }
      at = header.end;
    }
    return decided;
  }

  /**
   * No more datagrams will come before the decision (the inspection timeout ran out, or the
   * flow sent as many datagrams as the caller looks at): decides on what is known. A
   * ClientHello not yet whole gives no server name.
   */
  public void finish() {
    if (!decided) {
      decide("");
    }
  }

  /** Whether the inspector has decided. */
  public boolean decided() {
    return decided;
  }

  /**
   * After {@link #decided()}: the ClientHello's server name lowercased without trailing dot,
   * or "" when absent, malformed, not received whole, or in packets that did not open.
   */
  public String sniHost() {
    return sniHost;
  }

  /** How many datagrams were offered before the decision, counted or not as Initials. */
  public int datagramsSeen() {
    return datagramsSeen;
  }

  /** How many Initial packets authenticated and were read; for tests and counters. */
  int packetsOpened() {
    return packetsOpened;
  }

  /**
   * Opens the Initial in {@link #header} with the keys of its connection ID, or else with
   * keys derived for it while there is room; then reads its frames.
   */
  private void initial() {
    boolean derived = false;
    for (int i = 0; i < keySets; i++) {
      if (open(keys[i])) {
        return;
      }
      derived |= keys[i].isFor(datagramCopy, header.dcidStart, header.dcidLength);
    }
    if (!derived && keySets < MAX_KEY_SETS) {
      QuicInitialKeys fresh = QuicInitialKeys.derive(hmac, header.version, datagramCopy,
          header.dcidStart, header.dcidLength);
      keys[keySets++] = fresh;
      open(fresh);
    }
  }

  /**
   * Removes header protection (RFC 9001 §5.4.1) in the copy, opens the payload, and puts
   * the protected bytes back, so that other keys can try the same packet.
   *
   * @return whether the packet authenticated with these keys
   */
  private boolean open(QuicInitialKeys packetKeys) {
    int pnOffset = header.packetNumberOffset;
    int sampleAt = pnOffset + SAMPLE_OFFSET_FROM_PACKET_NUMBER;
    // RFC 9001 §5.4.2: a packet too short to sample cannot have been protected
    if (sampleAt + QuicInitialKeys.SAMPLE_BYTES > header.end) {
      return false;
    }
    packetKeys.headerMask(datagramCopy, sampleAt, mask);

    byte protectedFirst = datagramCopy[header.start];
    int first = (protectedFirst ^ (mask[0] & LONG_HEADER_PROTECTED_BITS)) & 0xff;
    int pnLength = (first & PACKET_NUMBER_LENGTH_BITS) + 1;
    int payloadAt = pnOffset + pnLength;
    if (payloadAt + QuicInitialKeys.TAG_BYTES > header.end) {
      return false;
    }
    long protectedPacketNumber = 0;
    long truncatedPacketNumber = 0;
    for (int i = 0; i < pnLength; i++) {
      int b = datagramCopy[pnOffset + i] & 0xff;
      protectedPacketNumber = (protectedPacketNumber << 8) | b;
      truncatedPacketNumber = (truncatedPacketNumber << 8) | (b ^ (mask[1 + i] & 0xff));
    }

    writeHeader(first, truncatedPacketNumber, pnOffset, pnLength);
    long packetNumber = decodePacketNumber(largestPacketNumber, truncatedPacketNumber,
        pnLength * Byte.SIZE);
    int plaintextLength = packetKeys.open(aead, packetNumber, datagramCopy, header.start,
        payloadAt, header.end, plaintext);
    writeHeader(protectedFirst, protectedPacketNumber, pnOffset, pnLength);
    if (plaintextLength < 0) {
      return false;
    }

    // RFC 9000 §17.2: non-zero reserved bits after removing protection are a
    // PROTOCOL_VIOLATION; the packet authenticated, so no other keys need try it
    if ((first & RESERVED_BITS) == 0) {
      largestPacketNumber = Math.max(largestPacketNumber, packetNumber);
      packetsOpened++;
      frames(plaintextLength);
    }
    return true;
  }

  private void writeHeader(int first, long packetNumber, int pnOffset, int pnLength) {
    datagramCopy[header.start] = (byte) first;
    for (int i = 0; i < pnLength; i++) {
      datagramCopy[pnOffset + i] = (byte) (packetNumber >>> (8 * (pnLength - 1 - i)));
    }
  }

  /**
   * RFC 9000 §17.2.2: an Initial carries only PADDING, PING, ACK, CRYPTO and
   * CONNECTION_CLOSE frames; "a packet containing a frame type that is not permitted" is a
   * PROTOCOL_VIOLATION, so reading stops there, keeping the CRYPTO data before it. A
   * CONNECTION_CLOSE ends reading too: nothing after it matters. RFC 9000 §12.4: frame types
   * use the shortest encoding, one byte for all of these.
   */
  private void frames(int plaintextLength) {
    frames.reset(plaintext, 0, plaintextLength);
    boolean readable = true;
    while (readable && frames.remaining() > 0) {
      int type = frames.u8();
      readable = switch (type) {
        case PADDING, PING -> true;
        case ACK, ACK_ECN -> skipAck(type == ACK_ECN);
        case CRYPTO -> crypto();
        default -> false;
      };
    }
    decideOnClientHello();
  }

  /**
   * RFC 9000 §19.3: Largest Acknowledged, ACK Delay, ACK Range Count, First ACK Range, then
   * Range Count (Gap, ACK Range Length) pairs, then three ECN counts for type 0x03.
   */
  private boolean skipAck(boolean withEcnCounts) {
    frames.varint();
    frames.varint();
    long rangeCount = frames.varint();
    if (frames.varint() < 0 || rangeCount < 0) {
      return false;
    }
    // every range takes at least two bytes, which keeps a forged count from looping long
    if (rangeCount > frames.remaining() / 2) {
      return false;
    }
    for (long i = 0; i < 2 * rangeCount; i++) {
      if (frames.varint() < 0) {
        return false;
      }
    }
    if (withEcnCounts) {
      return frames.varint() >= 0 && frames.varint() >= 0 && frames.varint() >= 0;
    }
    return true;
  }

  /** RFC 9000 §19.6: Offset (i), Length (i), Crypto Data (Length). */
  private boolean crypto() {
    long offset = frames.varint();
    long length = frames.varint();
    int dataAt = frames.position();
    // RFC 9000 §19.6: "the largest offset delivered on a stream ... cannot exceed 2^62-1"
    if (offset < 0 || !frames.skip(length) || offset + length > QuicReader.MAX_VARINT) {
      return false;
    }
    crypto.add(offset, plaintext, dataAt, (int) length);
    return true;
  }

  /**
   * RFC 8446 §4: the stream starts with Handshake {msg_type (1), length (3), body}; RFC
   * 8446 §4.1.2: a client's first message is a ClientHello. Decides once that is known.
   */
  private void decideOnClientHello() {
    int prefixBytes = crypto.contiguousBytes();
    if (prefixBytes < TlsHandshakeReader.HANDSHAKE_HEADER_BYTES) {
      return;
    }
    byte[] stream = crypto.data();
    if ((stream[0] & 0xff) != TlsHandshakeReader.CLIENT_HELLO) {
      decide("");
      return;
    }
    int bodyLength = ((stream[1] & 0xff) << 16) | ((stream[2] & 0xff) << 8) | (stream[3] & 0xff);
    int messageBytes = TlsHandshakeReader.HANDSHAKE_HEADER_BYTES + bodyLength;
    if (messageBytes > maxCryptoBytes) {
      decide("");
    } else if (prefixBytes >= messageBytes) {
      byte[] body = Arrays.copyOfRange(stream, TlsHandshakeReader.HANDSHAKE_HEADER_BYTES,
          messageBytes);
      decide(ClientHello.serverName(body, bodyLength));
    }
  }

  // TODO(#9): report why the host came out empty (no Initial opened, not a ClientHello,
  // too large, no server name) as a reason enum for the metrics, as StreamInspector should
  private void decide(String host) {
    decided = true;
    sniHost = host;
    keys = null;
    crypto = null;
    datagramCopy = null;
    plaintext = null;
  }

  /**
   * RFC 9000 §17.1 and Appendix A.3: the full packet number closest to the one expected
   * next, given the {@code pnBits} low bits the packet carried.
   */
  static long decodePacketNumber(long largestPacketNumber, long truncated, int pnBits) {
    long expected = largestPacketNumber + 1;
    long window = 1L << pnBits;
    long halfWindow = window / 2;
    long candidate = (expected & ~(window - 1)) | truncated;
    if (candidate <= expected - halfWindow && candidate < (1L << 62) - window) {
      return candidate + window;
    }
    if (candidate > expected + halfWindow && candidate >= window) {
      return candidate - window;
    }
    return candidate;
  }
}
