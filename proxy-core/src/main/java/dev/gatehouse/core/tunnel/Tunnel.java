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

  /**
   * Applies what it can of {@code newPlan}, a later plan for this same tunnel (same name)
   * read from a reloaded configuration, without disturbing what did not change: a peer whose
   * settings are the same keeps its sessions and flows. Called off the event loops (it may
   * wait for the tunnel's loop); calling it again with the same plan changes nothing.
   *
   * <p>The default applies nothing: every change to a tunnel of this type needs a restart.
   *
   * @return what was applied and which changed settings still need a restart
   */
  default TunnelReconfiguration reconfigure(TunnelPlan newPlan) {
    return TunnelReconfiguration.NOT_IN_PLACE;
  }

  /**
   * What the tunnel shows an operator now: its counters, health and peers ({@link
   * TunnelStatus} says how they are named). Callable from any thread, before start, while
   * running and after close; it may wait briefly for the tunnel's own thread to read what
   * that thread owns (a WireGuard tunnel's peers), so a caller on an event loop must not call
   * it (two loops could wait for each other). Never shows a secret.
   *
   * <p>The default shows the tunnel's identity only ({@link TunnelStatus#identityOnly}).
   */
  default TunnelStatus status() {
    return TunnelStatus.identityOnly(context());
  }

  /** Stops delivering, closes the outer sockets, forgets peers. Idempotent. */
  @Override
  void close();
}
