package dev.gatehouse.core.log;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Objects;

/**
 * One flow event, as written to the activity log. Field names follow Cloudflare's Zero
 * Trust network session logs where the meaning is the same ({@code SessionID},
 * {@code BytesSent} for client to origin, {@code BytesReceived} for origin to client, and so
 * on); {@code docs/ACTIVITY-LOG.md} lists them all.
 *
 * <p>Durations are in milliseconds and {@code -1} when not measured; optional text fields
 * are {@code null} when unknown, as is {@code egress} before the origin was dialed. Ports
 * are {@code 0} for a transport that has none (ICMP). The record is built once per event,
 * never per packet.
 *
 * @param event what happened
 * @param sessionId unique id of the flow, shared by its start and end records
 * @param startTime when the client's first packet (or request) arrived
 * @param endTime when the flow ended; {@code null} on a start record
 * @param transport {@code tcp}, {@code udp} or {@code icmp}
 * @param source the client's address and port as seen by the appliance
 * @param destination the address and port the client asked for
 * @param destinationHost the host name the client asked for, when it named one
 * @param egress the appliance's own address and port toward the origin, when connected
 * @param tunnel the configured tunnel name, or the listener name for explicit proxying
 * @param tunnelType the ingress kind ({@code gre}, {@code ipsec}, {@code wireguard},
 *     {@code tun}, {@code explicit-proxy})
 * @param virtualNetwork the virtual network id the flow belongs to, {@code -1} for none
 * @param bytesSent bytes from the client to the origin
 * @param bytesReceived bytes from the origin to the client
 * @param packetsSent packets from the client (segments, datagrams or requests)
 * @param packetsReceived packets to the client
 * @param clientHandshakeMillis time from the client's first packet to its established flow
 * @param originHandshakeMillis time from our dial to the origin's answer
 * @param closeReason why the flow ended; {@code null} on a start record
 * @param detectedProtocol the application protocol seen, when one was detected
 */
public record ActivityRecord(
    ActivityEvent event,
    String sessionId,
    Instant startTime,
    Instant endTime,
    String transport,
    InetSocketAddress source,
    InetSocketAddress destination,
    String destinationHost,
    InetSocketAddress egress,
    String tunnel,
    String tunnelType,
    int virtualNetwork,
    long bytesSent,
    long bytesReceived,
    long packetsSent,
    long packetsReceived,
    long clientHandshakeMillis,
    long originHandshakeMillis,
    CloseReason closeReason,
    String detectedProtocol) {

  /**
   * Checks what every writer of the log relies on.
   *
   * @throws NullPointerException if a field every record carries is missing
   * @throws IllegalArgumentException if an end record lacks its end time or close reason,
   *     or a count or duration is negative (other than {@code -1} for "not measured")
   */
  public ActivityRecord {
    Objects.requireNonNull(event, "event");
    Objects.requireNonNull(sessionId, "sessionId");
    Objects.requireNonNull(startTime, "startTime");
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(destination, "destination");
    Objects.requireNonNull(tunnel, "tunnel");
    Objects.requireNonNull(tunnelType, "tunnelType");
    if (event == ActivityEvent.SESSION_END && (endTime == null || closeReason == null)) {
      throw new IllegalArgumentException("an end record needs endTime and closeReason");
    }
    if (virtualNetwork < -1) {
      throw new IllegalArgumentException("virtualNetwork must be an id or -1: " + virtualNetwork);
    }
    requireCount("bytesSent", bytesSent);
    requireCount("bytesReceived", bytesReceived);
    requireCount("packetsSent", packetsSent);
    requireCount("packetsReceived", packetsReceived);
    requireDuration("clientHandshakeMillis", clientHandshakeMillis);
    requireDuration("originHandshakeMillis", originHandshakeMillis);
  }

  private static void requireCount(String name, long count) {
    if (count < 0) {
      throw new IllegalArgumentException(name + " must be 0 or more: " + count);
    }
  }

  private static void requireDuration(String name, long millis) {
    if (millis < -1) {
      throw new IllegalArgumentException(name + " must be -1 (not measured) or more: " + millis);
    }
  }
}
