package dev.gatehouse.ingress.wireguard;

import dev.gatehouse.core.tunnel.TrafficCounters;

/**
 * What a device, or one of its peers, moved and dropped. "In" counts authenticated
 * datagrams received, "out" datagrams sent, with their whole UDP payload; drops are counted
 * by {@link WireGuardDropReason}. Written by the device's thread, read by anyone (metrics),
 * each value on its own.
 */
public final class WireGuardCounters extends TrafficCounters<WireGuardDropReason> {
  WireGuardCounters() {
    super(WireGuardDropReason.class);
  }
}
