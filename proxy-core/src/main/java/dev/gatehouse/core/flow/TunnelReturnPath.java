package dev.gatehouse.core.flow;

import dev.gatehouse.core.tunnel.Tunnel;
import dev.gatehouse.core.tunnel.TunnelContext;
import io.netty.buffer.ByteBuf;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The return path through running tunnels, by name. Tunnels are added once started and
 * removed before they close; a packet for a tunnel that is not there is dropped.
 */
public final class TunnelReturnPath implements ReturnPath {

  private final Map<String, Tunnel> tunnels = new ConcurrentHashMap<>();

  /** Makes {@code tunnel} reachable under its context's name. */
  public void add(Tunnel tunnel) {
    tunnels.put(tunnel.context().name(), tunnel);
  }

  /** Stops sending into {@code tunnel}. */
  public void remove(Tunnel tunnel) {
    tunnels.remove(tunnel.context().name(), tunnel);
  }

  @Override
  public DropReason send(TunnelContext to, ByteBuf packet) {
    Tunnel tunnel = tunnels.get(to.name());
    if (tunnel == null) {
      packet.release();
      return DropReason.NO_TUNNEL;
    }
    return tunnel.send(packet) ? null : DropReason.TUNNEL_REFUSED;
  }
}
