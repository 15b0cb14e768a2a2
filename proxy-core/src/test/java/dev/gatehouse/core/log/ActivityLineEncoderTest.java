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
    record.startTime = Instant.parse("2026-12-03T17:51:32.125038917Z");
    record.endTime = Instant.parse("2026-12-03T17:53:02.5Z");
    record.source = address("198.18.40.1", 51_234);
    record.sourceInternal = address("198.18.40.9", 0).getAddress();
    record.sni = "sni.example";
    record.httpHost = "host.example";
    record.egress = address("198.18.2.1", 40_001);
    record.site = "branch-office";
    record.virtualNetwork = 7;
    record.bytesSent = 1_500;
    record.bytesReceived = 96_000;
    record.packetsSent = 12;
    record.packetsReceived = 70;
    record.clientHandshakeMillis = 4;
    record.originHandshakeMillis = 18;
    record.policyName = "reroute-intranet";
    record.policyAction = "override";
    record.policyDecisionNanos = 2_345_678;
    record.overrideDestination = address("198.18.20.8", 8443);
    record.closeReason = CloseReason.ORIGIN_CLOSED;
    record.detectedProtocol = "tls";

    Map<String, Object> fields = parse(line(record.build()));

    assertEquals(
        List.of(
            "Event", "SessionID", "SessionStartTime", "SessionStartUnixNs",
            "SessionEndTime", "SessionEndUnixNs", "Transport",
            "SourceIP", "SourcePort", "SourceInternalIP",
            "DestinationIP", "DestinationPort", "DestinationHost", "SNI", "HTTPHost",
            "EgressIP", "EgressPort", "Tunnel", "TunnelType", "Site", "VirtualNetworkID",
            "BytesSent", "BytesReceived", "PacketsSent", "PacketsReceived",
            "ClientTCPHandshakeDurationMs", "OriginTCPHandshakeDurationMs",
            "PolicyName", "PolicyAction", "PolicyDecisionDurationNs",
            "OverrideIP", "OverridePort",
            "ConnectionCloseReason", "DetectedProtocol"),
        List.copyOf(fields.keySet()));
    assertEquals("SESSION_END", fields.get("Event"));
    assertEquals("7f3a9c", fields.get("SessionID"));
    assertEquals("2026-12-03T17:51:32.125038917Z", fields.get("SessionStartTime"));
    assertEquals(1_796_320_292_125_038_917L, fields.get("SessionStartUnixNs"));
    assertEquals("2026-12-03T17:53:02.500000000Z", fields.get("SessionEndTime"));
    assertEquals(1_796_320_382_500_000_000L, fields.get("SessionEndUnixNs"));
    assertEquals("tcp", fields.get("Transport"));
    assertEquals("198.18.40.1", fields.get("SourceIP"));
    assertEquals(51_234L, fields.get("SourcePort"));
    assertEquals("198.18.40.9", fields.get("SourceInternalIP"));
    assertEquals("198.18.20.7", fields.get("DestinationIP"));
    assertEquals(443L, fields.get("DestinationPort"));
    assertEquals("origin.example", fields.get("DestinationHost"));
    assertEquals("sni.example", fields.get("SNI"));
    assertEquals("host.example", fields.get("HTTPHost"));
    assertEquals("198.18.2.1", fields.get("EgressIP"));
    assertEquals(40_001L, fields.get("EgressPort"));
    assertEquals("branch-1", fields.get("Tunnel"));
    assertEquals("gre", fields.get("TunnelType"));
    assertEquals("branch-office", fields.get("Site"));
    assertEquals(7L, fields.get("VirtualNetworkID"));
    assertEquals(1_500L, fields.get("BytesSent"));
    assertEquals(96_000L, fields.get("BytesReceived"));
    assertEquals(12L, fields.get("PacketsSent"));
    assertEquals(70L, fields.get("PacketsReceived"));
    assertEquals(4L, fields.get("ClientTCPHandshakeDurationMs"));
    assertEquals(18L, fields.get("OriginTCPHandshakeDurationMs"));
    assertEquals("reroute-intranet", fields.get("PolicyName"));
    assertEquals("override", fields.get("PolicyAction"));
    assertEquals(2_345_678L, fields.get("PolicyDecisionDurationNs"));
    assertEquals("198.18.20.8", fields.get("OverrideIP"));
    assertEquals(8443L, fields.get("OverridePort"));
    assertEquals("ORIGIN_CLOSED", fields.get("ConnectionCloseReason"));
    assertEquals("tls", fields.get("DetectedProtocol"));
  }

  @Test
  void omitsFieldsThatAreUnknownOrUnmeasured() {
    Map<String, Object> fields = parse(line(TestRecords.start(1)));

    assertEquals(
        List.of(
            "Event", "SessionID", "SessionStartTime", "SessionStartUnixNs", "Transport",
            "SourceIP", "SourcePort", "SourceInternalIP", "DestinationIP", "DestinationPort",
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

    assertOneSafeLine(line);
    Map<String, Object> fields = parse(line);
    assertEquals(hostile, fields.get("DestinationHost"));
    assertEquals("SESSION_END", fields.get("Event"));
    assertEquals("session-1", fields.get("SessionID"));
  }

  @Test
  void keepsHostileSniAndHttpHostOnOneLineAndRoundTripsThem() {
    String sni = "a.example\u2028{\"Event\":\"SESSION_END\"}\n\u0007\u001b]0;owned\u0007";
    String httpHost = "b.example\r\nX-Injected: 1\u2029\u0085\u007f\u0000";
    TestRecords.Builder record = TestRecords.endBuilder(1);
    record.sni = sni;
    record.httpHost = httpHost;

    String line = line(record.build());

    assertOneSafeLine(line);
    Map<String, Object> fields = parse(line);
    assertEquals(sni, fields.get("SNI"));
    assertEquals(httpHost, fields.get("HTTPHost"));
    assertEquals("session-1", fields.get("SessionID"));
  }

  @Test
  void writesTheDefaultActionsVerdictWithoutPolicyNameOrOverride() {
    TestRecords.Builder record = TestRecords.endBuilder(1);
    record.policyAction = "block";
    record.policyDecisionNanos = 0;

    Map<String, Object> fields = parse(line(record.build()));

    assertFalse(fields.containsKey("PolicyName"));
    assertEquals("block", fields.get("PolicyAction"));
    assertEquals(0L, fields.get("PolicyDecisionDurationNs"));
    assertFalse(fields.containsKey("OverrideIP"));
    assertFalse(fields.containsKey("OverridePort"));
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
  void writesTimestampsInUtcWithAllNineDigitsAndAsEpochNanos() {
    TestRecords.Builder record = TestRecords.endBuilder(1);
    record.startTime = Instant.parse("2026-01-02T03:04:05.123987654Z");
    record.endTime = Instant.parse("2026-01-02T05:04:06+02:00");

    Map<String, Object> fields = parse(line(record.build()));

    assertEquals("2026-01-02T03:04:05.123987654Z", fields.get("SessionStartTime"));
    assertEquals(1_767_323_045_123_987_654L, fields.get("SessionStartUnixNs"));
    assertEquals("2026-01-02T03:04:06.000000000Z", fields.get("SessionEndTime"));
    assertEquals(1_767_323_046_000_000_000L, fields.get("SessionEndUnixNs"));
  }

  @Test
  void writesTimesBeforeTheEpochAsNegativeNanos() {
    TestRecords.Builder record = TestRecords.endBuilder(1);
    record.startTime = Instant.parse("1969-12-31T23:59:59.999999999Z");
    record.endTime = Instant.parse("1677-09-21T00:12:43.145224192Z");

    Map<String, Object> fields = parse(line(record.build()));

    assertEquals(-1L, fields.get("SessionStartUnixNs"));
    assertEquals(Long.MIN_VALUE, fields.get("SessionEndUnixNs"));
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

  /** One line, newline last, with no raw character that could break it or a terminal. */
  private static void assertOneSafeLine(String line) {
    assertEquals('\n', line.charAt(line.length() - 1));
    String body = line.substring(0, line.length() - 1);
    body.codePoints().forEach(cp -> assertTrue(
        !Character.isISOControl(cp) && cp != 0x2028 && cp != 0x2029
            && Character.getType(cp) != Character.SURROGATE,
        () -> "raw U+" + Integer.toHexString(cp) + " in " + body));
  }

  private String line(ActivityRecord record) {
    return new String(encoder.encode(record), StandardCharsets.UTF_8);
  }
}
