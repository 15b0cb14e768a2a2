package dev.gatehouse.ingress.wireguard;

import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;

/**
 * Where a {@link WireGuardDevice} puts what it produces. Every call hands over a buffer the
 * callee then owns and releases. Calls come on the device's thread, during a {@code
 * receive}, {@code send} or {@code tick}; a callee must not call back into the device.
 */
public interface WireGuardOutput {

  /**
   * Sends {@code datagram} (a whole UDP payload) to {@code endpoint}. {@code peer} is null
   * for a cookie reply, which answers a source before any peer is known (§5.4.7).
   */
  void send(WireGuardPeer peer, InetSocketAddress endpoint, ByteBuf datagram);

  /**
   * Delivers an inner IP packet that arrived from {@code peer}. It may end in up to 15 zero
   * bytes of padding (whitepaper §5.4.6): its IP header's length says where it ends.
   * Cryptokey routing (is the source address one the peer may use?) is the caller's.
   */
  void deliver(WireGuardPeer peer, ByteBuf innerPacket);

  /** The peer's endpoint became {@code endpoint}: an authenticated packet came from it (§2.1). */
  default void endpointChanged(WireGuardPeer peer, InetSocketAddress endpoint) {}

  /** A datagram or packet was dropped and counted; for logging at DEBUG at most. */
  default void dropped(WireGuardPeer peerOrNull, WireGuardDropReason reason) {}
}
