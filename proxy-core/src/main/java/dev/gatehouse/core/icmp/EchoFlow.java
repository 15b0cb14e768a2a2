package dev.gatehouse.core.icmp;

import dev.gatehouse.core.flow.Admission;
import dev.gatehouse.core.flow.DatagramOriginFlow;
import dev.gatehouse.core.flow.DropReason;
import dev.gatehouse.core.flow.FlowKey;
import dev.gatehouse.core.flow.FlowLoop;
import dev.gatehouse.core.flow.HopRelay;
import dev.gatehouse.core.linux.ErrorQueue;
import dev.gatehouse.core.linux.ErrorQueue.QueuedError;
import dev.gatehouse.core.linux.PingSocket;
import dev.gatehouse.core.log.ActivityLog;
import dev.gatehouse.core.log.CloseReason;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.wire.Icmpv4Message;
import dev.gatehouse.core.wire.Icmpv6Message;
import dev.gatehouse.core.wire.IpPacket;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;

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
final class EchoFlow extends DatagramOriginFlow {

  private final IcmpSettings settings;
  private final InetSocketAddress destination;
  // The client's requests in flight, whole, to quote in an ICMP error about one of them.
  private final SentEchoes sent = new SentEchoes();

  EchoFlow(FlowKey key, TunnelContext from, FlowLoop loop, IcmpSettings settings, Admission admission,
      ActivityLog activityLog, Runnable onEnd) {
    super(key, from, loop, admission, settings.idleTimeout(), activityLog, onEnd);
    this.settings = settings;
    this.destination = origin; // an override keeps the flow's family (IcmpEngine checks)
  }

  /** Opens the ping socket and registers it on the flow's loop; false if that failed. */
  boolean open() {
    EpollDatagramChannel channel;
    try {
      channel = new EpollDatagramChannel(openPingSocket());
    } catch (IOException e) {
      log.debug("tunnel={} flow={} event=ping-socket-unavailable cause=\"{}\"", from.name(),
          account.sessionId(), e.getMessage());
      abandon();
      return false;
    }
    ChannelFuture registered = register(channel);
    if (!registered.isSuccess()) {
      log.debug("tunnel={} flow={} event=ping-socket-unavailable cause={}", from.name(),
          account.sessionId(), String.valueOf(registered.cause()));
      abandon();
      return false;
    }
    try {
      attachHopRelay("ping socket");
    } catch (IOException e) {
      log.debug("tunnel={} flow={} event=ping-socket-unavailable cause=\"{}\"", from.name(),
          account.sessionId(), e.getMessage());
      abandon();
      return false;
    }
    started();
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
    if (isClosed()) {
      return;
    }
    if (!channel().isWritable()) {
      loop.drop(from, DropReason.ORIGIN_SEND_FAILED);
      return;
    }
    int messageBytes = packet.payloadLengthBytes();
    remember(packet);
    applyHopLimit(packet.hopLimit());
    idleTimer.touch();
    account.countSent(messageBytes - Icmpv4Message.HEADER_LENGTH_BYTES);
    sendToOrigin(packet.buffer().retainedSlice(packet.payloadOffset(), messageBytes));
  }

  /** The ping socket is not connected: each request names the destination. */
  @Override
  protected Object originMessage(ByteBuf request) {
    return new DatagramPacket(request, destination);
  }

  /** Keeps the request by its sequence number, which the ping socket sends unchanged. */
  private void remember(IpPacket packet) {
    int start = packet.isIpv4() ? packet.ipv4().offset() : packet.ipv6().offset();
    int end = packet.payloadOffset() + packet.payloadLengthBytes();
    int sequence = packet.buffer().getUnsignedShort(
        packet.payloadOffset() + Icmpv4Message.SEQUENCE_NUMBER_OFFSET);
    sent.remember(sequence, packet.buffer().retainedSlice(start, end - start));
  }

  @Override
  protected void fromOrigin(Object message) {
    if (message instanceof DatagramPacket datagram) {
      fromOrigin(datagram);
    }
  }

  private void fromOrigin(DatagramPacket datagram) {
    ByteBuf reply = datagram.content();
    int replyType = key.isIpv4() ? Icmpv4Message.TYPE_ECHO_REPLY : Icmpv6Message.TYPE_ECHO_REPLY;
    if (reply.readableBytes() < Icmpv4Message.HEADER_LENGTH_BYTES
        || reply.getUnsignedByte(reply.readerIndex()) != replyType
        || !datagram.sender().getAddress().equals(origin.getAddress())) {
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

  @Override
  protected void actOnOriginIcmp(QueuedError error, HopRelay.Verdict verdict) {
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
   * The client's request whose sequence number the error quotes: with several probes in
   * flight (traceroute -I sends up to 16 at once) it need not be the last one. An error
   * about a request no longer kept is dropped, rather than quoting another request and
   * misleading the client about the hop.
   */
  @Override
  protected ByteBuf quotedPacket(QueuedError error) {
    ByteBuf request = error.quotedSequence() == ErrorQueue.NO_SEQUENCE
        ? null
        : sent.find(error.quotedSequence());
    if (request == null) {
      log.debug("tunnel={} flow={} event=origin-icmp-unmatched sequence={}", from.name(),
          account.sessionId(), error.quotedSequence());
      loop.drop(from, DropReason.UNMATCHED_ORIGIN_ERROR);
    }
    return request;
  }

  @Override
  protected void forgetClientPackets() {
    sent.clear();
  }
}
