package dev.gatehouse.core.policy.expr;

import java.net.InetAddress;

/**
 * What is known about a flow when a policy is evaluated. Each getter reports "not known yet"
 * distinctly from "known to be absent", because the engine evaluates once on the first
 * packet and again after inspection.
 *
 * <ul>
 *   <li>Addresses: {@code null} when not known.
 *   <li>Ports: {@link #UNKNOWN_PORT} when not known, {@link #NO_PORT} when the protocol has
 *       none (ICMP); every comparison on a flow without ports is {@link Outcome#NO_MATCH}.
 *   <li>Strings: {@code null} when not known, the empty string when known to be absent
 *       (a ClientHello without SNI, a flow that is not HTTP). Host names and protocol names
 *       are given in lowercase, without a trailing dot.
 *   <li>Virtual network id: {@link #UNKNOWN_VNET} when not known.
 * </ul>
 *
 * <p>Implementations are read on the flow's own thread and should return stored values
 * without computing anything.
 */
public interface FlowFacts {

  /** A port not known yet. */
  int UNKNOWN_PORT = -1;

  /** The flow's protocol has no ports (ICMP). */
  int NO_PORT = -2;

  /** A virtual network id not known yet. */
  long UNKNOWN_VNET = -1;

  /** The client's address as seen inside the tunnel. */
  InetAddress srcIp();

  /** The address the client asked for. */
  InetAddress dstIp();

  /** The client's port, or {@link #UNKNOWN_PORT} / {@link #NO_PORT}. */
  int srcPort();

  /** The destination port, or {@link #UNKNOWN_PORT} / {@link #NO_PORT}. */
  int dstPort();

  /** {@code tcp}, {@code udp} or {@code icmp} (ICMPv6 included). */
  String protocol();

  /** The server name the client sent in its TLS ClientHello (RFC 6066 §3). */
  String sniHost();

  /** The host of a plaintext HTTP request (RFC 9110 §7.2). */
  String httpRequestHost();

  /** The protocol recognised in the first client bytes ({@code tls}, {@code http}, ...). */
  String detectedProtocol();

  /** The name of the tunnel the flow arrived through, as configured. */
  String tunnelName();

  /** The site the tunnel belongs to, as configured. */
  String site();

  /** The virtual network the flow belongs to, or {@link #UNKNOWN_VNET}. */
  long vnetId();
}
