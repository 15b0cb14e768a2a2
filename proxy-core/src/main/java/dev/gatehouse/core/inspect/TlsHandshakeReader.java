package dev.gatehouse.core.inspect;

import io.netty.buffer.ByteBuf;

/**
 * Follows TLS records as they arrive and reassembles the first handshake message, which a
 * client must make a ClientHello, however the message was cut into records and the records
 * into segments. Only the handshake message is kept, in an array of exactly its size.
 *
 * <pre>
 *  RFC 8446 §5.1, TLSPlaintext:
 *  +--------------+----------------------------+------------------+----------------------+
 *  | type (1) = 22 | legacy_record_version (2)  | length (2)       | fragment (length)    |
 *  +--------------+----------------------------+------------------+----------------------+
 *  RFC 8446 §4, Handshake:  msg_type (1) = 1 ClientHello | length (3) | body (length)
 * </pre>
 *
 * <p>RFC 8446 §5.1 lets a handshake message span records, and records carry no boundary
 * of their own, so the message header may itself be split.
 */
final class TlsHandshakeReader {
  /** RFC 8446 §5.1: ContentType handshake. */
  static final int CONTENT_TYPE_HANDSHAKE = 22;
  static final int RECORD_HEADER_BYTES = 5;
  static final int HANDSHAKE_HEADER_BYTES = 4;
  /** RFC 8446 §4: HandshakeType client_hello. */
  static final int CLIENT_HELLO = 1;
  /**
   * RFC 8446 §5.1: "The length MUST NOT exceed 2^14 bytes" for TLSPlaintext. The larger
   * allowances (2^14 + 256 in TLS 1.3, 2^14 + 2048 in TLS 1.2) are for protected records,
   * and a ClientHello is never protected.
   */
  private static final int MAX_PLAINTEXT_BYTES = 1 << 14;
  private static final int TLS_MAJOR_VERSION = 3;
  /** The record versions a first ClientHello record carries: 0x0301 (TLS 1.0) .. 0x0304. */
  private static final int MIN_MINOR_VERSION = 1;
  private static final int MAX_MINOR_VERSION = 4;

  /** Where reading stands; every state but the first two is final. */
  enum State {
    RECORD_HEADER,
    RECORD_FRAGMENT,
    /** The first bytes are not a TLS handshake record header. */
    NOT_TLS,
    /** TLS by its first record header, but something after it broke a rule. */
    MALFORMED,
    /** The ClientHello cannot fit in the bytes the inspector may look at. */
    TOO_LARGE,
    /** The ClientHello was read whole. */
    COMPLETE
  }

  private final int maxBytes;
  private State state = State.RECORD_HEADER;
  private boolean firstRecord = true;
  private int headerBytesRead;
  private int recordLength;
  private int fragmentBytesLeft;

  private int handshakeHeader;
  private int handshakeHeaderBytesRead;
  private byte[] body;
  private int bodyBytesRead;
  private String serverName = "";

  TlsHandshakeReader(int maxBytes) {
    this.maxBytes = maxBytes;
  }

  State state() {
    return state;
  }

  /** Whether nothing more will change what this reader found. */
  boolean finished() {
    return state != State.RECORD_HEADER && state != State.RECORD_FRAGMENT;
  }

  /** Whether the bytes so far start like TLS, complete or not. */
  boolean looksLikeTls() {
    return state != State.NOT_TLS && (headerBytesRead > 0 || !firstRecord);
  }

  /** The ClientHello's server name, once {@link State#COMPLETE}; "" otherwise. */
  String serverName() {
    return state == State.COMPLETE ? serverName : "";
  }

  /** Reads bytes {@code [index, index + length)}; stops early once finished. */
  void read(ByteBuf bytes, int index, int length) {
    int end = index + length;
    while (index < end && !finished()) {
      if (state == State.RECORD_HEADER) {
        recordHeaderByte(bytes.getUnsignedByte(index++));
      } else {
        int take = Math.min(fragmentBytesLeft, end - index);
        fragment(bytes, index, take);
        index += take;
        fragmentBytesLeft -= take;
        if (fragmentBytesLeft == 0 && state == State.RECORD_FRAGMENT) {
          state = State.RECORD_HEADER;
          firstRecord = false;
          headerBytesRead = 0;
        }
      }
    }
  }

  private void recordHeaderByte(int b) {
    int position = headerBytesRead++;
    switch (position) {
      case 0 -> {
        // RFC 8446 §5.1: "Handshake messages MUST NOT be interleaved with other record types"
        if (b != CONTENT_TYPE_HANDSHAKE) {
          state = firstRecord ? State.NOT_TLS : State.MALFORMED;
        }
      }
      case 1 -> {
        // only the first record's version identifies TLS; later ones "MUST be ignored"
        if (firstRecord && b != TLS_MAJOR_VERSION) {
          state = State.NOT_TLS;
        }
      }
      case 2 -> {
        if (firstRecord && (b < MIN_MINOR_VERSION || b > MAX_MINOR_VERSION)) {
          state = State.NOT_TLS;
        }
      }
      case 3 -> recordLength = b << 8;
      default -> {
        recordLength |= b;
        // RFC 8446 §5.1: no zero-length handshake fragments, none over 2^14
        if (recordLength == 0 || recordLength > MAX_PLAINTEXT_BYTES) {
          state = State.MALFORMED;
        } else {
          fragmentBytesLeft = recordLength;
          state = State.RECORD_FRAGMENT;
        }
      }
    }
  }

  private void fragment(ByteBuf bytes, int index, int length) {
    int end = index + length;
    while (index < end && handshakeHeaderBytesRead < HANDSHAKE_HEADER_BYTES) {
      handshakeHeaderByte(bytes.getUnsignedByte(index++));
      if (finished()) {
        return;
      }
    }
    if (handshakeHeaderBytesRead < HANDSHAKE_HEADER_BYTES) {
      return;
    }
    int take = Math.min(end - index, body.length - bodyBytesRead);
    bytes.getBytes(index, body, bodyBytesRead, take);
    bodyBytesRead += take;
    if (bodyBytesRead == body.length) {
      complete();
    }
  }

  private void handshakeHeaderByte(int b) {
    handshakeHeader = (handshakeHeader << 8) | b;
    handshakeHeaderBytesRead++;
    // RFC 8446 §4.1.2: "a client is REQUIRED to send a ClientHello as its first TLS message"
    if (handshakeHeaderBytesRead == 1 && b != CLIENT_HELLO) {
      state = State.MALFORMED;
      return;
    }
    if (handshakeHeaderBytesRead < HANDSHAKE_HEADER_BYTES) {
      return;
    }
    int bodyLength = handshakeHeader & 0xFF_FFFF;
    if (RECORD_HEADER_BYTES + HANDSHAKE_HEADER_BYTES + (long) bodyLength > maxBytes) {
      state = State.TOO_LARGE;
      return;
    }
    body = new byte[bodyLength];
    if (bodyLength == 0) {
      complete();
    }
  }

  private void complete() {
    serverName = ClientHello.serverName(body, body.length);
    body = null;
    state = State.COMPLETE;
  }
}
