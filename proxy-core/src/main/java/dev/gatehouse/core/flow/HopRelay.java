package dev.gatehouse.core.flow;

import dev.gatehouse.core.linux.ErrorQueue;
import dev.gatehouse.core.linux.ErrorQueue.QueuedError;
import dev.gatehouse.core.linux.NativeException;
import dev.gatehouse.core.linux.PendingDatagrams;
import dev.gatehouse.core.linux.SocketOptions;
import dev.gatehouse.core.wire.IcmpError;
import dev.gatehouse.core.wire.Icmpv4Message;
import dev.gatehouse.core.wire.Icmpv6Message;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.function.Consumer;

/**
 * What makes a re-originated flow traceable: its origin socket sends each client packet
 * with the hop limit the client's packet arrived with, and reports the ICMP errors the
 * network sends about them, with who sent them, so that the flow can relay them to the
 * client as the hop's own. Owned by one flow, on its loop.
 *
 * <p>A client's traceroute counts hops by sending with rising TTLs and listening for time
 * exceeded (RFC 792 p.6, RFC 4443 §3.3). The tunnel delivered the packet with the TTL left
 * after the appliance's own hop; sending it on with that TTL lets the routers behind the
 * appliance answer as they would have if the appliance forwarded instead of proxying.
 *
 * <p>Only on epoll channels, whose descriptor takes IP_TTL and IP_RECVERR;
 * {@link #attach} returns null on NIO, and the flow keeps the kernel's default TTL and
 * learns only of port unreachable.
 */
public final class HopRelay {
  /** The largest IP datagram's payload (RFC 791 Total Length is 16 bits). */
  private static final int MAX_DATAGRAM_BYTES = 65_535;
  /** Ours: a bound on one pass, so a flood cannot hold the loop; the rest waits for the next. */
  private static final int MAX_PENDING_READS = 256;

  /** What an error from the origin side means to the flow that sent the packet. */
  public enum Verdict {
    /** A hop's error, or a destination's time exceeded: relay it, the flow goes on. */
    RELAY,
    /** Port unreachable from the destination itself: the origin refused the flow. */
    DESTINATION_REFUSED,
    /** Another destination unreachable from the destination: relay it, end the flow. */
    DESTINATION_UNREACHABLE,
    /** Nothing to relay: a local error, no offender, or a type we do not relay. */
    IGNORE
  }

  private final int fd;
  private final boolean ipv6;
  private final String description;
  private int hopLimitSet = -1;

  private HopRelay(int fd, boolean ipv6, String description) {
    this.fd = fd;
    this.ipv6 = ipv6;
    this.description = description;
  }

  /**
   * Turns the error queue of {@code channel}'s socket on, if it is an epoll channel.
   *
   * @param ipv6 whether the socket is an AF_INET6 one
   * @return the relay, or null for a channel of another transport
   * @throws IOException if the kernel refuses the option
   */
  public static HopRelay attach(Channel channel, boolean ipv6, String description)
      throws IOException {
    if (!(channel instanceof EpollDatagramChannel epoll)) {
      return null;
    }
    int fd = epoll.fd().intValue();
    SocketOptions.enableErrorQueue(fd, ipv6, description);
    return new HopRelay(fd, ipv6, description);
  }

  /**
   * Makes the socket's next packets leave with {@code hopLimit}, a client packet's TTL or
   * Hop Limit; a syscall only when it differs from the last one set. A packet that came
   * with 0 goes with 1, the least the socket option takes.
   */
  public void applyHopLimit(int hopLimit) throws IOException {
    int sendHopLimit = Math.max(1, hopLimit);
    if (sendHopLimit == hopLimitSet) {
      return;
    }
    hopLimitSet = -1; // unknown until the call succeeds
    SocketOptions.setUnicastHopLimit(fd, ipv6, sendHopLimit, description);
    hopLimitSet = sendHopLimit;
  }

  /**
   * Takes every queued error off the socket, in order, to {@code sink}.
   *
   * @return how many errors there were
   */
  public int drain(Consumer<QueuedError> sink) throws IOException {
    return ErrorQueue.drain(fd, description, sink);
  }

  /**
   * Reads the datagrams that arrived while an error was queued (see {@link PendingDatagrams}):
   * each goes to {@code sink}, which releases it; errors met on the way go to
   * {@code errors}. Stops when nothing more is waiting.
   */
  public void readPending(ByteBufAllocator allocator, Consumer<DatagramPacket> sink,
      Consumer<QueuedError> errors) throws IOException {
    for (int read = 0; read < MAX_PENDING_READS; read++) {
      ByteBuf buffer = allocator.directBuffer(MAX_DATAGRAM_BYTES);
      InetSocketAddress sender;
      try {
        sender = PendingDatagrams.receive(fd, buffer, description);
      } catch (NativeException e) {
        buffer.release();
        drain(errors);
        continue;
      }
      if (sender == null) {
        buffer.release();
        return;
      }
      sink.accept(new DatagramPacket(buffer, null, sender));
    }
  }

  /** What {@code error}, about a packet the flow sent to {@code destination}, means. */
  public static Verdict verdict(QueuedError error, InetAddress destination) {
    if (!error.isIcmp() || error.offender() == null) {
      return Verdict.IGNORE;
    }
    boolean v6 = error.origin() == ErrorQueue.ORIGIN_ICMP6;
    int timeExceeded = v6 ? Icmpv6Message.TYPE_TIME_EXCEEDED : Icmpv4Message.TYPE_TIME_EXCEEDED;
    int unreachable = v6
        ? Icmpv6Message.TYPE_DESTINATION_UNREACHABLE
        : Icmpv4Message.TYPE_DESTINATION_UNREACHABLE;
    if (error.type() == timeExceeded) {
      return Verdict.RELAY;
    }
    // RFC 1191 §4: "fragmentation needed" carries the next-hop MTU of the appliance's path,
    // which is not the client's; the kernel's own path MTU discovery acts on it.
    if (error.type() != unreachable
        || (!v6 && error.code() == Icmpv4Message.CODE_FRAGMENTATION_NEEDED)) {
      return Verdict.IGNORE;
    }
    if (!error.offender().equals(destination)) {
      return Verdict.RELAY;
    }
    int portUnreachable = v6
        ? IcmpError.PORT_UNREACHABLE.codeV6()
        : IcmpError.PORT_UNREACHABLE.codeV4();
    return error.code() == portUnreachable
        ? Verdict.DESTINATION_REFUSED
        : Verdict.DESTINATION_UNREACHABLE;
  }
}
