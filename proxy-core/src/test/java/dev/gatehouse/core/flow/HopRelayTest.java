package dev.gatehouse.core.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gatehouse.core.flow.HopRelay.Verdict;
import dev.gatehouse.core.linux.ErrorQueue;
import dev.gatehouse.core.linux.ErrorQueue.QueuedError;
import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What each queued error means to the flow that sent the packet to 198.18.97.2 / 2001:2::2. */
class HopRelayTest {

  @ParameterizedTest
  @CsvSource({
      // origin, type, code, offender, verdict
      "2, 11, 0, 198.18.96.1, RELAY",                   // time exceeded from a router
      "2, 11, 1, 198.18.97.2, RELAY",                   // reassembly time exceeded, destination
      "2, 3, 1, 198.18.96.1, RELAY",                    // host unreachable from a router
      "2, 3, 3, 198.18.97.2, DESTINATION_REFUSED",      // port unreachable from the destination
      "2, 3, 10, 198.18.97.2, DESTINATION_UNREACHABLE", // host prohibited by the destination
      "2, 3, 4, 198.18.96.1, IGNORE",                   // fragmentation needed: our path MTU
      "2, 12, 0, 198.18.96.1, IGNORE",                  // parameter problem
      "1, 0, 0, 198.18.96.1, IGNORE",                   // local error
      "3, 3, 0, 2001:2::1, RELAY",                      // ICMPv6 hop limit exceeded
      "3, 1, 4, 2001:2::2, DESTINATION_REFUSED",        // ICMPv6 port unreachable
      "3, 1, 1, 2001:2::2, DESTINATION_UNREACHABLE",    // ICMPv6 administratively prohibited
      "3, 1, 3, 2001:2::1, RELAY",                      // ICMPv6 address unreachable, a hop
      "3, 2, 0, 2001:2::1, IGNORE",                     // ICMPv6 packet too big
  })
  void decidesByTypeCodeAndOffender(int origin, int type, int code, String offender,
      Verdict expected) throws Exception {
    InetAddress offenderAddress = InetAddress.getByName(offender);
    InetAddress destination = InetAddress.getByName(
        origin == ErrorQueue.ORIGIN_ICMP6 ? "2001:2::2" : "198.18.97.2");
    QueuedError error = new QueuedError(113, origin, type, code, offenderAddress,
        ErrorQueue.NO_SEQUENCE);

    assertEquals(expected, HopRelay.verdict(error, destination));
  }

  @ParameterizedTest
  @CsvSource({"2, 11", "3, 3"})
  void ignoresAnErrorWithoutAnOffender(int origin, int type) throws Exception {
    QueuedError error = new QueuedError(113, origin, type, 0, null, ErrorQueue.NO_SEQUENCE);

    assertEquals(Verdict.IGNORE, HopRelay.verdict(error, InetAddress.getByName("198.18.97.2")));
  }
}
