package dev.gatehouse.appliance.net;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * The accepting side of one of the appliance's servers: the event loops it runs on, made
 * for it or shared with others, and the channel it listens on. It starts once and stops
 * once. Stopping closes the listening channel only; the server then ends its own work and
 * calls {@link #shutDownOwnEventLoops}, which leaves shared loops running.
 *
 * <p>Not thread-safe: the server that holds it calls it under its own lock.
 */
public final class Listener {

  private final String name;
  private final EventLoopGroup eventLoops;
  private final boolean ownsEventLoops;
  private Channel channel;
  private boolean stopped;

  /**
   * A listener not yet started.
   *
   * @param name what is listening, as messages name it ({@code the admin endpoint})
   * @param eventLoops loops from {@link Transports#newEventLoopGroup} or compatible
   * @param ownsEventLoops whether the loops were made for this listener, so that
   *     {@link #shutDownOwnEventLoops} shuts them down
   */
  public Listener(String name, EventLoopGroup eventLoops, boolean ownsEventLoops) {
    this.name = Objects.requireNonNull(name, "name");
    this.eventLoops = Objects.requireNonNull(eventLoops, "eventLoops");
    this.ownsEventLoops = ownsEventLoops;
  }

  /**
   * Puts {@code bootstrap} on these loops, with the server channel class they take, and
   * binds it to {@code address}.
   *
   * @return the address bound, with the port chosen when 0 was asked for
   * @throws IllegalStateException when the address cannot be bound, or once started or
   *     stopped
   */
  public InetSocketAddress start(ServerBootstrap bootstrap, InetSocketAddress address) {
    if (channel != null || stopped) {
      throw new IllegalStateException(name + " was already started or closed");
    }
    bootstrap.group(eventLoops).channel(Transports.serverSocketChannelType(eventLoops));
    channel = Transports.bind(bootstrap, address, name);
    return (InetSocketAddress) channel.localAddress();
  }

  /**
   * Stops accepting: closes the listening channel, if it was bound, and waits until it is.
   *
   * @return false if this listener had been stopped before, so the caller has nothing left
   *     to stop either
   */
  public boolean stopAccepting() {
    if (stopped) {
      return false;
    }
    stopped = true;
    if (channel != null) {
      channel.close().awaitUninterruptibly();
    }
    return true;
  }

  /** Shuts the event loops down, waiting at most {@code wait}, if they were made for this. */
  public void shutDownOwnEventLoops(Duration wait) {
    if (ownsEventLoops) {
      Transports.shutdown(eventLoops, wait);
    }
  }
}
