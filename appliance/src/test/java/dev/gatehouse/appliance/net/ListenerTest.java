package dev.gatehouse.appliance.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ListenerTest {

  private static final Duration WAIT = Duration.ofSeconds(5);
  private static final InetSocketAddress ANY_LOOPBACK_PORT =
      new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

  private final EventLoopGroup sharedLoops = Transports.newEventLoopGroup(1, "listener-test");

  @AfterEach
  void shutDownSharedLoops() {
    sharedLoops.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
  }

  @Test
  void acceptsUntilStoppedAndStartsOnlyOnce() throws IOException {
    Listener listener = new Listener("the test listener", sharedLoops, false);

    InetSocketAddress bound = listener.start(bootstrap(), ANY_LOOPBACK_PORT);
    try (Socket client = new Socket(bound.getAddress(), bound.getPort())) {
      assertTrue(client.isConnected());
    }
    IllegalStateException again = assertThrows(IllegalStateException.class,
        () -> listener.start(bootstrap(), ANY_LOOPBACK_PORT));
    assertEquals("the test listener was already started or closed", again.getMessage());

    assertTrue(listener.stopAccepting());
    assertThrows(ConnectException.class, () -> new Socket(bound.getAddress(), bound.getPort()));
    assertFalse(listener.stopAccepting(), "a second stop has nothing left to stop");
    assertThrows(IllegalStateException.class,
        () -> listener.start(bootstrap(), ANY_LOOPBACK_PORT));
  }

  @Test
  void stopsBeforeStartingWithoutBinding() {
    Listener listener = new Listener("the test listener", sharedLoops, false);

    assertTrue(listener.stopAccepting());
    assertThrows(IllegalStateException.class,
        () -> listener.start(bootstrap(), ANY_LOOPBACK_PORT));
  }

  @Test
  void leavesSharedLoopsRunning() {
    Listener listener = new Listener("the test listener", sharedLoops, false);
    listener.start(bootstrap(), ANY_LOOPBACK_PORT);

    listener.stopAccepting();
    listener.shutDownOwnEventLoops(WAIT);

    assertFalse(sharedLoops.isShuttingDown());
  }

  @Test
  void shutsDownLoopsMadeForIt() {
    EventLoopGroup ownLoops = Transports.newEventLoopGroup(1, "listener-test-own");
    Listener listener = new Listener("the test listener", ownLoops, true);
    listener.start(bootstrap(), ANY_LOOPBACK_PORT);

    listener.stopAccepting();
    listener.shutDownOwnEventLoops(WAIT);

    assertTrue(ownLoops.isTerminated());
  }

  private static ServerBootstrap bootstrap() {
    return new ServerBootstrap().childHandler(new ChannelInboundHandlerAdapter());
  }
}
