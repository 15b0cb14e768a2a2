package dev.gatehouse.appliance.reload;

import dev.gatehouse.core.tunnel.Tunnel;
import java.util.Optional;

/** The tunnels the appliance runs, by name, for a reload to offer their new plans to. */
@FunctionalInterface
public interface RunningTunnels {

  /** No tunnels: a reload names every changed tunnel as needing a restart. */
  RunningTunnels NONE = name -> Optional.empty();

  /** The running tunnel named {@code name}, or empty. */
  Optional<Tunnel> find(String name);
}
