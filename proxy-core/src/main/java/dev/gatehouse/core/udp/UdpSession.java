package dev.gatehouse.core.udp;

import dev.gatehouse.core.flow.DropReason;
import dev.gatehouse.core.flow.Flow;
import dev.gatehouse.core.flow.FlowAccount;
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
import java.net.Inet4Address;
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
 *
 * <p>On epoll the socket is a {@link HopRelay}'s: each datagram leaves with the client's
 * TTL, and the ICMP errors about it come off the socket's error queue with their sender. A
 * time exceeded or unreachable from a hop is relayed to the client from that hop, quoting
 * the client's last datagram, and the session goes on; a port unreachable from the
 * destination ends it as above, any other unreachable from the destination is relayed and
 * ends it as {@link CloseReason#ORIGIN_UNREACHABLE}. On NIO datagrams keep the kernel's
 * default TTL and only the port unreachable is seen.
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
  private HopRelay hops; // null on NIO
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
      hops = HopRelay.attach(channel, !key.isIpv4(), "UDP origin socket");
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
    applyHopLimit(packet.hopLimit());
    account.countSent(payloadBytes);
    ByteBuf payload = buffer.retainedSlice(udpOffset + UdpDatagram.HEADER_LENGTH_BYTES, payloadBytes);
    // One reference more, for a second try: an ICMP error queued for an earlier datagram
    // fails the next send on the socket (sock_error in the kernel's send path).
    payload.retain();
    channel.writeAndFlush(payload).addListener(sent -> {
      if (sent.isSuccess() || closed) {
        payload.release();
      } else if (hops != null && relayQueuedErrors() && !closed) {
        channel.writeAndFlush(payload, channel.voidPromise());
      } else {
        payload.release();
        originError(sent.cause());
      }
    });
  }

  private void applyHopLimit(int hopLimit) {
    if (hops == null) {
      return;
    }
    try {
      hops.applyHopLimit(hopLimit);
    } catch (IOException e) {
      // The datagram still goes, with the hop limit set before.
      log.debug("tunnel={} flow={} event=hop-limit-unset hopLimit={} cause=\"{}\"", from.name(),
          account.sessionId(), hopLimit, e.getMessage());
    }
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

  /**
   * Reads the datagrams that came while an error was queued: the edge-triggered loop will
   * not signal them again.
   */
  private void readPendingReplies() {
    try {
      hops.readPending(channel.alloc(), datagram -> {
        try {
          if (!closed) {
            fromOrigin(datagram.content());
          }
        } finally {
          datagram.release();
        }
      }, this::originIcmpError);
    } catch (IOException e) {
      log.debug("tunnel={} flow={} event=pending-read-failed cause=\"{}\"", from.name(),
          account.sessionId(), e.getMessage());
      close(CloseReason.ORIGIN_ERROR);
    }
  }

  /**
   * Takes the socket's queued ICMP errors and acts on each; false if there were none, so
   * that the error that woke us is handled as without a relay.
   */
  private boolean relayQueuedErrors() {
    try {
      return hops.drain(this::originIcmpError) > 0;
    } catch (IOException e) {
      log.debug("tunnel={} flow={} event=error-queue-unreadable cause=\"{}\"", from.name(),
          account.sessionId(), e.getMessage());
      close(CloseReason.ORIGIN_ERROR);
      return true;
    }
  }

  private void originIcmpError(QueuedError error) {
    if (closed) {
      return;
    }
    HopRelay.Verdict verdict = HopRelay.verdict(error, key.destination());
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

  /** The hop's error, from the hop, about the client's last datagram. */
  private void relayToClient(QueuedError error) {
    if (lastClientPacket == null || (error.offender() instanceof Inet4Address) != key.isIpv4()) {
      return;
    }
    ByteBuf relayed = loop.writer().icmpError(error.type(), error.code(), error.offender(),
        lastClientPacket, lastClientPacket.readerIndex(), lastClientPacket.readableBytes());
    loop.sendToClient(from, relayed);
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
      originError(cause);
    }
  }

  /**
   * The socket reported an error: queued ICMP errors are acted on; without a queue, a port
   * unreachable refuses the session and anything else ends it.
   */
  private void originError(Throwable cause) {
    if (closed) {
      return;
    }
    if (hops != null && relayQueuedErrors()) {
      readPendingReplies();
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
