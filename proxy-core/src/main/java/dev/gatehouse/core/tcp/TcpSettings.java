package dev.gatehouse.core.tcp;

import java.time.Duration;

/**
 * Per-connection limits and timers, chosen once per tunnel and shared by its connections.
 *
 * @param mssBytes the MSS we advertise and the largest segment we send: tunnel MTU minus the
 *     IP and TCP fixed headers (RFC 6691 §2: options are not counted), see {@link #forMtu}
 * @param receiveBufferBytes client bytes we hold: out-of-order data plus delivered bytes the
 *     origin has not consumed; the receive window is what is left
 * @param sendBufferBytes origin bytes we hold until the client acknowledges them
 * @param initialRtoNanos RFC 6298 (2.1): 1 s before the first RTT sample
 * @param minRtoNanos lower bound of the RTO; RFC 6298 (2.4) says 1 s, we follow Linux with
 *     200 ms because our clients sit one tunnel away and a 1 s floor stalls every tail loss
 * @param maxRtoNanos upper bound of the backed-off RTO; RFC 6298 (2.5) allows 60 s
 * @param synAckRetries SYN-ACK retransmissions before giving up on the handshake
 * @param dataRetries retransmissions (or unanswered window probes) of the same data before
 *     the connection is reset, like Linux's tcp_retries2
 * @param defaultPeerMssBytes the client's MSS when its SYN carries no MSS option: 536 over
 *     IPv4, 1220 over IPv6 (RFC 9293 §3.7.1, RFC 8200 §5)
 * @param timeWaitNanos time in TIME-WAIT. RFC 9293 §3.4.2 asks for 2*MSL (4 minutes); we
 *     default to 2 s because each client's 4-tuple is ours alone behind its tunnel and a
 *     flow held for minutes costs a flow-table slot; old duplicates are further caught by
 *     the timestamps check and by a fresh ISN (RFC 6528) for a reused 4-tuple
 */
public record TcpSettings(
    int mssBytes,
    int receiveBufferBytes,
    int sendBufferBytes,
    long initialRtoNanos,
    long minRtoNanos,
    long maxRtoNanos,
    int synAckRetries,
    int dataRetries,
    long timeWaitNanos,
    int defaultPeerMssBytes) {

  /** RFC 9293 §3.1 and RFC 791: fixed header sizes. */
  public static final int TCP_HEADER_BYTES = 20;
  public static final int IPV4_HEADER_BYTES = 20;
  /** RFC 8200 §3. */
  public static final int IPV6_HEADER_BYTES = 40;

  /** RFC 9293 §3.7.1 and RFC 6691: the MSS assumed without an option, IPv4 and IPv6. */
  public static final int DEFAULT_MSS_IPV4_BYTES = 536;
  public static final int DEFAULT_MSS_IPV6_BYTES = 1220;

  /** RFC 7323 §2.3: a window scale above 14 is read as 14. */
  public static final int MAX_WINDOW_SHIFT = 14;

  /** Largest Window field (RFC 9293 §3.1: 16 bits). */
  public static final int MAX_WINDOW_FIELD = 0xFFFF;

  // choices of ours
  private static final int DEFAULT_BUFFER_BYTES = 256 * 1024;
  private static final int SMALLEST_MSS_BYTES = 88;

  public TcpSettings {
    require(mssBytes >= SMALLEST_MSS_BYTES && mssBytes <= MAX_WINDOW_FIELD,
        "mssBytes in [88, 65535]", mssBytes);
    require(defaultPeerMssBytes >= SMALLEST_MSS_BYTES && defaultPeerMssBytes <= MAX_WINDOW_FIELD,
        "defaultPeerMssBytes in [88, 65535]", defaultPeerMssBytes);
    require(receiveBufferBytes >= mssBytes, "receiveBufferBytes >= mssBytes", receiveBufferBytes);
    require(receiveBufferBytes <= MAX_WINDOW_FIELD << MAX_WINDOW_SHIFT,
        "receiveBufferBytes <= 65535 << 14", receiveBufferBytes);
    require(sendBufferBytes >= mssBytes, "sendBufferBytes >= mssBytes", sendBufferBytes);
    require(initialRtoNanos > 0 && minRtoNanos > 0 && maxRtoNanos >= minRtoNanos,
        "positive RTOs with max >= min", initialRtoNanos);
    require(synAckRetries >= 0 && dataRetries >= 1, "retries >= 0 (SYN-ACK), >= 1 (data)",
        dataRetries);
    require(timeWaitNanos >= 0, "timeWaitNanos >= 0", timeWaitNanos);
  }

  /**
   * Defaults for a tunnel with this inner MTU: MSS = MTU minus IP and TCP fixed headers,
   * 256 KiB buffers each way, RTO 1 s initial / 200 ms min / 60 s max, 5 SYN-ACK retries,
   * 15 data retries, TIME-WAIT 2 s.
   */
  public static TcpSettings forMtu(int mtuBytes, boolean ipv6) {
    int mss = mtuBytes - (ipv6 ? IPV6_HEADER_BYTES : IPV4_HEADER_BYTES) - TCP_HEADER_BYTES;
    return new TcpSettings(mss, DEFAULT_BUFFER_BYTES, DEFAULT_BUFFER_BYTES,
        Duration.ofSeconds(1).toNanos(), Duration.ofMillis(200).toNanos(),
        Duration.ofSeconds(60).toNanos(), 5, 15, Duration.ofSeconds(2).toNanos(),
        ipv6 ? DEFAULT_MSS_IPV6_BYTES : DEFAULT_MSS_IPV4_BYTES);
  }

  /** The same settings with other buffer sizes. */
  public TcpSettings withBuffers(int receiveBytes, int sendBytes) {
    return new TcpSettings(mssBytes, receiveBytes, sendBytes, initialRtoNanos, minRtoNanos,
        maxRtoNanos, synAckRetries, dataRetries, timeWaitNanos, defaultPeerMssBytes);
  }

  private static void require(boolean condition, String expected, long actual) {
    if (!condition) {
      throw new IllegalArgumentException("TCP settings need " + expected + ", got " + actual);
    }
  }
}
