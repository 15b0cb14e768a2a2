package dev.gatehouse.core.tunnel;

import io.netty.buffer.ByteBuf;
import java.io.IOException;

/**
 * One configured tunnel, as every ingress implements it: outer packets in, inner IP packets
 * to the core; inner packets from the core, encapsulated and sent out.
 *
 * <p>Lifecycle: created closed by its {@link TunnelPlan}, {@link #start started} once,
 * {@link #close closed} once. Implementations keep per-peer failures to that peer: a peer
 * that misbehaves loses only its own state, never the tunnel.
 */
public interface Tunnel extends AutoCloseable {

  /** Who this tunnel is, as flows and logs name it. */
  TunnelContext context();

  /** Opens the tunnel's outer sockets and starts delivering inner packets to {@code sink}. */
  void start(InnerPacketSink sink) throws IOException;

  /**
   * Sends one inner IP packet from the core into the tunnel. Ownership of the buffer passes
   * to the tunnel. Never blocks; a packet that cannot be sent now (no peer, queue full,
   * larger than the MTU) is dropped, counted and released.
   *
   * @return whether the packet was accepted for sending
   */
  boolean send(ByteBuf innerPacket);

  /** Stops delivering, closes the outer sockets, forgets peers. Idempotent. */
  @Override
  void close();
}
