package dev.gatehouse.ingress.wireguard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.gatehouse.core.tunnel.StatusCounters;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.tunnel.TunnelStatus;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** How a WireGuard tunnel's status is assembled: names, the layers' drops, the handshake's clock. */
class WireGuardStatusTest {
  private static final TunnelContext CONTEXT = new TunnelContext("sites", "wireguard", "lyon", 3, 1420);
  /** 2025-03-01T10:00:00Z in nanoseconds, minus a nanoTime reading of 5 s. */
  private static final long OFFSET_NANOS = 1_740_823_200_000L * 1_000_000L - 5_000_000_000L;

  @Test
  void namesTheEnginesDropsThenTheTunnelsAndSumsTheOneNameBothHave() {
    WireGuardCounters device = new WireGuardCounters();
    device.packetIn(148);
    device.packetOut(92);
    device.drop(WireGuardDropReason.BAD_TYPE);

    TunnelStatus status = WireGuardStatus.of(CONTEXT, true, device,
        reason -> reason == WireGuardTunnelDropReason.IN_SOURCE_NOT_ALLOWED ? 3 : 0, List.of(), OFFSET_NANOS);

    List<String> expected = new ArrayList<>(List.of("packets.in", "bytes.in", "packets.out", "bytes.out"));
    Arrays.stream(WireGuardDropReason.values()).map(StatusCounters::dropName).forEach(expected::add);
    Arrays.stream(WireGuardTunnelDropReason.values()).map(StatusCounters::dropName)
        .filter(name -> !expected.contains(name)).forEach(expected::add);
    assertEquals(expected, List.copyOf(status.counters().keySet()));
    assertEquals(List.of(1L, 148L, 1L, 92L), List.copyOf(status.counters().values()).subList(0, 4));
    assertEquals(1L, status.counters().get("drops.bad-type"));
    assertEquals(3L, status.counters().get("drops.in-source-not-allowed"));
    assertEquals(List.of("sites", "wireguard", "lyon"), List.of(status.name(), status.type(), status.site()));
  }

  @Test
  void showsZerosBeforeTheDeviceExists() {
    TunnelStatus status = WireGuardStatus.of(CONTEXT, false, null, reason -> 0, List.of(), OFFSET_NANOS);

    assertFalse(status.running());
    assertEquals(4 + WireGuardDropReason.values().length + WireGuardTunnelDropReason.values().length - 1,
        status.counters().size());
    assertEquals(List.of(0L), status.counters().values().stream().distinct().toList());
  }

  @Test
  void putsEachPeersHandshakeOnTheWallClockWithOneOffset() {
    WireGuardCounters counters = new WireGuardCounters();
    counters.packetIn(32);
    counters.drop(WireGuardDropReason.IN_SOURCE_NOT_ALLOWED);
    InetSocketAddress endpoint = new InetSocketAddress("198.18.0.2", 51820);
    List<WireGuardTunnel.PeerStatus> peers = List.of(
        new WireGuardTunnel.PeerStatus("lyon", endpoint, 5_000_999_999L, 0, counters),
        new WireGuardTunnel.PeerStatus("early", null, -2_000_000_001L, 0, new WireGuardCounters()),
        new WireGuardTunnel.PeerStatus("idle", null, Long.MIN_VALUE, 0, new WireGuardCounters()));

    TunnelStatus status = WireGuardStatus.of(CONTEXT, true, new WireGuardCounters(), reason -> 0, peers,
        OFFSET_NANOS);

    TunnelStatus.Peer lyon = status.peers().get(0);
    assertEquals("lyon", lyon.name());
    assertEquals(Optional.of(endpoint), lyon.endpoint());
    assertEquals(OptionalLong.of(1_740_823_200_000L), lyon.latestHandshakeEpochMillis(), "rounded down");
    assertEquals(1L, lyon.counters().get("packets.in"));
    assertEquals(1L, lyon.counters().get("drops.in-source-not-allowed"));
    assertEquals(4 + WireGuardDropReason.values().length, lyon.counters().size());
    // 7.000000001 s before the first handshake's clock reading: rounded down
    assertEquals(OptionalLong.of(1_740_823_192_999L), status.peers().get(1).latestHandshakeEpochMillis());
    assertEquals(Optional.empty(), status.peers().get(1).endpoint());
    assertEquals(OptionalLong.empty(), status.peers().get(2).latestHandshakeEpochMillis());
  }
}
