package dev.gatehouse.core.icmp;

import dev.gatehouse.core.flow.DropReason;
import dev.gatehouse.core.flow.Flow;
import dev.gatehouse.core.flow.FlowAccount;
import dev.gatehouse.core.flow.FlowKey;
import dev.gatehouse.core.flow.FlowLoop;
import dev.gatehouse.core.flow.HopRelay;
import dev.gatehouse.core.flow.IdleTimer;
import dev.gatehouse.core.linux.ErrorQueue;
import dev.gatehouse.core.linux.ErrorQueue.QueuedError;
import dev.gatehouse.core.linux.PingSocket;
import dev.gatehouse.core.log.ActivityLog;
import dev.gatehouse.core.log.CloseReason;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.wire.Icmpv4Message;
import dev.gatehouse.core.wire.Icmpv6Message;
import dev.gatehouse.core.wire.IpPacket;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One echo flow: a client's echo requests to one destination with one identifier, sent
 * through a ping socket of ours, and the replies returned as echo replies from the
 * destination to the client.
 *
 * <p>ICMP and ICMPv6 echo share one layout (RFC 792 p.14, RFC 4443 §4.1-4.2), so the
 * ICMPv4 offsets serve both. The kernel puts the socket's own identifier in every request and delivers only the
 * replies that carry it (icmp(7)); the sequence number and data pass untouched. So a reply
 * is mapped back by putting the client's identifier, which is this flow's key, where the
 * socket's was; its sequence number and data are the client's own.
 *
 * <p>Each request leaves with the client's TTL, and the ICMP errors about it come off the
 * ping socket's error queue ({@link HopRelay}): a time exceeded or unreachable from a hop is
 * relayed to the client from that hop, quoting the request it is about, found by its
 * sequence number among the last ones sent ({@link SentEchoes}), and the flow goes
 * on; an unreachable from the destination itself is relayed and ends the flow as
 * {@link CloseReason#ORIGIN_UNREACHABLE}.
 */
final class EchoFlow implements Flow {

  private static final Logger log = LoggerFactory.getLogger(EchoFlow.class);

  private final FlowKey key;
  private final TunnelContext from;
  private final FlowLoop loop;
  private final IcmpSettings settings;
  private final ActivityLog activityLog;
  private final Runnable onEnd;
  private final FlowAccount account = new FlowAccount();
  private final IdleTimer idleTimer;
  private final InetSocketAddress destination;
  private EpollDatagramChannel channel;
  private InetSocketAddress egress;
  private HopRelay hops;
  // The client's requests in flight, whole, to quote in an ICMP error about one of them.
  private final SentEchoes sent = new SentEchoes();
  private boolean closed;

  EchoFlow(FlowKey key, TunnelContext from, FlowLoop loop, IcmpSettings settings,
      ActivityLog activityLog, Runnable onEnd) {
    this.key = key;
    this.from = from;
    this.loop = loop;
    this.settings = settings;
    this.activityLog = activityLog;
    this.onEnd = onEnd;
    this.destination = new InetSocketAddress(key.destination(), 0);
    this.idleTimer = new IdleTimer(loop.eventLoop(), settings.idleTimeout().toNanos(),
        () -> close(CloseReason.CLIENT_IDLE_TIMEOUT));
  }

  /** Opens the ping socket and registers it on the flow's loop; false if that failed. */
  boolean open() {
    try {
      channel = new EpollDatagramChannel(openPingSocket());
    } catch (IOException e) {
      log.debug("tunnel={} flow={} event=ping-socket-unavailable cause=\"{}\"", from.name(),
          account.sessionId(), e.getMessage());
      onEnd.run();
      return false;
    }
    ChannelFuture registered = new Bootstrap()
        .group(loop.eventLoop())
        .channelFactory(() -> channel)
        .handler(new PingHandler())
        .register();
    if (!registered.isSuccess()) {
      log.debug("tunnel={} flow={} event=ping-socket-unavailable cause={}", from.name(),
          account.sessionId(), String.valueOf(registered.cause()));
      channel.close();
      onEnd.run();
      return false;
    }
    try {
      hops = HopRelay.attach(channel, !key.isIpv4(), "ping socket");
    } catch (IOException e) {
      log.debug("tunnel={} flow={} event=ping-socket-unavailable cause=\"{}\"", from.name(),
          account.sessionId(), e.getMessage());
      channel.close();
      onEnd.run();
      return false;
    }
    egress = channel.localAddress();
    idleTimer.start();
    return true;
  }

  /** A bound, non-blocking ping socket whose descriptor now belongs to the caller. */
  private int openPingSocket() throws IOException {
    PingSocket socket = PingSocket.open(key.isIpv4()
        ? StandardProtocolFamily.INET
        : StandardProtocolFamily.INET6);
    try {
      if (settings.interfaceName() != null) {
        socket.bindToDevice(settings.interfaceName());
      }
      InetAddress source = key.isIpv4() ? settings.sourceV4() : settings.sourceV6();
      // Binding picks the socket's identifier now, so the egress is known at once.
      socket.bind(source != null ? source : wildcard());
      socket.setNonBlocking(true);
      return socket.detachFd();
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  private InetAddress wildcard() throws IOException {
    return InetAddress.getByName(key.isIpv4() ? "0.0.0.0" : "::");
  }

  /** One echo request from the client: sent as it is; the kernel sets id and checksum. */
  @Override
  public void receive(IpPacket packet) {
    if (closed) {
      return;
    }
    if (!channel.isWritable()) {
      loop.drop(from, DropReason.ORIGIN_SEND_FAILED);
      return;
    }
    int messageBytes = packet.payloadLengthBytes();
    remember(packet);
    applyHopLimit(packet.hopLimit());
    idleTimer.touch();
    account.countSent(messageBytes - Icmpv4Message.HEADER_LENGTH_BYTES);
    ByteBuf request = packet.buffer().retainedSlice(packet.payloadOffset(), messageBytes);
    // One reference more, for a second try: an ICMP error queued for an earlier request
    // fails the next send on the socket (sock_error in the kernel's send path).
    request.retain();
    channel.writeAndFlush(new DatagramPacket(request, destination)).addListener(sent -> {
      if (sent.isSuccess() || closed) {
        request.release();
      } else if (hops != null && relayQueuedErrors() && !closed) {
        channel.writeAndFlush(new DatagramPacket(request, destination), channel.voidPromise());
      } else {
        request.release();
        originError(sent.cause());
      }
    });
  }

  private void applyHopLimit(int hopLimit) {
    try {
      hops.applyHopLimit(hopLimit);
    } catch (IOException e) {
      // The request still goes, with the hop limit set before.
      log.debug("tunnel={} flow={} event=hop-limit-unset hopLimit={} cause=\"{}\"", from.name(),
          account.sessionId(), hopLimit, e.getMessage());
    }
  }

  /** Keeps the request by its sequence number, which the ping socket sends unchanged. */
  private void remember(IpPacket packet) {
    int start = packet.isIpv4() ? packet.ipv4().offset() : packet.ipv6().offset();
    int end = packet.payloadOffset() + packet.payloadLengthBytes();
    int sequence = packet.buffer().getUnsignedShort(
        packet.payloadOffset() + Icmpv4Message.SEQUENCE_NUMBER_OFFSET);
    sent.remember(sequence, packet.buffer().retainedSlice(start, end - start));
  }

  private void fromOrigin(DatagramPacket datagram) {
    ByteBuf reply = datagram.content();
    int replyType = key.isIpv4() ? Icmpv4Message.TYPE_ECHO_REPLY : Icmpv6Message.TYPE_ECHO_REPLY;
    if (reply.readableBytes() < Icmpv4Message.HEADER_LENGTH_BYTES
        || reply.getUnsignedByte(reply.readerIndex()) != replyType
        || !datagram.sender().getAddress().equals(key.destination())) {
      // Ping sockets match replies by identifier alone; one from elsewhere is not ours.
      loop.drop(from, DropReason.STRAY_REPLY);
      return;
    }
    idleTimer.touch();
    int sequence = reply.getUnsignedShort(reply.readerIndex() + Icmpv4Message.SEQUENCE_NUMBER_OFFSET);
    sent.forget(sequence);
    ByteBuf data = reply.slice(reply.readerIndex() + Icmpv4Message.HEADER_LENGTH_BYTES,
        reply.readableBytes() - Icmpv4Message.HEADER_LENGTH_BYTES);
    account.countReceived(data.readableBytes());
    loop.sendToClient(from, loop.writer().echoReply(
        key.destination(), key.source(), key.sourcePort(), sequence, data));
  }

  /**
   * Reads the replies that came while an error was queued: the edge-triggered loop will
   * not signal them again.
   */
  private void readPendingReplies() {
    try {
      hops.readPending(channel.alloc(), datagram -> {
        try {
          if (!closed) {
            fromOrigin(datagram);
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

  /** Takes the socket's queued ICMP errors and acts on each; false if there were none. */
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
    log.debug("tunnel={} flow={} event=origin-icmp type={} code={} offender={} sequence={} "
        + "verdict={}", from.name(), account.sessionId(), error.type(), error.code(),
        error.offender(), error.quotedSequence(), verdict);
    switch (verdict) {
      case RELAY -> relayToClient(error);
      case DESTINATION_REFUSED, DESTINATION_UNREACHABLE -> {
        relayToClient(error);
        close(CloseReason.ORIGIN_UNREACHABLE);
      }
      case IGNORE -> { }
    }
  }

  /**
   * The hop's error, from the hop, about the client's request whose sequence number the
   * error quotes: with several probes in flight (traceroute -I sends up to 16 at once) it
   * need not be the last one. An error about a request no longer kept is dropped, rather
   * than quoting another request and misleading the client about the hop.
   */
  private void relayToClient(QueuedError error) {
    if ((error.offender() instanceof Inet4Address) != key.isIpv4()) {
      return;
    }
    ByteBuf request = error.quotedSequence() == ErrorQueue.NO_SEQUENCE
        ? null
        : sent.find(error.quotedSequence());
    if (request == null) {
      log.debug("tunnel={} flow={} event=origin-icmp-unmatched sequence={}", from.name(),
          account.sessionId(), error.quotedSequence());
      loop.drop(from, DropReason.UNMATCHED_ORIGIN_ERROR);
      return;
    }
    ByteBuf relayed = loop.writer().icmpError(error.type(), error.code(), error.offender(),
        request, request.readerIndex(), request.readableBytes());
    loop.sendToClient(from, relayed);
  }

  @Override
  public void close(CloseReason reason) {
    if (closed) {
      return;
    }
    closed = true;
    idleTimer.cancel();
    sent.clear();
    channel.close();
    loop.table().remove(key, this);
    onEnd.run();
    activityLog.record(account.endRecord(key, from, egress, reason));
    log.debug("tunnel={} flow={} event=end reason={}", from.name(), account.sessionId(), reason);
  }

  /** The ping socket's events, on the flow's loop. */
  private final class PingHandler extends ChannelInboundHandlerAdapter {

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
      try {
        if (!closed && message instanceof DatagramPacket datagram) {
          fromOrigin(datagram);
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

  /** The socket reported an error: queued ICMP errors are acted on, else the flow ends. */
  private void originError(Throwable cause) {
    if (closed) {
      return;
    }
    if (relayQueuedErrors()) {
      readPendingReplies();
      return;
    }
    log.debug("tunnel={} flow={} event=origin-error cause={}", from.name(),
        account.sessionId(), cause.toString());
    close(CloseReason.ORIGIN_ERROR);
  }
}
