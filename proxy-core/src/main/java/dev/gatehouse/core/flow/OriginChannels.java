package dev.gatehouse.core.flow;

import io.netty.channel.EventLoop;
import io.netty.channel.IoEventLoop;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * Makes the origin-side channels of flows, of the I/O type of the flow's own loop: in
 * Netty 4.2 a channel registers only with a loop of its kind (appliance's {@code Transports}
 * makes the same choice for listeners).
 */
public final class OriginChannels {

  private OriginChannels() {}

  /** Whether {@code loop} runs on Linux epoll. */
  public static boolean isEpoll(EventLoop loop) {
    return loop instanceof IoEventLoop io && io.isIoType(EpollIoHandler.class);
  }

  /** The stream channel class that registers with {@code loop}. */
  public static Class<? extends SocketChannel> socketChannelType(EventLoop loop) {
    return isEpoll(loop) ? EpollSocketChannel.class : NioSocketChannel.class;
  }

  /** A new, unregistered datagram channel for {@code destination}'s family. */
  public static DatagramChannel newDatagramChannel(EventLoop loop, InetAddress destination) {
    SocketProtocolFamily family = destination instanceof Inet4Address
        ? SocketProtocolFamily.INET
        : SocketProtocolFamily.INET6;
    return isEpoll(loop) ? new EpollDatagramChannel(family) : new NioDatagramChannel(family);
  }
}
