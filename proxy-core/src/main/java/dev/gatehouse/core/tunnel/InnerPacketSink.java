package dev.gatehouse.core.tunnel;

import io.netty.buffer.ByteBuf;

/** The core's side of a tunnel: where decapsulated inner IP packets go. */
@FunctionalInterface
public interface InnerPacketSink {

  /**
   * Takes one inner IPv4 or IPv6 packet, starting at the buffer's reader index. Ownership
   * of the buffer passes to the sink, which releases it. Called on the tunnel's event loop;
   * the packet has not been validated beyond what the tunnel's own format required.
   */
  void accept(TunnelContext from, ByteBuf innerPacket);
}
