package dev.gatehouse.core.tunnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class TunnelStatusTest {
  private static final TunnelContext CONTEXT = new TunnelContext("branch-1", "gre", "paris", 3, 1476);

  private enum Reason { IN_SOURCE_NOT_ALLOWED, OUT_NO_PEER }

  private static final class Counters extends TrafficCounters<Reason> {
    Counters() {
      super(Reason.class);
    }
  }

  @Test
  void namesTrafficThenEveryDropReasonInTheEnumsOrderInLowerCaseKebab() {
    Counters counters = new Counters();
    counters.packetIn(100);
    counters.packetIn(60);
    counters.packetOut(1400);
    counters.drop(Reason.OUT_NO_PEER);

    Map<String, Long> named = new StatusCounters().traffic(counters).add("read-errors", 4).build();

    assertEquals(List.of("packets.in", "bytes.in", "packets.out", "bytes.out", "drops.in-source-not-allowed",
        "drops.out-no-peer", "read-errors"), List.copyOf(named.keySet()));
    assertEquals(List.of(2L, 160L, 1L, 1400L, 0L, 1L, 4L), List.copyOf(named.values()));
  }

  @Test
  void sumsTwoLayersThatNameOneDropAlikeInTheFirstOnesPlace() {
    Map<String, Long> named = new StatusCounters()
        .drops(Reason.class, reason -> reason == Reason.OUT_NO_PEER ? 2 : 0)
        .add("drops.in-source-not-allowed", 5)
        .build();

    assertEquals(Map.of("drops.in-source-not-allowed", 5L, "drops.out-no-peer", 2L), named);
    assertEquals("drops.in-source-not-allowed", named.keySet().iterator().next());
  }

  @Test
  void keepsTheCountersOrderAndCannotBeChanged() {
    Map<String, Long> counters = new LinkedHashMap<>();
    IntStream.range(0, 20).forEach(i -> counters.put("c" + (19 - i), (long) i));

    TunnelStatus status = TunnelStatus.of(CONTEXT, true, counters, Optional.empty(), List.of());
    counters.put("later", 1L);

    assertEquals(IntStream.range(0, 20).mapToObj(i -> "c" + (19 - i)).toList(),
        List.copyOf(status.counters().keySet()));
    assertThrows(UnsupportedOperationException.class, () -> status.counters().put("x", 1L));
    assertThrows(UnsupportedOperationException.class, () -> status.peers().add(null));
    assertEquals(List.of("branch-1", "gre", "paris"), List.of(status.name(), status.type(), status.site()));
  }

  @Test
  void refusesCounterNamesOutsideItsLanguage() {
    for (String bad : List.of("Packets.in", "drops.IN_NOT_IP", "drops..x", "bytes in", "-x", "x.", "")) {
      assertThrows(IllegalArgumentException.class,
          () -> TunnelStatus.of(CONTEXT, true, Map.of(bad, 1L), Optional.empty(), List.of()), bad);
    }
    TunnelStatus.of(CONTEXT, true, Map.of("drops.in-not-ip", 0L, "mss-clamped", 2L), Optional.empty(), List.of());
  }

  @Test
  void copiesPeersAndTheirCounters() {
    Map<String, Long> peerCounters = new LinkedHashMap<>(Map.of("packets.in", 3L));
    TunnelStatus.Peer peer = new TunnelStatus.Peer("lyon", Optional.of(new InetSocketAddress("198.18.0.2", 51820)),
        OptionalLong.of(1_740_823_200_123L), peerCounters);
    List<TunnelStatus.Peer> peers = new ArrayList<>(List.of(peer));

    TunnelStatus status = TunnelStatus.of(CONTEXT, true, Map.of(), Optional.empty(), peers);
    peers.clear();
    peerCounters.put("packets.in", 4L);

    assertEquals(List.of(peer), status.peers());
    assertEquals(Map.of("packets.in", 3L), status.peers().getFirst().counters());
  }

  @Test
  void keepsTheLatestHistoryOfAHealthOldestFirst() {
    List<TunnelStatus.HealthChange> history = IntStream.range(0, 20)
        .mapToObj(i -> new TunnelStatus.HealthChange(i % 2 == 0 ? "healthy" : "down", 1_000L * i)).toList();

    TunnelStatus.Health health = new TunnelStatus.Health("degraded", 20_000, history);

    assertEquals(TunnelStatus.Health.HISTORY_LIMIT, health.history().size());
    assertEquals(history.subList(4, 20), health.history());
  }

  @Test
  void refusesAHealthWhoseHistoryIsOutOfOrderOrWhoseStateIsNoWord() {
    TunnelStatus.HealthChange early = new TunnelStatus.HealthChange("healthy", 1_000);
    TunnelStatus.HealthChange late = new TunnelStatus.HealthChange("down", 2_000);

    assertThrows(IllegalArgumentException.class, () -> new TunnelStatus.Health("healthy", 3_000, List.of(late, early)));
    assertThrows(IllegalArgumentException.class, () -> new TunnelStatus.Health("healthy", 1_500, List.of(early, late)));
    assertThrows(IllegalArgumentException.class, () -> new TunnelStatus.Health("Healthy", 3_000, List.of()));
    assertThrows(IllegalArgumentException.class, () -> new TunnelStatus.HealthChange("half up", 3_000));
    assertEquals(List.of(early, late), new TunnelStatus.Health("degraded", 2_000, List.of(early, late)).history());
  }

  @Test
  void aTunnelThatReportsNothingShowsItsIdentityOnly() {
    Tunnel silent = new Tunnel() {
      @Override
      public TunnelContext context() {
        return CONTEXT;
      }

      @Override
      public void start(InnerPacketSink sink) {}

      @Override
      public boolean send(ByteBuf innerPacket) {
        innerPacket.release();
        return false;
      }

      @Override
      public void close() {}
    };

    TunnelStatus status = silent.status();

    assertEquals("branch-1", status.name());
    assertFalse(status.running());
    assertTrue(status.counters().isEmpty() && status.peers().isEmpty() && status.health().isEmpty());
  }
}
