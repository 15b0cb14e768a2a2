package dev.gatehouse.core.log;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** Records and a line reader shared by the activity-log tests. */
final class TestRecords {
  static final Instant START = Instant.parse("2026-12-03T17:51:32.125Z");

  private static final JsonFactory JSON = new JsonFactory();

  private TestRecords() {}

  /** An end record whose session id carries {@code n}, so tests can find it again. */
  static ActivityRecord end(int n) {
    return endBuilder(n).build();
  }

  /** A start record: no end time, close reason, egress or timings yet. */
  static ActivityRecord start(int n) {
    Builder start = endBuilder(n);
    start.event = ActivityEvent.SESSION_START;
    start.endTime = null;
    start.transport = "udp";
    start.destination = address("198.18.20.7", 53);
    start.destinationHost = null;
    start.egress = null;
    start.bytesSent = start.bytesReceived = start.packetsSent = start.packetsReceived = 0;
    start.clientHandshakeMillis = start.originHandshakeMillis = -1;
    start.closeReason = null;
    return start.build();
  }

  /** The fields of {@link #end(int)}, to change a few before building. */
  static Builder endBuilder(int n) {
    return new Builder(n);
  }

  /** Mutable stand-in for a record's components; tests set what they care about. */
  static final class Builder {
    ActivityEvent event = ActivityEvent.SESSION_END;
    String sessionId;
    Instant startTime = START;
    Instant endTime = START.plusMillis(2_000);
    String transport = "tcp";
    InetSocketAddress source;
    InetAddress sourceInternal;
    InetSocketAddress destination = address("198.18.20.7", 443);
    String destinationHost = "origin.example";
    String sni;
    String httpHost;
    InetSocketAddress egress = address("198.18.2.1", 50_000);
    String tunnel = "branch-1";
    String tunnelType = "gre";
    String site;
    int virtualNetwork = -1;
    long bytesSent = 1_200;
    long bytesReceived = 48_000;
    long packetsSent = 10;
    long packetsReceived = 40;
    long clientHandshakeMillis = 3;
    long originHandshakeMillis = 12;
    String policyName;
    String policyAction;
    long policyDecisionNanos = -1;
    InetSocketAddress overrideDestination;
    CloseReason closeReason = CloseReason.CLIENT_CLOSED;
    String detectedProtocol;

    private Builder(int n) {
      sessionId = "session-" + n;
      source = address("198.18.40.1", 40_000 + n % 20_000);
      sourceInternal = source.getAddress();
    }

    ActivityRecord build() {
      return new ActivityRecord(
          event, sessionId, startTime, endTime, transport, source, sourceInternal,
          destination, destinationHost, sni, httpHost, egress, tunnel, tunnelType, site,
          virtualNetwork, bytesSent, bytesReceived, packetsSent, packetsReceived,
          clientHandshakeMillis, originHandshakeMillis, policyName, policyAction,
          policyDecisionNanos, overrideDestination, closeReason, detectedProtocol);
    }
  }

  static InetSocketAddress address(String literal, int port) {
    try {
      // a literal never causes a lookup
      return new InetSocketAddress(InetAddress.getByName(literal), port);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an address literal: " + literal, e);
    }
  }

  /** The {@code n} that {@link #end(int)} or {@link #start(int)} put in a line's session id. */
  static int sessionNumber(String line) {
    String sessionId = (String) parse(line).get("SessionID");
    return Integer.parseInt(sessionId.substring("session-".length()));
  }

  /** Parses one JSON object into its fields in order: text as String, numbers as Long. */
  static Map<String, Object> parse(String line) {
    Map<String, Object> fields = new LinkedHashMap<>();
    try (JsonParser parser = JSON.createParser(line.getBytes(StandardCharsets.UTF_8))) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new IllegalStateException("not an object: " + line);
      }
      JsonToken token;
      while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        JsonToken value = parser.nextToken();
        Object previous = switch (value) {
          case VALUE_STRING -> fields.put(name, parser.getText());
          case VALUE_NUMBER_INT -> fields.put(name, parser.getLongValue());
          default -> throw new IllegalStateException("unexpected " + value + " in " + line);
        };
        if (previous != null) {
          throw new IllegalStateException("field " + name + " twice in " + line);
        }
      }
      if (token != JsonToken.END_OBJECT) {
        throw new IllegalStateException("unexpected " + token + " in " + line);
      }
      if (parser.nextToken() != null) {
        throw new IllegalStateException("more than one value in " + line);
      }
    } catch (IOException e) {
      throw new IllegalStateException("not JSON: " + line, e);
    }
    return fields;
  }
}
