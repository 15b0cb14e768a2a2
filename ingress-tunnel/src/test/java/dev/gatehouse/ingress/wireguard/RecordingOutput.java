package dev.gatehouse.ingress.wireguard;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/** Keeps what a device produced, as byte arrays; releases every buffer at once. */
final class RecordingOutput implements WireGuardOutput {

  record Sent(WireGuardPeer peer, InetSocketAddress endpoint, byte[] bytes) {
    int type() {
      return bytes[0];
    }
  }

  record Delivered(WireGuardPeer peer, byte[] bytes) {}

  final ArrayDeque<Sent> sent = new ArrayDeque<>();
  final List<Delivered> delivered = new ArrayList<>();
  final List<InetSocketAddress> endpointChanges = new ArrayList<>();
  final List<WireGuardDropReason> drops = new ArrayList<>();

  @Override
  public void send(WireGuardPeer peer, InetSocketAddress endpoint, ByteBuf datagram) {
    try {
      sent.addLast(new Sent(peer, endpoint, ByteBufUtil.getBytes(datagram)));
    } finally {
      datagram.release();
    }
  }

  @Override
  public void deliver(WireGuardPeer peer, ByteBuf innerPacket) {
    try {
      delivered.add(new Delivered(peer, ByteBufUtil.getBytes(innerPacket)));
    } finally {
      innerPacket.release();
    }
  }

  @Override
  public void endpointChanged(WireGuardPeer peer, InetSocketAddress endpoint) {
    endpointChanges.add(endpoint);
  }

  @Override
  public void dropped(WireGuardPeer peerOrNull, WireGuardDropReason reason) {
    drops.add(reason);
  }

  Sent take() {
    Sent s = sent.pollFirst();
    if (s == null) {
      throw new AssertionError("the device sent nothing");
    }
    return s;
  }
}
