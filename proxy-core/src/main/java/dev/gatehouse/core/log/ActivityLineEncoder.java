package dev.gatehouse.core.log;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import io.netty.util.NetUtil;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * Writes an {@link ActivityRecord} as one line of JSON: an object whose fields always come
 * in the same order, followed by {@code \n}. Fields that are unknown or were not measured
 * are left out rather than written as {@code null} or {@code -1}; {@code docs/ACTIVITY-LOG.md}
 * lists every field and when it is present.
 *
 * <p>Each time is written twice: as an RFC 3339 §5.6 date-time in UTC with nanoseconds
 * ({@code 2026-12-03T17:51:32.125038917Z}) for people, and as an integer count of
 * nanoseconds since the Unix epoch for programs that subtract times. Addresses are bare
 * text as in RFC 5952 §4 for IPv6, with no brackets, slash or port.
 *
 * <p>String values may come from clients ({@code DestinationHost}, {@code SNI} and
 * {@code HTTPHost} are whatever names the client sent), so no value may end the line early
 * or reach a terminal as a control sequence. RFC 8259 §7 already requires escaping the
 * quotation mark, the reverse solidus and U+0000 to U+001F; we also escape DEL, the C1
 * controls U+0080 to U+009F and the line and paragraph separators U+2028 and U+2029, which
 * some line readers treat as line ends. Surrogates are written as {@code \\uXXXX} escapes,
 * so an unpaired one (RFC 8259 §8.2 leaves those undefined) reaches the reader as it was
 * instead of failing the record.
 *
 * <p>The nanosecond counts exceed 2^53, the integers an IEEE 754 double holds exactly; RFC
 * 8259 §6 warns that such numbers may lose precision in some readers. They are written in
 * full, and the text time beside each carries the same instant for readers that round.
 *
 * <p>Safe for use from several threads: each call uses its own generator.
 */
public final class ActivityLineEncoder {

  // always nine digits, so that lines sort and align as text
  private static final DateTimeFormatter RFC3339_UTC_NANOS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSSSSS'Z'", Locale.ROOT)
          .withZone(ZoneOffset.UTC);

  private final JsonFactory factory =
      new JsonFactoryBuilder()
          .characterEscapes(new LineSafeEscapes())
          // the caller owns the stream; a record must not close it
          .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
          .build();

  /** Creates an encoder; one is enough for any number of writers. */
  public ActivityLineEncoder() {}

  /**
   * Appends the record to {@code out} as one line, newline included.
   *
   * @throws IOException only if {@code out} fails
   */
  public void write(ActivityRecord record, OutputStream out) throws IOException {
    try (JsonGenerator json = factory.createGenerator(out, JsonEncoding.UTF8)) {
      json.writeStartObject();
      writeSession(record, json);
      writeEndpoints(record, json);
      writeTunnel(record, json);
      writeCounters(record, json);
      writePolicy(record, json);
      writeOutcome(record, json);
      json.writeEndObject();
    }
    out.write('\n');
  }

  /** Returns the record as one line of UTF-8, newline included. */
  public byte[] encode(ActivityRecord record) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(512);
    try {
      write(record, out);
    } catch (IOException e) {
      throw new UncheckedIOException("a byte array stream does not fail", e);
    }
    return out.toByteArray();
  }

  private static void writeSession(ActivityRecord record, JsonGenerator json)
      throws IOException {
    json.writeStringField("Event", record.event().name());
    json.writeStringField("SessionID", record.sessionId());
    json.writeStringField("SessionStartTime", timestamp(record.startTime()));
    json.writeNumberField("SessionStartUnixNs", ActivityRecord.epochNanos(record.startTime()));
    if (record.endTime() != null) {
      json.writeStringField("SessionEndTime", timestamp(record.endTime()));
      json.writeNumberField("SessionEndUnixNs", ActivityRecord.epochNanos(record.endTime()));
    }
    json.writeStringField("Transport", record.transport());
  }

  private static void writeEndpoints(ActivityRecord record, JsonGenerator json)
      throws IOException {
    writeAddress(json, "SourceIP", "SourcePort", record.source());
    json.writeStringField("SourceInternalIP", addressText(record.sourceInternal()));
    writeAddress(json, "DestinationIP", "DestinationPort", record.destination());
    writeOptional(json, "DestinationHost", record.destinationHost());
    writeOptional(json, "SNI", record.sni());
    writeOptional(json, "HTTPHost", record.httpHost());
    if (record.egress() != null) {
      writeAddress(json, "EgressIP", "EgressPort", record.egress());
    }
  }

  private static void writeTunnel(ActivityRecord record, JsonGenerator json)
      throws IOException {
    json.writeStringField("Tunnel", record.tunnel());
    json.writeStringField("TunnelType", record.tunnelType());
    writeOptional(json, "Site", record.site());
    if (record.virtualNetwork() >= 0) {
      json.writeNumberField("VirtualNetworkID", record.virtualNetwork());
    }
  }

  private static void writeCounters(ActivityRecord record, JsonGenerator json)
      throws IOException {
    json.writeNumberField("BytesSent", record.bytesSent());
    json.writeNumberField("BytesReceived", record.bytesReceived());
    json.writeNumberField("PacketsSent", record.packetsSent());
    json.writeNumberField("PacketsReceived", record.packetsReceived());
    if (record.clientHandshakeMillis() >= 0) {
      json.writeNumberField("ClientTCPHandshakeDurationMs", record.clientHandshakeMillis());
    }
    if (record.originHandshakeMillis() >= 0) {
      json.writeNumberField("OriginTCPHandshakeDurationMs", record.originHandshakeMillis());
    }
  }

  private static void writePolicy(ActivityRecord record, JsonGenerator json)
      throws IOException {
    writeOptional(json, "PolicyName", record.policyName());
    writeOptional(json, "PolicyAction", record.policyAction());
    if (record.policyDecisionNanos() >= 0) {
      json.writeNumberField("PolicyDecisionDurationNs", record.policyDecisionNanos());
    }
    if (record.overrideDestination() != null) {
      writeAddress(json, "OverrideIP", "OverridePort", record.overrideDestination());
    }
  }

  private static void writeOutcome(ActivityRecord record, JsonGenerator json)
      throws IOException {
    if (record.closeReason() != null) {
      json.writeStringField("ConnectionCloseReason", record.closeReason().name());
    }
    writeOptional(json, "DetectedProtocol", record.detectedProtocol());
  }

  private static void writeOptional(JsonGenerator json, String field, String value)
      throws IOException {
    if (value != null) {
      json.writeStringField(field, value);
    }
  }

  /** An unresolved address (a name the engine never looked up) has a port but no IP. */
  private static void writeAddress(
      JsonGenerator json, String ipField, String portField, InetSocketAddress address)
      throws IOException {
    if (address.getAddress() != null) {
      json.writeStringField(ipField, addressText(address.getAddress()));
    }
    json.writeNumberField(portField, address.getPort());
  }

  /** RFC 5952 §4 text, without the scope id: the zone means nothing off this host. */
  private static String addressText(InetAddress address) {
    return NetUtil.toAddressString(address);
  }

  private static String timestamp(Instant instant) {
    return RFC3339_UTC_NANOS.format(instant);
  }

  /** JSON's own escapes plus the characters that could break a line or a terminal. */
  private static final class LineSafeEscapes extends CharacterEscapes {
    private static final long serialVersionUID = 1L;

    private static final int DEL = 0x7F;
    private static final int C1_FIRST = 0x80;
    private static final int C1_LAST = 0x9F;
    private static final int LINE_SEPARATOR = 0x2028;
    private static final int PARAGRAPH_SEPARATOR = 0x2029;

    private final int[] asciiEscapes;

    LineSafeEscapes() {
      asciiEscapes = standardAsciiEscapesForJSON();
      asciiEscapes[DEL] = ESCAPE_STANDARD;
    }

    @Override
    public int[] getEscapeCodesForAscii() {
      return asciiEscapes;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
      boolean c1 = ch >= C1_FIRST && ch <= C1_LAST;
      if (c1 || ch == LINE_SEPARATOR || ch == PARAGRAPH_SEPARATOR) {
        return new SerializedString(String.format(Locale.ROOT, "\\u%04X", ch));
      }
      return null;
    }
  }
}
