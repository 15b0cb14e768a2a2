package dev.gatehouse.core.flow;

import dev.gatehouse.core.wire.WireStatus;

/**
 * Why the core dropped an inner packet, or a packet it would have sent back. Each drop is
 * counted under one of these, globally and for the tunnel, by {@link DropCounters}.
 */
public enum DropReason {
  /** {@link WireStatus#TRUNCATED}: cut short. */
  TRUNCATED,
  /** {@link WireStatus#BAD_VERSION}: not IPv4 or IPv6. */
  BAD_VERSION,
  /** {@link WireStatus#BAD_HEADER_LENGTH}. */
  BAD_HEADER_LENGTH,
  /** {@link WireStatus#BAD_TOTAL_LENGTH}. */
  BAD_TOTAL_LENGTH,
  /** {@link WireStatus#BAD_OPTION}. */
  BAD_OPTION,
  /** {@link WireStatus#BAD_EXTENSION_HEADER}. */
  BAD_EXTENSION_HEADER,
  /** {@link WireStatus#BAD_CHECKSUM}: IPv4 header, UDP, TCP, ICMP or ICMPv6. */
  BAD_CHECKSUM,
  /** A fragment: the core does not reassemble yet (TODO(#11)). */
  FRAGMENT,
  /** A transport other than TCP, UDP, ICMP and ICMPv6. */
  UNSUPPORTED_PROTOCOL,
  /** ICMP from a client that starts no flow: anything but an echo request. */
  NOT_ECHO_REQUEST,
  /** A TCP segment, other than a SYN, for no known flow: answered with RST (RFC 9293 §3.10.7.1). */
  NO_CONNECTION,
  /** A QUIC Initial the UDP engine blocks so that the client falls back to TCP. */
  QUIC_BLOCKED,
  /** A packet of a flow a network policy blocked. */
  POLICY_BLOCKED,
  /** The transport's engine is switched off in the configuration. */
  TRANSPORT_DISABLED,
  /** A new flow over the engine's configured maximum number of flows. */
  FLOW_LIMIT,
  /** The origin socket for a new flow could not be opened, bound or connected. */
  ORIGIN_UNAVAILABLE,
  /** The origin socket did not take a client packet (buffer full, socket failed). */
  ORIGIN_SEND_FAILED,
  /** A reply on a flow's origin socket that is not for the flow (another sender, type). */
  STRAY_REPLY,
  /** An ICMP error from the origin side about a packet the flow no longer keeps to quote. */
  UNMATCHED_ORIGIN_ERROR,
  /** The dispatcher is shutting down. */
  SHUTTING_DOWN,
  /** A packet back to a client whose tunnel is not (or no longer) running. */
  NO_TUNNEL,
  /** A packet back to a client that its tunnel refused (queue full, larger than the MTU). */
  TUNNEL_REFUSED;

  /** The reason for a view's status; {@code OK} is no reason to drop. */
  public static DropReason of(WireStatus status) {
    return switch (status) {
      case TRUNCATED -> TRUNCATED;
      case BAD_VERSION -> BAD_VERSION;
      case BAD_HEADER_LENGTH -> BAD_HEADER_LENGTH;
      case BAD_TOTAL_LENGTH -> BAD_TOTAL_LENGTH;
      case BAD_OPTION -> BAD_OPTION;
      case BAD_EXTENSION_HEADER -> BAD_EXTENSION_HEADER;
      case BAD_CHECKSUM -> BAD_CHECKSUM;
      case OK -> throw new IllegalArgumentException("OK is not a reason to drop a packet");
    };
  }
}
