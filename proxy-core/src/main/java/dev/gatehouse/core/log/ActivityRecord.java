package dev.gatehouse.core.log;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * One flow event, as written to the activity log. Field names follow Cloudflare's Zero
 * Trust network session logs where the meaning is the same ({@code SessionID},
 * {@code BytesSent} for client to origin, {@code BytesReceived} for origin to client, and so
 * on); {@code docs/ACTIVITY-LOG.md} lists them all.
 *
 * <p>Times carry the clock's full precision (nanoseconds on Linux) and must fit a signed
 * 64-bit count of nanoseconds since the Unix epoch, which the log also writes. Durations
 * are {@code -1} when not measured; optional text and address fields are {@code null} when
 * unknown, as is {@code egress} before the origin was dialed. Ports are {@code 0} for a
 * transport that has none (ICMP). The record is built once per event, never per packet.
 *
 * @param event what happened
 * @param sessionId unique id of the flow, shared by its start and end records
 * @param startTime when the client's first packet (or request) arrived
 * @param endTime when the flow ended; {@code null} on a start record
 * @param transport {@code tcp}, {@code udp} or {@code icmp}
 * @param source the client's address and port as seen by the appliance
 * @param sourceInternal the client's address as the client itself sent it: the inner
 *     packet's source address for tunnel flows, the client socket's address for explicit
 *     proxying; equal to {@code source}'s address until a translation sits between them
 * @param destination the address and port the client asked for
 * @param destinationHost the host name the client asked for, when it named one
 * @param sni the server name of the client's TLS ClientHello (RFC 6066 §3), when it sent one
 * @param httpHost the host of the client's plaintext HTTP request (RFC 9110 §7.2), when seen
 * @param egress the appliance's own address and port toward the origin, when connected
 * @param tunnel the configured tunnel name, or the listener name for explicit proxying
 * @param tunnelType the ingress kind ({@code gre}, {@code ipsec}, {@code wireguard},
 *     {@code tun}, {@code explicit-proxy})
 * @param site the site the tunnel serves; {@code null} for explicit proxying, which has none
 * @param virtualNetwork the virtual network id the flow belongs to, {@code -1} for none
 * @param bytesSent bytes from the client to the origin
 * @param bytesReceived bytes from the origin to the client
 * @param packetsSent packets from the client (segments, datagrams or requests)
 * @param packetsReceived packets to the client
 * @param clientHandshakeMillis time from the client's first packet to its established flow
 * @param originHandshakeMillis time from our dial to the origin's answer
 * @param policyName the policy that decided the flow; {@code null} when the default action
 *     did, or when no decision was made
 * @param policyAction the decision, one of {@link #POLICY_ACTIONS}; {@code null} when no
 *     decision was made (no policies configured)
 * @param policyDecisionNanos time from the flow's first packet to its final verdict,
 *     waiting for the client's bytes included; {@code -1} when no decision was made
 * @param overrideDestination where an {@code override} decision sent the flow instead of
 *     {@code destination}; {@code null} otherwise
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
    InetAddress sourceInternal,
    InetSocketAddress destination,
    String destinationHost,
    String sni,
    String httpHost,
    InetSocketAddress egress,
    String tunnel,
    String tunnelType,
    String site,
    int virtualNetwork,
    long bytesSent,
    long bytesReceived,
    long packetsSent,
    long packetsReceived,
    long clientHandshakeMillis,
    long originHandshakeMillis,
    String policyName,
    String policyAction,
    long policyDecisionNanos,
    InetSocketAddress overrideDestination,
    CloseReason closeReason,
    String detectedProtocol) {

  /** A policy's actions, as {@code PolicyAction} writes them. */
  public static final Set<String> POLICY_ACTIONS = Set.of("allow", "block", "override");

  private static final long NANOS_PER_SECOND = 1_000_000_000L;
  /** The earliest time the log can write as nanoseconds since the epoch (1677-09-21). */
  private static final Instant FIRST_NANOS_INSTANT = Instant.ofEpochSecond(0, Long.MIN_VALUE);
  /** The latest such time (2262-04-11). */
  private static final Instant LAST_NANOS_INSTANT = Instant.ofEpochSecond(0, Long.MAX_VALUE);

  /**
   * Checks what every writer of the log relies on.
   *
   * @throws NullPointerException if a field every record carries is missing
   * @throws IllegalArgumentException if an end record lacks its end time or close reason,
   *     a time does not fit 64-bit nanoseconds since the epoch, a count or duration is
   *     negative (other than {@code -1} for "not measured"), or the policy fields do not
   *     describe one decision
   */
  public ActivityRecord {
    Objects.requireNonNull(event, "event");
    Objects.requireNonNull(sessionId, "sessionId");
    Objects.requireNonNull(startTime, "startTime");
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(sourceInternal, "sourceInternal");
    Objects.requireNonNull(destination, "destination");
    Objects.requireNonNull(tunnel, "tunnel");
    Objects.requireNonNull(tunnelType, "tunnelType");
    if (event == ActivityEvent.SESSION_END && (endTime == null || closeReason == null)) {
      throw new IllegalArgumentException("an end record needs endTime and closeReason");
    }
    requireNanosRange("startTime", startTime);
    if (endTime != null) {
      requireNanosRange("endTime", endTime);
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
    requireDecision(policyName, policyAction, policyDecisionNanos, overrideDestination);
  }

  /** Whether {@code action} is one a policy decision may carry. */
  public static boolean isPolicyAction(String action) {
    return action != null && POLICY_ACTIONS.contains(action);
  }

  /** The time as a signed 64-bit count of nanoseconds since 1970-01-01T00:00:00Z. */
  public static long epochNanos(Instant time) {
    long seconds = time.getEpochSecond();
    long nanos = time.getNano();
    if (seconds < 0 && nanos > 0) {
      // borrow a second so the product cannot overflow just before Long.MIN_VALUE
      seconds++;
      nanos -= NANOS_PER_SECOND;
    }
    return Math.addExact(Math.multiplyExact(seconds, NANOS_PER_SECOND), nanos);
  }

  private static void requireNanosRange(String name, Instant time) {
    if (time.isBefore(FIRST_NANOS_INSTANT) || time.isAfter(LAST_NANOS_INSTANT)) {
      throw new IllegalArgumentException(
          name + " must lie between " + FIRST_NANOS_INSTANT + " and " + LAST_NANOS_INSTANT
              + ": " + time);
    }
  }

  private static void requireCount(String name, long count) {
    if (count < 0) {
      throw new IllegalArgumentException(name + " must be 0 or more: " + count);
    }
  }

  private static void requireDuration(String name, long duration) {
    if (duration < -1) {
      throw new IllegalArgumentException(name + " must be -1 (not measured) or more: " + duration);
    }
  }

  private static void requireDecision(String policyName, String policyAction,
      long decisionNanos, InetSocketAddress overrideDestination) {
    if (policyAction == null) {
      if (policyName != null || decisionNanos != -1 || overrideDestination != null) {
        throw new IllegalArgumentException(
            "policyName, policyDecisionNanos and overrideDestination need a policyAction");
      }
      return;
    }
    if (!isPolicyAction(policyAction)) {
      throw new IllegalArgumentException(
          "policyAction must be one of " + POLICY_ACTIONS + ": " + policyAction);
    }
    if (decisionNanos < 0) {
      throw new IllegalArgumentException(
          "policyDecisionNanos must be 0 or more with a decision: " + decisionNanos);
    }
    if (overrideDestination != null && !policyAction.equals("override")) {
      throw new IllegalArgumentException(
          "overrideDestination needs policyAction override: " + policyAction);
    }
  }
}
