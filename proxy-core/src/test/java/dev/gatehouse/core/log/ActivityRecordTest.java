package dev.gatehouse.core.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
  void rejectsVirtualNetworkBelowMinusOne() {
    TestRecords.Builder record = TestRecords.endBuilder(1);
    record.virtualNetwork = -2;

    assertThrows(IllegalArgumentException.class, record::build);
  }
}
