package dev.gatehouse.core.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.log.ActivityEvent;
import dev.gatehouse.core.log.ActivityRecord;
import dev.gatehouse.core.log.CloseReason;
import dev.gatehouse.core.tunnel.TunnelContext;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;

class FlowAccountTest {
  private static final TunnelContext BRANCH =
      new TunnelContext("branch-1", "gre", "paris", 7, 1476);
  private static final InetSocketAddress EGRESS = address("198.18.2.1", 40_001);

  @Test
  void carriesEveryFactSetIntoTheEndRecord() {
    FlowAccount account = new FlowAccount();
    account.countSent(100);
    account.countReceived(1_000);
    account.clientHandshake(3);
    account.originHandshake(12);
    account.sni("intranet.example");
    account.httpHost("plain.example");
    account.detectedProtocol("tls");
    account.decision("reroute", "override", 1_234_567);
    account.overrideDestination(address("198.18.20.8", 8443));

    ActivityRecord record = account.endRecord(tcpKey(), BRANCH, EGRESS, CloseReason.CLIENT_CLOSED);

    assertEquals(ActivityEvent.SESSION_END, record.event());
    assertEquals(account.sessionId(), record.sessionId());
    assertEquals(address("198.18.1.10", 50_000), record.source());
    assertEquals(address("198.18.1.10", 0).getAddress(), record.sourceInternal());
    assertEquals(address("198.18.20.5", 443), record.destination());
    assertEquals("intranet.example", record.destinationHost(), "the server name comes first");
    assertEquals("intranet.example", record.sni());
    assertEquals("plain.example", record.httpHost());
    assertEquals(EGRESS, record.egress());
    assertEquals("branch-1", record.tunnel());
    assertEquals("gre", record.tunnelType());
    assertEquals("paris", record.site());
    assertEquals(7, record.virtualNetwork());
    assertEquals(100, record.bytesSent());
    assertEquals(1_000, record.bytesReceived());
    assertEquals(3, record.clientHandshakeMillis());
    assertEquals(12, record.originHandshakeMillis());
    assertEquals("reroute", record.policyName());
    assertEquals("override", record.policyAction());
    assertEquals(1_234_567, record.policyDecisionNanos());
    assertEquals(address("198.18.20.8", 8443), record.overrideDestination());
    assertEquals(CloseReason.CLIENT_CLOSED, record.closeReason());
    assertEquals("tls", record.detectedProtocol());
    assertTrue(!record.endTime().isBefore(record.startTime()), record.toString());
  }

  @Test
  void leavesFactsNeverLearntUnset() {
    ActivityRecord record =
        new FlowAccount().endRecord(tcpKey(), BRANCH, null, CloseReason.ORIGIN_UNREACHABLE);

    assertNull(record.destinationHost());
    assertNull(record.sni());
    assertNull(record.httpHost());
    assertNull(record.detectedProtocol());
    assertNull(record.policyName());
    assertNull(record.policyAction());
    assertEquals(-1, record.policyDecisionNanos());
    assertNull(record.overrideDestination());
    assertNull(record.egress());
  }

  @Test
  void namesTheDestinationHostAfterTheHttpHostWithoutServerName() {
    FlowAccount account = new FlowAccount();
    account.httpHost("plain.example");

    ActivityRecord record = account.endRecord(tcpKey(), BRANCH, EGRESS, CloseReason.CLIENT_CLOSED);

    assertEquals("plain.example", record.destinationHost());
    assertNull(record.sni());
  }

  @Test
  void recordsTheDefaultActionWithoutPolicyName() {
    FlowAccount account = new FlowAccount();
    account.decision(null, "block", 0);

    ActivityRecord record = account.endRecord(tcpKey(), BRANCH, null, CloseReason.POLICY_BLOCKED);

    assertNull(record.policyName());
    assertEquals("block", record.policyAction());
    assertEquals(0, record.policyDecisionNanos());
  }

  @Test
  void leavesOutTheOverrideDestinationUnlessTheVerdictIsOverride() {
    FlowAccount account = new FlowAccount();
    account.decision("reroute", "override", 10);
    account.overrideDestination(address("198.18.20.8", 8443));
    account.decision("block-late", "block", 20);

    ActivityRecord record = account.endRecord(tcpKey(), BRANCH, null, CloseReason.POLICY_BLOCKED);

    assertEquals("block", record.policyAction());
    assertNull(record.overrideDestination());

    FlowAccount undecided = new FlowAccount();
    undecided.overrideDestination(address("198.18.20.8", 8443));
    assertNull(undecided.endRecord(tcpKey(), BRANCH, null, CloseReason.CLIENT_CLOSED)
        .overrideDestination());
  }

  @Test
  void rejectsUnknownActionAndNegativeDecisionTime() {
    FlowAccount account = new FlowAccount();

    assertThrows(IllegalArgumentException.class, () -> account.decision("p", "deny", 5));
    assertThrows(IllegalArgumentException.class, () -> account.decision("p", null, 5));
    assertThrows(IllegalArgumentException.class, () -> account.decision("p", "allow", -1));
  }

  @Test
  void writesZeroPortsForIcmpButKeepsTheInternalSource() {
    FlowKey key = new FlowKey(Transport.ICMP, address("198.18.1.10", 0).getAddress(), 0x1234,
        address("198.18.20.5", 0).getAddress(), 0, "branch-1", 7);

    ActivityRecord record =
        new FlowAccount().endRecord(key, BRANCH, EGRESS, CloseReason.CLIENT_IDLE_TIMEOUT);

    assertEquals("icmp", record.transport());
    assertEquals(0, record.source().getPort());
    assertEquals(0, record.destination().getPort());
    assertEquals(key.source(), record.sourceInternal());
  }

  /**
   * A clock that only ticked in milliseconds would start every flow on a whole
   * millisecond. With the nanosecond clock a start falls on one by chance once in a
   * million (once in a thousand with a microsecond clock), so more than a few of 100
   * is no accident.
   */
  @Test
  void startsFlowsWithSubMillisecondPrecision() {
    int flows = 100;
    int onWholeMillisecond = 0;
    for (int i = 0; i < flows; i++) {
      ActivityRecord record =
          new FlowAccount().endRecord(tcpKey(), BRANCH, null, CloseReason.CLIENT_CLOSED);
      if (ActivityRecord.epochNanos(record.startTime()) % 1_000_000 == 0) {
        onWholeMillisecond++;
      }
    }

    assertTrue(onWholeMillisecond <= 5, onWholeMillisecond + " of " + flows);
  }

  private static FlowKey tcpKey() {
    return new FlowKey(Transport.TCP, address("198.18.1.10", 0).getAddress(), 50_000,
        address("198.18.20.5", 0).getAddress(), 443, "branch-1", 7);
  }

  private static InetSocketAddress address(String literal, int port) {
    try {
      // a literal never causes a lookup
      return new InetSocketAddress(InetAddress.getByName(literal), port);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an address literal: " + literal, e);
    }
  }
}
