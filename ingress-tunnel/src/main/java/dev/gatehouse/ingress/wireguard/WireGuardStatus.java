package dev.gatehouse.ingress.wireguard;

import dev.gatehouse.core.tunnel.StatusCounters;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.tunnel.TunnelStatus;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.ToLongFunction;

/**
 * A WireGuard tunnel's {@link TunnelStatus}, from what {@link WireGuardTunnel} shows.
 *
 * <p>The tunnel's counters: {@code packets.*} and {@code bytes.*} are the device's datagrams,
 * whole UDP payloads, "in" only once authenticated; then one {@code drops.REASON} per {@link
 * WireGuardDropReason} (the engine's), then one per {@link WireGuardTunnelDropReason}
 * (cryptokey routing and framing around it). The one name both have, {@code
 * drops.in-source-not-allowed}, shows their sum, which counts each drop once: only the tunnel
 * counts it at the tunnel's level. A peer's counters are the same, for its datagrams and the
 * engine's drops of them; its name is its configured name or the start of its public key,
 * never a private or preshared key.
 */
final class WireGuardStatus {
  private static final long NANOS_PER_MILLI = 1_000_000L;

  private WireGuardStatus() {}

  /**
   * The status of a tunnel.
   *
   * @param deviceCounters the device's counters; null before start, which shows zeros
   * @param tunnelDrops the drops around the engine, by reason
   * @param peers the peers, in the configuration's order
   * @param wallClockOffsetNanos added to a {@code System.nanoTime()} reading, nanoseconds since
   *     1970: taken once for the whole status, so that its peers' handshakes compare
   */
  static TunnelStatus of(TunnelContext context, boolean running, WireGuardCounters deviceCounters,
      ToLongFunction<WireGuardTunnelDropReason> tunnelDrops, List<WireGuardTunnel.PeerStatus> peers,
      long wallClockOffsetNanos) {
    StatusCounters counters = new StatusCounters();
    if (deviceCounters == null) {
      counters.traffic(0, 0, 0, 0).drops(WireGuardDropReason.class, reason -> 0);
    } else {
      engine(counters, deviceCounters);
    }
    counters.drops(WireGuardTunnelDropReason.class, tunnelDrops);
    List<TunnelStatus.Peer> peerStatus = peers.stream().map(peer -> peer(peer, wallClockOffsetNanos)).toList();
    return TunnelStatus.of(context, running, counters.build(), Optional.empty(), peerStatus);
  }

  private static TunnelStatus.Peer peer(WireGuardTunnel.PeerStatus peer, long wallClockOffsetNanos) {
    OptionalLong handshake = peer.latestHandshakeNanos() == Long.MIN_VALUE
        ? OptionalLong.empty()
        : OptionalLong.of(Math.floorDiv(peer.latestHandshakeNanos() + wallClockOffsetNanos, NANOS_PER_MILLI));
    Map<String, Long> counters = engine(new StatusCounters(), peer.counters()).build();
    return new TunnelStatus.Peer(peer.label(), Optional.ofNullable(peer.endpoint()), handshake, counters);
  }

  /** Traffic, then the engine's drops by reason. */
  private static StatusCounters engine(StatusCounters into, WireGuardCounters counters) {
    return into.traffic(counters.packetsIn(), counters.bytesIn(), counters.packetsOut(), counters.bytesOut())
        .drops(WireGuardDropReason.class, counters::drops);
  }
}
