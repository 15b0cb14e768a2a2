package dev.gatehouse.core.udp;

import dev.gatehouse.core.flow.Admission;
import dev.gatehouse.core.flow.DatagramOriginFlow;
import dev.gatehouse.core.flow.DropReason;
import dev.gatehouse.core.flow.FlowKey;
import dev.gatehouse.core.flow.FlowLoop;
import dev.gatehouse.core.flow.HopRelay;
import dev.gatehouse.core.flow.IdleTimer;
import dev.gatehouse.core.flow.OriginChannels;
import dev.gatehouse.core.linux.ErrorQueue.QueuedError;
import dev.gatehouse.core.linux.SocketOptions;
import dev.gatehouse.core.log.ActivityLog;
import dev.gatehouse.core.log.CloseReason;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.wire.IcmpError;
import dev.gatehouse.core.wire.IpPacket;
import dev.gatehouse.core.wire.UdpDatagram;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;

/**
 * One UDP flow: the client's datagrams go out, payload only, through a socket of ours
 * connected to the destination; the origin's replies come back as UDP packets from the
 * destination's address and port to the client's. Lives on its loop, with its socket.
 *
 * <p>The idle timeout is an {@link IdleTimer}: one scheduled task per session, pushed back
 * lazily.
 *
 * <p>An ICMP port unreachable from the origin reaches a connected socket as ECONNREFUSED on
 * its next receive or send (udp(7)); the session answers the client with its own ICMP
 * port unreachable (RFC 1122 §4.1.3.1 has a host report it), quoting the client's last
 * datagram as the origin's message quoted ours, and ends as
 * {@link CloseReason#PROXY_CONN_REFUSED}.
 *
 * <p>On epoll the socket is a {@link HopRelay}'s: each datagram leaves with the client's
 * TTL, and the ICMP errors about it come off the socket's error queue with their sender. A
 * time exceeded or unreachable from a hop is relayed to the client from that hop, quoting
 * the client's last datagram, and the session goes on; a port unreachable from the
 * destination ends it as above, any other unreachable from the destination is relayed and
 * ends it as {@link CloseReason#ORIGIN_UNREACHABLE}. On NIO datagrams keep the kernel's
 * default TTL and only the port unreachable is seen.
 */
final class UdpSession extends DatagramOriginFlow {

  private final UdpSettings settings;
  // The client's latest datagram, whole, to quote in an ICMP error about it.
  private ByteBuf lastClientPacket;

  UdpSession(FlowKey key, TunnelContext from, FlowLoop loop, UdpSettings settings, Admission admission,
      ActivityLog activityLog, Runnable onEnd) {
    super(key, from, loop, admission, settings.idleTimeout(), activityLog, onEnd);
    this.settings = settings;
  }

  /**
   * Opens, binds and connects the origin socket. On this loop's thread registration, bind
   * and connect of a datagram socket complete before the calls return, so a failure is
   * known here; the session is then over and has released everything.
   */
  boolean connect() {
    ChannelFuture registered =
        register(OriginChannels.newDatagramChannel(loop.eventLoop(), origin.getAddress()));
    try {
      if (!registered.isSuccess()) {
        throw new IOException("cannot register the origin socket", registered.cause());
      }
      bindToInterface();
      attachHopRelay("UDP origin socket");
      ChannelFuture connected = channel().connect(
          origin, localAddress());
      if (!connected.isSuccess()) {
        throw new IOException("cannot connect to the origin", connected.cause());
      }
    } catch (IOException e) {
      log.debug("tunnel={} flow={} event=origin-unavailable cause={}", from.name(),
          account.sessionId(), String.valueOf(e.getCause() == null ? e : e.getCause()));
      abandon();
      return false;
    }
    started();
    log.debug("tunnel={} flow={} event=start source={} destination={} egress={}", from.name(),
        account.sessionId(), key.source(), key.destination(), egress());
    return true;
  }

  private void bindToInterface() throws IOException {
    if (settings.interfaceName() == null) {
      return;
    }
    if (!(channel() instanceof EpollDatagramChannel epoll)) {
      throw new IOException("binding to interface " + settings.interfaceName()
          + " needs the epoll transport");
    }
    SocketOptions.bindToDevice(epoll.fd().intValue(), settings.interfaceName(), "UDP origin socket");
  }

  private InetSocketAddress localAddress() {
    InetAddress source = origin.getAddress() instanceof Inet4Address ? settings.sourceV4() : settings.sourceV6();
    return source == null ? null : new InetSocketAddress(source, 0);
  }

  @Override
  public void receive(IpPacket packet) {
    if (isClosed()) {
      return;
    }
    ByteBuf buffer = packet.buffer();
    int udpOffset = packet.payloadOffset();
    int udpLength = buffer.getUnsignedShort(udpOffset + UdpDatagram.LENGTH_OFFSET);
    int payloadBytes = udpLength - UdpDatagram.HEADER_LENGTH_BYTES;
    rememberClientPacket(packet);

    if (!channel().isWritable()) {
      loop.drop(from, DropReason.ORIGIN_SEND_FAILED);
      return;
    }
    idleTimer.touch();
    applyHopLimit(packet.hopLimit());
    account.countSent(payloadBytes);
    sendToOrigin(buffer.retainedSlice(udpOffset + UdpDatagram.HEADER_LENGTH_BYTES, payloadBytes));
  }

  /** The connected socket sends the payload as it is. */
  @Override
  protected Object originMessage(ByteBuf payload) {
    return payload;
  }

  private void rememberClientPacket(IpPacket packet) {
    int start = packet.isIpv4() ? packet.ipv4().offset() : packet.ipv6().offset();
    int end = packet.payloadOffset() + packet.payloadLengthBytes();
    if (lastClientPacket != null) {
      lastClientPacket.release();
    }
    lastClientPacket = packet.buffer().retainedSlice(start, end - start);
  }

  @Override
  protected void fromOrigin(Object message) {
    if (message instanceof DatagramPacket datagram) {
      fromOrigin(datagram.content());
    } else if (message instanceof ByteBuf payload) {
      fromOrigin(payload);
    }
  }

  private void fromOrigin(ByteBuf payload) {
    idleTimer.touch();
    account.countReceived(payload.readableBytes());
    ByteBuf reply = loop.writer().udp(key.destination(), key.destinationPort(), key.source(),
        key.sourcePort(), payload);
    loop.sendToClient(from, reply);
  }

  private void originRefused() {
    if (lastClientPacket != null) {
      InetAddress reporter = key.destination();
      ByteBuf error = loop.writer().icmpError(IcmpError.PORT_UNREACHABLE, reporter,
          lastClientPacket, lastClientPacket.readerIndex(), lastClientPacket.readableBytes());
      loop.sendToClient(from, error);
    }
    close(CloseReason.PROXY_CONN_REFUSED);
  }

  @Override
  protected void actOnOriginIcmp(QueuedError error, HopRelay.Verdict verdict) {
    log.debug("tunnel={} flow={} event=origin-icmp type={} code={} offender={} verdict={}",
        from.name(), account.sessionId(), error.type(), error.code(), error.offender(), verdict);
    switch (verdict) {
      case RELAY -> relayToClient(error);
      case DESTINATION_REFUSED -> originRefused();
      case DESTINATION_UNREACHABLE -> {
        relayToClient(error);
        close(CloseReason.ORIGIN_UNREACHABLE);
      }
      case IGNORE -> { }
    }
  }

  /** A relayed error quotes the client's last datagram. */
  @Override
  protected ByteBuf quotedPacket(QueuedError error) {
    return lastClientPacket;
  }

  @Override
  protected void forgetClientPackets() {
    if (lastClientPacket != null) {
      lastClientPacket.release();
      lastClientPacket = null;
    }
  }

  /** Without a queued error to explain it, a port unreachable refuses the session. */
  @Override
  protected void transportError(Throwable cause) {
    if (cause instanceof PortUnreachableException) {
      originRefused();
    } else {
      super.transportError(cause);
    }
  }
}
