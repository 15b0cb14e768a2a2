package dev.gatehouse.core.flow;

import dev.gatehouse.core.log.ActivityEvent;
import dev.gatehouse.core.log.ActivityRecord;
import dev.gatehouse.core.log.CloseReason;
import dev.gatehouse.core.tunnel.TunnelContext;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What a flow gathers for its activity record: when it started, bytes and packets each
 * way, and what the engine learnt on the way (server names, protocol, the policy
 * decision). Bytes are the transport payload (UDP data, ICMP echo data), as a socket counts
 * them. Confined to the flow's loop like the flow itself.
 */
public final class FlowAccount {

  private final String sessionId = newSessionId();
  // Instant.now() reads the system clock at its full precision (nanoseconds on Linux)
  private final Instant startTime = Instant.now();
  private long bytesSent;
  private long bytesReceived;
  private long packetsSent;
  private long packetsReceived;
  private long clientHandshakeMillis = -1;
  private long originHandshakeMillis = -1;
  private String sni;
  private String httpHost;
  private String detectedProtocol;
  private String policyName;
  private String policyAction;
  private long policyDecisionNanos = -1;
  private InetSocketAddress overrideDestination;

  /** Counts one packet from the client toward the origin. */
  public void countSent(int payloadBytes) {
    bytesSent += payloadBytes;
    packetsSent++;
  }

  /** Counts one packet from the origin back to the client. */
  public void countReceived(int payloadBytes) {
    bytesReceived += payloadBytes;
    packetsReceived++;
  }

  /** Counts one packet from the client whose bytes are counted apart ({@link #addBytesSent}). */
  public void countPacketSent() {
    packetsSent++;
  }

  /** Counts one packet to the client whose bytes are counted apart ({@link #addBytesReceived}). */
  public void countPacketReceived() {
    packetsReceived++;
  }

  /** Counts payload bytes that reached the origin, apart from the packets that carried them. */
  public void addBytesSent(int payloadBytes) {
    bytesSent += payloadBytes;
  }

  /** Counts payload bytes the origin sent, apart from the packets that carry them. */
  public void addBytesReceived(int payloadBytes) {
    bytesReceived += payloadBytes;
  }

  /** The time from the client's first packet to its established flow (TCP). */
  public void clientHandshake(long millis) {
    clientHandshakeMillis = millis;
  }

  /** The time our dial to the origin took until it answered (TCP). */
  public void originHandshake(long millis) {
    originHandshakeMillis = millis;
  }

  /** The server name the client's TLS ClientHello carried (RFC 6066 §3), as it sent it. */
  public void sni(String serverName) {
    sni = serverName;
  }

  /** The host of the client's plaintext HTTP request (RFC 9110 §7.2), as it sent it. */
  public void httpHost(String host) {
    httpHost = host;
  }

  /** The application protocol recognised in the client's bytes ({@code tls}, {@code quic}). */
  public void detectedProtocol(String protocol) {
    detectedProtocol = protocol;
  }

  /**
   * The flow's final verdict; a later call replaces an earlier one.
   *
   * @param policyName the policy that decided, or {@code null} when the default action did
   * @param action {@code allow}, {@code block} or {@code override}
   * @param decisionNanos time from the flow's first packet to this verdict, any wait for
   *     the client's bytes included
   * @throws IllegalArgumentException if the action is none of those or the time negative
   */
  public void decision(String policyName, String action, long decisionNanos) {
    if (!ActivityRecord.isPolicyAction(action)) {
      throw new IllegalArgumentException(
          "action must be one of " + ActivityRecord.POLICY_ACTIONS + ": " + action);
    }
    if (decisionNanos < 0) {
      throw new IllegalArgumentException("decisionNanos must be 0 or more: " + decisionNanos);
    }
    this.policyName = policyName;
    this.policyAction = action;
    this.policyDecisionNanos = decisionNanos;
  }

  /**
   * Where an {@code override} decision sent the flow instead of its destination; recorded
   * only with that decision.
   */
  public void overrideDestination(InetSocketAddress destination) {
    overrideDestination = destination;
  }

  /** The flow's session id, as its record carries it. */
  public String sessionId() {
    return sessionId;
  }

  /** Packets from the client so far. */
  public long packetsSent() {
    return packetsSent;
  }

  /** Packets to the client so far. */
  public long packetsReceived() {
    return packetsReceived;
  }

  /**
   * The flow's end record, with every fact set so far. Ports are 0 for ICMP, whose flow key
   * carries the echo identifier where a port would be. The internal source address is the
   * key's: the inner packet's source, as the client sent it. The destination host is the
   * name the client gave, the server name before the HTTP host. An override destination
   * without an {@code override} verdict is left out.
   */
  public ActivityRecord endRecord(FlowKey key, TunnelContext from, InetSocketAddress egress,
      CloseReason reason) {
    boolean ports = key.transport() == Transport.TCP || key.transport() == Transport.UDP;
    return new ActivityRecord(
        ActivityEvent.SESSION_END,
        sessionId,
        startTime,
        Instant.now(),
        key.transport().logName(),
        new InetSocketAddress(key.source(), ports ? key.sourcePort() : 0),
        key.source(),
        new InetSocketAddress(key.destination(), ports ? key.destinationPort() : 0),
        sni != null ? sni : httpHost,
        sni,
        httpHost,
        egress,
        from.name(),
        from.type(),
        from.site(),
        from.virtualNetwork(),
        bytesSent,
        bytesReceived,
        packetsSent,
        packetsReceived,
        clientHandshakeMillis,
        originHandshakeMillis,
        policyName,
        policyAction,
        policyDecisionNanos,
        // the end path must not throw for facts set out of order
        "override".equals(policyAction) ? overrideDestination : null,
        reason,
        detectedProtocol);
  }

  private static String newSessionId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    HexFormat hex = HexFormat.of();
    return hex.toHexDigits(random.nextLong()) + hex.toHexDigits(random.nextLong());
  }
}
