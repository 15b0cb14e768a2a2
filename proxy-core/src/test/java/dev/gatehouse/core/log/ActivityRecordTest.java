package dev.gatehouse.core.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class ActivityRecordTest {

  @Test
  void rejectsEndRecordWithoutCloseReason() {
    TestRecords.Builder record = TestRecords.endBuilder(1);
    record.closeReason = null;

    assertThrows(IllegalArgumentException.class, record::build);
  }

  @Test
  void rejectsNegativeCounter() {
    TestRecords.Builder record = TestRecords.endBuilder(1);
    record.bytesReceived = -1;

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, record::build);
    assertEquals("bytesReceived must be 0 or more: -1", e.getMessage());
  }

  @Test
  void acceptsMinusOneAsUnmeasuredDurationButNothingLower() {
    TestRecords.Builder record = TestRecords.endBuilder(1);
    record.originHandshakeMillis = -1;
    assertEquals(-1, record.build().originHandshakeMillis());

    record.originHandshakeMillis = -2;
    assertThrows(IllegalArgumentException.class, record::build);
  }

  @Test
  void rejectsActionOutsideAllowBlockOverride() {
    TestRecords.Builder record = TestRecords.endBuilder(1);
    record.policyAction = "ALLOW";
    record.policyDecisionNanos = 10;

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, record::build);
    assertTrue(e.getMessage().endsWith(": ALLOW"), e.getMessage());
  }

  @Test
  void rejectsPolicyNameWithoutAction() {
    TestRecords.Builder record = TestRecords.endBuilder(1);
    record.policyName = "block-games";

    assertThrows(IllegalArgumentException.class, record::build);
  }

  @Test
  void rejectsDecisionWithoutItsDuration() {
    TestRecords.Builder record = TestRecords.endBuilder(1);
    record.policyAction = "allow";

    assertThrows(IllegalArgumentException.class, record::build);
  }

  @Test
  void acceptsOverrideDestinationOnlyWithOverrideAction() {
    TestRecords.Builder record = TestRecords.endBuilder(1);
    record.policyAction = "allow";
    record.policyDecisionNanos = 10;
    record.overrideDestination = TestRecords.address("198.18.20.8", 443);
    assertThrows(IllegalArgumentException.class, record::build);

    record.policyAction = "override";
    assertEquals(443, record.build().overrideDestination().getPort());
  }

  @Test
  void rejectsTimeBeyondSignedNanosSinceEpoch() {
    TestRecords.Builder record = TestRecords.endBuilder(1);
    record.endTime = Instant.parse("2262-04-11T23:47:16.854775808Z");

    assertThrows(IllegalArgumentException.class, record::build);
  }

  @Test
  void rejectsMissingSourceInternalAddress() {
    TestRecords.Builder record = TestRecords.endBuilder(1);
    record.sourceInternal = null;

    assertThrows(NullPointerException.class, record::build);
  }

  @Test
  void rejectsVirtualNetworkBelowMinusOne() {
    TestRecords.Builder record = TestRecords.endBuilder(1);
    record.virtualNetwork = -2;

    assertThrows(IllegalArgumentException.class, record::build);
  }
}
