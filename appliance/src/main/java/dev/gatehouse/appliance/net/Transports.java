package dev.gatehouse.appliance.net;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Picks the socket transport for the appliance's own listeners and dials: Linux epoll when
 * the native library loads, the JDK's NIO selector otherwise.
 *
 * <p>In Netty 4.2 a channel only registers with an event loop of its own I/O type, so the
 * channel classes are chosen from the group a server is given, not from what the machine
 * offers: a caller may hand in an NIO group on a machine where epoll would load.
 */
public final class Transports {

  private Transports() {}

  /** Whether the native epoll transport loaded on this machine. */
  public static boolean epollAvailable() {
    return Epoll.isAvailable();
  }

  /**
   * Creates an event loop group of daemon threads named {@code threadNamePrefix-N}, on epoll
   * when it is available and on NIO otherwise.
   *
   * @param threads number of event loops; 0 lets Netty choose (twice the processors)
   */
  public static EventLoopGroup newEventLoopGroup(int threads, String threadNamePrefix) {
    if (threads < 0) {
      throw new IllegalArgumentException(
          "threads must be 0 (Netty's choice) or more, got " + threads);
    }
    IoHandlerFactory ioHandlers =
        epollAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    DefaultThreadFactory daemonThreads = new DefaultThreadFactory(threadNamePrefix, true);
    return new MultiThreadIoEventLoopGroup(threads, daemonThreads, ioHandlers);
  }

  /** The listening channel class that registers with {@code group}'s loops. */
  public static Class<? extends ServerSocketChannel> serverSocketChannelType(EventLoopGroup group) {
    return isEpoll(group) ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
  }

  /** The connecting channel class that registers with {@code group}'s loops. */
  public static Class<? extends SocketChannel> socketChannelType(EventLoopGroup group) {
    return isEpoll(group) ? EpollSocketChannel.class : NioSocketChannel.class;
  }

  /**
   * Binds a listener and waits for the answer.
   *
   * @param listener what is listening, for the error message
   * @return the bound channel
   * @throws IllegalStateException when the address cannot be bound (a configuration error)
   */
  public static Channel bind(ServerBootstrap bootstrap, InetSocketAddress address, String listener) {
    ChannelFuture bind = bootstrap.bind(address).awaitUninterruptibly();
    if (!bind.isSuccess()) {
      throw new IllegalStateException(
          listener + " cannot listen on " + address + ": " + bind.cause(), bind.cause());
    }
    return bind.channel();
  }

  /** Shuts event loops down at once (no quiet period), waiting at most {@code wait}. */
  public static void shutdown(EventLoopGroup group, Duration wait) {
    group.shutdownGracefully(0, wait.toMillis(), TimeUnit.MILLISECONDS)
        .awaitUninterruptibly(wait.toMillis());
  }

  private static boolean isEpoll(EventLoopGroup group) {
    return group instanceof IoEventLoopGroup ioGroup && ioGroup.isIoType(EpollIoHandler.class);
  }
}
