package dev.gatehouse.core.udp;

import dev.gatehouse.core.flow.DropReason;
import dev.gatehouse.core.flow.Flow;
import dev.gatehouse.core.flow.FlowAccount;
import dev.gatehouse.core.flow.FlowKey;
import dev.gatehouse.core.flow.FlowLoop;
import dev.gatehouse.core.flow.IdleTimer;
import dev.gatehouse.core.flow.OriginChannels;
import dev.gatehouse.core.linux.SocketOptions;
import dev.gatehouse.core.log.ActivityLog;
import dev.gatehouse.core.log.CloseReason;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.wire.IcmpError;
import dev.gatehouse.core.wire.IpPacket;
import dev.gatehouse.core.wire.UdpDatagram;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 */
final class UdpSession implements Flow {

  private static final Logger log = LoggerFactory.getLogger(UdpSession.class);

  private final FlowKey key;
  private final TunnelContext from;
  private final FlowLoop loop;
  private final UdpSettings settings;
  private final ActivityLog activityLog;
  private final Runnable onEnd;
  private final FlowAccount account = new FlowAccount();
  private final IdleTimer idleTimer;
  private DatagramChannel channel;
  private InetSocketAddress egress;
  // The client's latest datagram, whole, to quote in an ICMP error about it.
  private ByteBuf lastClientPacket;
  private boolean closed;

  UdpSession(FlowKey key, TunnelContext from, FlowLoop loop, UdpSettings settings,
      ActivityLog activityLog, Runnable onEnd) {
    this.key = key;
    this.from = from;
    this.loop = loop;
    this.settings = settings;
    this.activityLog = activityLog;
    this.onEnd = onEnd;
    this.idleTimer = new IdleTimer(loop.eventLoop(), settings.idleTimeout().toNanos(),
        () -> close(CloseReason.CLIENT_IDLE_TIMEOUT));
  }

  /**
   * Opens, binds and connects the origin socket. On this loop's thread registration, bind
   * and connect of a datagram socket complete before the calls return, so a failure is
   * known here; the session is then over and has released everything.
   */
  boolean connect() {
    channel = OriginChannels.newDatagramChannel(loop.eventLoop(), key.destination());
    ChannelFuture registered = new Bootstrap()
        .group(loop.eventLoop())
        .channelFactory(() -> channel)
        .handler(new OriginHandler())
        .register();
    try {
      if (!registered.isSuccess()) {
        throw new IOException("cannot register the origin socket", registered.cause());
      }
      bindToInterface();
      ChannelFuture connected = channel.connect(
          new InetSocketAddress(key.destination(), key.destinationPort()), localAddress());
      if (!connected.isSuccess()) {
        throw new IOException("cannot connect to the origin", connected.cause());
      }
      egress = channel.localAddress();
    } catch (IOException e) {
      log.debug("tunnel={} flow={} event=origin-unavailable cause={}", from.name(),
          account.sessionId(), String.valueOf(e.getCause() == null ? e : e.getCause()));
      channel.close();
      onEnd.run();
      return false;
    }
    idleTimer.start();
    log.debug("tunnel={} flow={} event=start source={} destination={} egress={}", from.name(),
        account.sessionId(), key.source(), key.destination(), egress);
    return true;
  }

  private void bindToInterface() throws IOException {
    if (settings.interfaceName() == null) {
      return;
    }
    if (!(channel instanceof EpollDatagramChannel epoll)) {
      throw new IOException("binding to interface " + settings.interfaceName()
          + " needs the epoll transport");
    }
    SocketOptions.bindToDevice(epoll.fd().intValue(), settings.interfaceName(), "UDP origin socket");
  }

  private InetSocketAddress localAddress() {
    InetAddress source = key.isIpv4() ? settings.sourceV4() : settings.sourceV6();
    return source == null ? null : new InetSocketAddress(source, 0);
  }

  @Override
  public void receive(IpPacket packet) {
    if (closed) {
      return;
    }
    ByteBuf buffer = packet.buffer();
    int udpOffset = packet.payloadOffset();
    int udpLength = buffer.getUnsignedShort(udpOffset + UdpDatagram.LENGTH_OFFSET);
    int payloadBytes = udpLength - UdpDatagram.HEADER_LENGTH_BYTES;
    rememberClientPacket(packet);

    if (!channel.isWritable()) {
      loop.drop(from, DropReason.ORIGIN_SEND_FAILED);
      return;
    }
    idleTimer.touch();
    account.countSent(payloadBytes);
    ByteBuf payload = buffer.retainedSlice(udpOffset + UdpDatagram.HEADER_LENGTH_BYTES, payloadBytes);
    // A void promise: a failed send, such as a refused one, reaches exceptionCaught.
    channel.writeAndFlush(payload, channel.voidPromise());
  }

  private void rememberClientPacket(IpPacket packet) {
    int start = packet.isIpv4() ? packet.ipv4().offset() : packet.ipv6().offset();
    int end = packet.payloadOffset() + packet.payloadLengthBytes();
    if (lastClientPacket != null) {
      lastClientPacket.release();
    }
    lastClientPacket = packet.buffer().retainedSlice(start, end - start);
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
  public void close(CloseReason reason) {
    if (closed) {
      return;
    }
    closed = true;
    idleTimer.cancel();
    if (lastClientPacket != null) {
      lastClientPacket.release();
      lastClientPacket = null;
    }
    channel.close();
    loop.table().remove(key, this);
    onEnd.run();
    activityLog.record(account.endRecord(key, from, egress, reason));
    log.debug("tunnel={} flow={} event=end reason={}", from.name(), account.sessionId(), reason);
  }

  /** The origin socket's events, on the session's loop. */
  private final class OriginHandler extends ChannelInboundHandlerAdapter {

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
      try {
        if (closed) {
          return;
        }
        if (message instanceof DatagramPacket datagram) {
          fromOrigin(datagram.content());
        } else if (message instanceof ByteBuf payload) {
          fromOrigin(payload);
        }
      } finally {
        ReferenceCountUtil.release(message);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (closed) {
        return;
      }
      if (cause instanceof PortUnreachableException) {
        originRefused();
        return;
      }
      log.debug("tunnel={} flow={} event=origin-error cause={}", from.name(),
          account.sessionId(), cause.toString());
      close(CloseReason.ORIGIN_ERROR);
    }
  }
}
