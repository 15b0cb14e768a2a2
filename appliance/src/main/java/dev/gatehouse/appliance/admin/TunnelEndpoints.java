package dev.gatehouse.appliance.admin;

import static dev.gatehouse.appliance.admin.AdminServer.jsonEscape;

import dev.gatehouse.core.tunnel.TunnelStatus;
import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The JSON body of {@code GET /tunnels}: every tunnel's {@link TunnelStatus}, in the order of
 * the configuration. Field names are stable; a field that has no value is {@code null}, never
 * left out. Times are UTC with milliseconds; counters keep the status's order.
 *
 * <pre>
 * {"tunnels":[{"name":"sites","type":"wireguard","site":"lyon","running":true,
 *   "counters":{"packets.in":12,"bytes.in":1840,...,"drops.in-source-not-allowed":0,...},
 *   "health":null,
 *   "peers":[{"name":"lyon-router","endpoint":"198.18.0.2:51820",
 *     "latest-handshake":"2025-03-01T10:00:00.123Z","counters":{"packets.in":12,...}}]}]}
 * </pre>
 *
 * A health, when the type checks one: {@code {"state":"healthy","since":"...","history":
 * [{"state":"down","since":"..."}]}}, the history oldest first.
 */
final class TunnelEndpoints {
  private static final DateTimeFormatter UTC_MILLIS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private TunnelEndpoints() {}

  /** Every tunnel's status as one document. */
  static String describe(List<TunnelStatus> tunnels) {
    return "{\"tunnels\":" + array(tunnels, TunnelEndpoints::tunnel) + "}";
  }

  private static String tunnel(TunnelStatus status) {
    return "{\"name\":" + string(status.name())
        + ",\"type\":" + string(status.type())
        + ",\"site\":" + string(status.site())
        + ",\"running\":" + status.running()
        + ",\"counters\":" + counters(status.counters())
        + ",\"health\":" + status.health().map(TunnelEndpoints::health).orElse("null")
        + ",\"peers\":" + array(status.peers(), TunnelEndpoints::peer) + "}";
  }

  private static String peer(TunnelStatus.Peer peer) {
    return "{\"name\":" + string(peer.name())
        + ",\"endpoint\":" + endpoint(peer.endpoint())
        + ",\"latest-handshake\":" + time(peer.latestHandshakeEpochMillis())
        + ",\"counters\":" + counters(peer.counters()) + "}";
  }

  private static String health(TunnelStatus.Health health) {
    return "{\"state\":" + string(health.state())
        + ",\"since\":" + time(OptionalLong.of(health.sinceEpochMillis()))
        + ",\"history\":" + array(health.history(), change -> "{\"state\":" + string(change.state())
            + ",\"since\":" + time(OptionalLong.of(change.sinceEpochMillis())) + "}")
        + "}";
  }

  private static String counters(Map<String, Long> counters) {
    return counters.entrySet().stream().map(e -> string(e.getKey()) + ":" + e.getValue())
        .collect(Collectors.joining(",", "{", "}"));
  }

  private static String endpoint(Optional<InetSocketAddress> endpoint) {
    return endpoint.map(address -> string(NetUtil.toSocketAddressString(address))).orElse("null");
  }

  private static String time(OptionalLong epochMillis) {
    return epochMillis.isPresent() ? string(UTC_MILLIS.format(Instant.ofEpochMilli(epochMillis.getAsLong()))) : "null";
  }

  private static <T> String array(List<T> items, Function<T, String> json) {
    return items.stream().map(json).collect(Collectors.joining(",", "[", "]"));
  }

  private static String string(String text) {
    return "\"" + jsonEscape(text) + "\"";
  }
}
