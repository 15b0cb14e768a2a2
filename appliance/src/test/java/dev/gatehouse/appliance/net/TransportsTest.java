package dev.gatehouse.appliance.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TransportsTest {

  @Test
  void picksChannelsThatMatchTheGroupsIoType() {
    EventLoopGroup nio = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try {
      assertEquals(NioServerSocketChannel.class, Transports.serverSocketChannelType(nio));
      assertEquals(NioSocketChannel.class, Transports.socketChannelType(nio));
    } finally {
      nio.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
    }
  }

  @Test
  void createsEpollLoopsWhereEpollLoads() {
    EventLoopGroup group = Transports.newEventLoopGroup(1, "transports-test");
    try {
      boolean epoll = Transports.epollAvailable();
      assertEquals(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class,
          Transports.serverSocketChannelType(group));
      assertEquals(epoll ? EpollSocketChannel.class : NioSocketChannel.class,
          Transports.socketChannelType(group));
    } finally {
      group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
    }
  }

  @Test
  void refusesNegativeThreadCount() {
    assertThrows(IllegalArgumentException.class, () -> Transports.newEventLoopGroup(-1, "x"));
  }
}
