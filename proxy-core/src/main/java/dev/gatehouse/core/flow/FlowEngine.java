package dev.gatehouse.core.flow;

import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.wire.IpPacket;

/**
 * Makes flows of one transport. Shared by every event loop; what it keeps across loops
 * (a flow count, settings) it keeps thread-safe.
 */
public interface FlowEngine {

  /**
   * Opens the flow a client's first packet starts, on {@code loop}'s thread. The loop then
   * puts the flow in its table and hands it {@code first} through {@link Flow#receive}.
   * Returns {@code null} when no flow is made; the engine has then counted the drop.
   */
  Flow open(FlowKey key, TunnelContext from, IpPacket first, FlowLoop loop);
}
