package dev.gatehouse.core.tunnel;

import io.netty.channel.EventLoopGroup;
import java.io.IOException;

/**
 * A tunnel whose configuration was read and validated, not yet opened. Plans are part of an
 * immutable configuration snapshot: validating a new file builds new plans and touches no
 * running tunnel.
 */
public interface TunnelPlan {

  /** The identity the tunnel will have. */
  TunnelContext context();

  /** Creates the tunnel, closed; its I/O runs on {@code loops}. */
  Tunnel create(EventLoopGroup loops) throws IOException;
}
