package dev.gatehouse.core.log;

import static dev.gatehouse.core.log.TestRecords.address;
import static dev.gatehouse.core.log.TestRecords.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ActivityLineEncoderTest {
  private final ActivityLineEncoder encoder = new ActivityLineEncoder();

  @Test
  void writesEveryFieldOfAnEndRecordInStableOrder() {
    TestRecords.Builder record = TestRecords.endBuilder(1);
    record.sessionId = "7f3a9c";
    record.startTime = Instant.parse("2026-12-03T17:51:32.125Z");
    record.endTime = Instant.parse("2026-12-03T17:53:02.5Z");
    record.source = address("198.18.40.1", 51_234);
    record.egress = address("198.18.2.1", 40_001);
    record.virtualNetwork = 7;
    record.bytesSent = 1_500;
    record.bytesReceived = 96_000;
    record.packetsSent = 12;
    record.packetsReceived = 70;
    record.clientHandshakeMillis = 4;
    record.originHandshakeMillis = 18;
    record.closeReason = CloseReason.ORIGIN_CLOSED;
    record.detectedProtocol = "tls";

    Map<String, Object> fields = parse(line(record.build()));

    assertEquals(
        List.of(
            "Event", "SessionID", "SessionStartTime", "SessionEndTime", "Transport",
            "SourceIP", "SourcePort", "DestinationIP", "DestinationPort", "DestinationHost",
            "EgressIP", "EgressPort", "Tunnel", "TunnelType", "VirtualNetworkID",
            "BytesSent", "BytesReceived", "PacketsSent", "PacketsReceived",
            "ClientTCPHandshakeDurationMs", "OriginTCPHandshakeDurationMs",
            "ConnectionCloseReason", "DetectedProtocol"),
        List.copyOf(fields.keySet()));
    assertEquals("SESSION_END", fields.get("Event"));
    assertEquals("7f3a9c", fields.get("SessionID"));
    assertEquals("2026-12-03T17:51:32.125Z", fields.get("SessionStartTime"));
    assertEquals("2026-12-03T17:53:02.500Z", fields.get("SessionEndTime"));
    assertEquals("tcp", fields.get("Transport"));
    assertEquals("198.18.40.1", fields.get("SourceIP"));
    assertEquals(51_234L, fields.get("SourcePort"));
    assertEquals("198.18.20.7", fields.get("DestinationIP"));
    assertEquals(443L, fields.get("DestinationPort"));
    assertEquals("origin.example", fields.get("DestinationHost"));
    assertEquals("198.18.2.1", fields.get("EgressIP"));
    assertEquals(40_001L, fields.get("EgressPort"));
    assertEquals("branch-1", fields.get("Tunnel"));
    assertEquals("gre", fields.get("TunnelType"));
    assertEquals(7L, fields.get("VirtualNetworkID"));
    assertEquals(1_500L, fields.get("BytesSent"));
    assertEquals(96_000L, fields.get("BytesReceived"));
    assertEquals(12L, fields.get("PacketsSent"));
    assertEquals(70L, fields.get("PacketsReceived"));
    assertEquals(4L, fields.get("ClientTCPHandshakeDurationMs"));
    assertEquals(18L, fields.get("OriginTCPHandshakeDurationMs"));
    assertEquals("ORIGIN_CLOSED", fields.get("ConnectionCloseReason"));
    assertEquals("tls", fields.get("DetectedProtocol"));
  }

  @Test
  void omitsFieldsThatAreUnknownOrUnmeasured() {
    Map<String, Object> fields = parse(line(TestRecords.start(1)));

    assertEquals(
        List.of(
            "Event", "SessionID", "SessionStartTime", "Transport",
            "SourceIP", "SourcePort", "DestinationIP", "DestinationPort",
            "Tunnel", "TunnelType",
            "BytesSent", "BytesReceived", "PacketsSent", "PacketsReceived"),
        List.copyOf(fields.keySet()));
    assertEquals("SESSION_START", fields.get("Event"));
    assertEquals(0L, fields.get("BytesSent"));
  }

  @Test
  void keepsHostileDestinationHostOnOneLineAndRoundTripsIt() {
    String hostile =
        "evil.example\n{\"Event\":\"SESSION_END\"}\r\t\\\u0000\u001b[31m\u007f\u0085\u009b"
            + "\u2028\u2029 caf\u00e9 \ud83d\ude00 \ud800 end\"";
    TestRecords.Builder record = TestRecords.endBuilder(1);
    record.destinationHost = hostile;

    String line = line(record.build());

    String body = line.substring(0, line.length() - 1);
    assertEquals('\n', line.charAt(line.length() - 1));
    body.codePoints().forEach(cp -> assertTrue(
        !Character.isISOControl(cp) && cp != 0x2028 && cp != 0x2029
            && Character.getType(cp) != Character.SURROGATE,
        () -> "raw U+" + Integer.toHexString(cp) + " in " + body));
    Map<String, Object> fields = parse(line);
    assertEquals(hostile, fields.get("DestinationHost"));
    assertEquals("SESSION_END", fields.get("Event"));
    assertEquals("session-1", fields.get("SessionID"));
  }

  @Test
  void keepsPrintableUnicodeReadable() {
    TestRecords.Builder record = TestRecords.endBuilder(1);
    record.destinationHost = "caf\u00e9.example";

    String line = line(record.build());

    assertTrue(line.contains("\"DestinationHost\":\"caf\u00e9.example\""), line);
  }

  @Test
  void writesIpv6AddressesInShortestFormWithoutBracketsOrScope() {
    TestRecords.Builder record = TestRecords.endBuilder(1);
    record.source = address("2001:2:0:0:0:0:0:1%3", 51_234);
    record.destination = address("2001:2:0:ab:0:0:0:7", 443);
    record.egress = address("2001:2:ffff::1", 40_001);
    assertEquals(3, ((Inet6Address) record.source.getAddress()).getScopeId());

    Map<String, Object> fields = parse(line(record.build()));

    assertEquals("2001:2::1", fields.get("SourceIP"));
    assertEquals(51_234L, fields.get("SourcePort"));
    assertEquals("2001:2:0:ab::7", fields.get("DestinationIP"));
    assertEquals(443L, fields.get("DestinationPort"));
    assertEquals("2001:2:ffff::1", fields.get("EgressIP"));
    assertEquals(40_001L, fields.get("EgressPort"));
  }

  @Test
  void writesIpv4AddressesWithoutSlashOrPort() {
    String line = line(TestRecords.end(1));

    assertTrue(line.contains("\"SourceIP\":\"198.18.40.1\","), line);
    assertTrue(line.contains("\"EgressIP\":\"198.18.2.1\","), line);
    assertFalse(line.contains("/"), line);
  }

  @Test
  void truncatesTimestampsToMillisecondsInUtc() {
    TestRecords.Builder record = TestRecords.endBuilder(1);
    record.startTime = Instant.parse("2026-01-02T03:04:05.123987654Z");
    record.endTime = Instant.parse("2026-01-02T05:04:06+02:00");

    Map<String, Object> fields = parse(line(record.build()));

    assertEquals("2026-01-02T03:04:05.123Z", fields.get("SessionStartTime"));
    assertEquals("2026-01-02T03:04:06.000Z", fields.get("SessionEndTime"));
  }

  @Test
  void writesPortButNoIpForAnUnresolvedDestination() {
    TestRecords.Builder record = TestRecords.endBuilder(1);
    record.destination = InetSocketAddress.createUnresolved("origin.example", 8443);

    Map<String, Object> fields = parse(line(record.build()));

    assertFalse(fields.containsKey("DestinationIP"));
    assertEquals(8443L, fields.get("DestinationPort"));
  }

  @Test
  void endsEveryRecordWithExactlyOneNewline() {
    String line = line(TestRecords.end(1));

    assertEquals(line.length() - 1, line.indexOf('\n'));
  }

  private String line(ActivityRecord record) {
    return new String(encoder.encode(record), StandardCharsets.UTF_8);
  }
}
