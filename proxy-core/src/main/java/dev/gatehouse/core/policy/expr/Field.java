package dev.gatehouse.core.policy.expr;

import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Every field an expression may read. A field is known either from the first packet of a
 * flow or only after inspecting the client's first bytes ({@link #needsInspection()}); the
 * engine uses that to decide whether a flow must be held for inspection before a verdict.
 */
public enum Field {
  /** The client's address inside the tunnel. */
  NET_SRC_IP("net.src.ip", FieldType.ADDRESS, false, 0),
  /** The destination address the client asked for. */
  NET_DST_IP("net.dst.ip", FieldType.ADDRESS, false, 0),
  /** The client's port (TCP, UDP); a 16-bit value. */
  NET_SRC_PORT("net.src.port", FieldType.INTEGER, false, 0xffff),
  /** The destination port (TCP, UDP); a 16-bit value. */
  NET_DST_PORT("net.dst.port", FieldType.INTEGER, false, 0xffff),
  /** The transport: {@code tcp}, {@code udp} or {@code icmp}. */
  NET_PROTOCOL("net.protocol", FieldType.STRING, false, 0),
  /** The TLS server name indication, lowercase. */
  NET_SNI_HOST("net.sni.host", FieldType.STRING, true, 0),
  /** The SNI and each of its parent domains: {@code a.example.com, example.com, com}. */
  NET_SNI_DOMAINS("net.sni.domains", FieldType.STRING_ARRAY, true, 0),
  /** The Host of a plaintext HTTP request, lowercase, without port. */
  HTTP_REQUEST_HOST("http.request.host", FieldType.STRING, true, 0),
  /** The protocol recognised in the client's first bytes ({@code tls}, {@code http}, ...). */
  NET_DETECTED_PROTOCOL("net.detected_protocol", FieldType.STRING, true, 0),
  /** The configured name of the tunnel the flow came through. */
  NET_TUNNEL_NAME("net.tunnel.name", FieldType.STRING, false, 0),
  /** The configured site of that tunnel. */
  NET_SITE("net.site", FieldType.STRING, false, 0),
  /** The virtual network id; a 32-bit unsigned value. */
  NET_VNET_ID("net.vnet_id", FieldType.INTEGER, false, 0xffff_ffffL);

  /** The values {@code net.protocol} can take; a literal outside them is a typo. */
  static final Set<String> PROTOCOLS = Set.of("tcp", "udp", "icmp");

  private static final Map<String, Field> BY_NAME =
      Stream.of(values()).collect(Collectors.toUnmodifiableMap(Field::fieldName, Function.identity()));

  private final String fieldName;
  private final FieldType type;
  private final boolean needsInspection;
  private final long maxValue;

  Field(String fieldName, FieldType type, boolean needsInspection, long maxValue) {
    this.fieldName = fieldName;
    this.type = type;
    this.needsInspection = needsInspection;
    this.maxValue = maxValue;
  }

  /** The field as written in expressions ({@code net.dst.port}). */
  public String fieldName() {
    return fieldName;
  }

  public FieldType type() {
    return type;
  }

  /** Whether the field is known only after the client's first bytes were inspected. */
  public boolean needsInspection() {
    return needsInspection;
  }

  /** The largest value an integer field can hold; 0 for other types. */
  long maxValue() {
    return maxValue;
  }

  /** Host and protocol names compare without regard to case; the facts give them lowercase. */
  boolean caseInsensitive() {
    return this == NET_SNI_HOST || this == NET_SNI_DOMAINS || this == HTTP_REQUEST_HOST
        || this == NET_PROTOCOL || this == NET_DETECTED_PROTOCOL;
  }

  /** The field named {@code name}, or null. */
  static Field byName(String name) {
    return BY_NAME.get(name);
  }

  @Override
  public String toString() {
    return fieldName;
  }
}
