package dev.gatehouse.core.flow;

import dev.gatehouse.core.tunnel.TunnelContext;
import io.netty.buffer.ByteBuf;

/** Where the engines send inner packets back to clients: into the tunnel a flow came from. */
@FunctionalInterface
public interface ReturnPath {

  /**
   * Sends one inner IP packet into the tunnel {@code to} names. Ownership of the buffer
   * passes to the return path, which releases it whatever happens.
   *
   * @return the drop reason if the packet was not taken, else {@code null}
   */
  DropReason send(TunnelContext to, ByteBuf packet);
}
