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
 * What a flow counts for its activity record: when it started, and bytes and packets each
 * way. Bytes are the transport payload (UDP data, ICMP echo data), as a socket counts them.
 * Confined to the flow's loop like the flow itself.
 */
public final class FlowAccount {

  private final String sessionId = newSessionId();
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
  private long decisionNanos = -1;
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

  /** The TLS server name the client sent, or "" when it sent none. */
  public void sni(String host) {
    sni = host;
  }

  /** The host of the client's plaintext HTTP request, or "" when none. */
  public void httpHost(String host) {
    httpHost = host;
  }

  /** The application protocol recognised in the client's first bytes, or "" when none. */
  public void detectedProtocol(String protocol) {
    detectedProtocol = protocol;
  }

  /**
   * What decided the flow: the policy's name (null for the default action), its action,
   * and the time from the flow's first packet to the verdict.
   */
  public void decision(String policyName, String action, long decisionNanos) {
    this.policyName = policyName;
    this.policyAction = action;
    this.decisionNanos = decisionNanos;
  }

  /** Where an override policy sent the flow instead of the destination the client asked for. */
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
   * The flow's end record. Ports are 0 for ICMP, whose flow key carries the echo identifier
   * where a port would be.
   */
  public ActivityRecord endRecord(FlowKey key, TunnelContext from, InetSocketAddress egress,
      CloseReason reason) {
    return endRecord(key, from, egress, reason, detectedProtocol);
  }

  /** The end record, with the application protocol that was detected (or null). */
  public ActivityRecord endRecord(FlowKey key, TunnelContext from, InetSocketAddress egress,
      CloseReason reason, String detectedProtocol) {
    boolean ports = key.transport() == Transport.TCP || key.transport() == Transport.UDP;
    return new ActivityRecord(
        ActivityEvent.SESSION_END,
        sessionId,
        startTime,
        Instant.now(),
        key.transport().logName(),
        new InetSocketAddress(key.source(), ports ? key.sourcePort() : 0),
        new InetSocketAddress(key.destination(), ports ? key.destinationPort() : 0),
        null,
        egress,
        from.name(),
        from.type(),
        from.virtualNetwork(),
        bytesSent,
        bytesReceived,
        packetsSent,
        packetsReceived,
        clientHandshakeMillis,
        originHandshakeMillis,
        reason,
        detectedProtocol);
  }

  private static String newSessionId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    HexFormat hex = HexFormat.of();
    return hex.toHexDigits(random.nextLong()) + hex.toHexDigits(random.nextLong());
  }
}
