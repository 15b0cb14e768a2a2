package dev.gatehouse.core.flow;

import dev.gatehouse.core.log.CloseReason;
import dev.gatehouse.core.policy.FlowDescription;
import dev.gatehouse.core.wire.IpPacket;

/**
 * One terminated flow, owned by the event loop its key spreads to: every method is called
 * on that loop, so a flow's state needs no lock.
 */
public interface Flow {

  /**
   * Takes one more client packet of this flow, already validated (headers, checksums).
   * The packet's buffer stays the caller's: a flow that keeps bytes retains or copies them.
   */
  void receive(IpPacket packet);

  /**
   * Ends the flow for {@code reason}: closes its origin socket, writes its activity record
   * and leaves the flow table. Closing an ended flow does nothing.
   */
  void close(CloseReason reason);

  /**
   * What the flow's policies see of it, for deciding again whether it may go on when the
   * policies are replaced; null for a flow that is already blocked.
   */
  default FlowDescription description() {
    return null;
  }
}
