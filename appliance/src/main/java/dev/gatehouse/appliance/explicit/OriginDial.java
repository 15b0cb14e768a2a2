package dev.gatehouse.appliance.explicit;

import dev.gatehouse.core.flow.OriginFailures;
import dev.gatehouse.core.log.CloseReason;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One dial to an origin: resolve the host, then try its addresses one after another
 * until one connects. The connect timeout bounds the whole dial, resolution included;
 * each attempt gets what is left of it.
 *
 * <p>TODO(#9): RFC 8305 Happy Eyeballs (interleaved families, staggered attempts). Until
 * then an address that never answers uses up the whole timeout, and the addresses after
 * it are not tried.
 *
 * <p>The origin channel is registered on the client's event loop, and every step here runs
 * on that loop except the blocking name lookup: one thread owns the flow.
 */
final class OriginDial {

  private static final Logger LOG = LoggerFactory.getLogger(OriginDial.class);

  private final EventLoop loop;
  private final Class<? extends SocketChannel> channelType;
  private final OriginAddress origin;
  private final boolean allowHalfClosure;
  private final Promise<DialOutcome> outcome;
  private final long startNanos = System.nanoTime();

  private ScheduledFuture<?> deadline;
  private Channel attempt;
  private InetSocketAddress lastAddress;
  private DialFailure lastFailure = DialFailure.UNREACHABLE;
  private boolean finished;

  private OriginDial(
      EventLoop loop,
      Class<? extends SocketChannel> channelType,
      OriginAddress origin,
      boolean allowHalfClosure) {
    this.loop = loop;
    this.channelType = channelType;
    this.origin = origin;
    this.allowHalfClosure = allowHalfClosure;
    this.outcome = loop.newPromise();
    this.lastAddress = InetSocketAddress.createUnresolved(origin.host(), origin.port());
  }

  /**
   * Starts a dial; call on {@code loop}.
   *
   * @param resolver runs the blocking name lookup, off the event loop
   * @param allowHalfClosure whether the origin channel keeps writing after the origin's FIN
   */
  static OriginDial start(
      EventLoop loop,
      Class<? extends SocketChannel> channelType,
      Executor resolver,
      OriginAddress origin,
      Duration connectTimeout,
      boolean allowHalfClosure) {
    OriginDial dial = new OriginDial(loop, channelType, origin, allowHalfClosure);
    dial.begin(resolver, connectTimeout);
    return dial;
  }

  /** Completes on the event loop with the outcome; cancelled when {@link #cancel} ran first. */
  Future<DialOutcome> outcome() {
    return outcome;
  }

  /** Gives up: an attempt in progress is closed and the outcome is cancelled. */
  void cancel() {
    if (finished) {
      return;
    }
    finished = true;
    deadline.cancel(false);
    if (attempt != null) {
      attempt.close();
    }
    outcome.cancel(false);
  }

  private void begin(Executor resolver, Duration connectTimeout) {
    deadline = loop.schedule(this::expire, connectTimeout.toNanos(), TimeUnit.NANOSECONDS);

    InetAddress literal = NetUtil.createInetAddressFromIpAddressString(origin.host());
    if (literal != null) {
      tryAddress(new InetAddress[] {literal}, 0);
      return;
    }
    try {
      resolver.execute(this::resolve);
    } catch (RejectedExecutionException shuttingDown) {
      finish(new DialOutcome.Failed(DialFailure.UNRESOLVED, lastAddress));
    }
  }

  /** Runs on the resolver; hands the answer back to the event loop. */
  private void resolve() {
    try {
      InetAddress[] addresses = InetAddress.getAllByName(origin.host());
      loop.execute(() -> tryAddress(addresses, 0));
    } catch (UnknownHostException e) {
      LOG.debug("origin={} event=unresolved cause={}", origin, e.toString());
      loop.execute(() -> finish(new DialOutcome.Failed(DialFailure.UNRESOLVED, lastAddress)));
    } catch (RejectedExecutionException loopShutDown) {
      // The server is closing; the flow is ended by the shutdown path.
    }
  }

  private void tryAddress(InetAddress[] addresses, int index) {
    if (finished) {
      return;
    }
    if (index == addresses.length) {
      finish(new DialOutcome.Failed(lastFailure, lastAddress));
      return;
    }

    InetSocketAddress address = new InetSocketAddress(addresses[index], origin.port());
    lastAddress = address;
    ChannelFuture connect = new Bootstrap()
        .group(loop)
        .channel(channelType)
        .option(ChannelOption.AUTO_READ, false)
        .option(ChannelOption.ALLOW_HALF_CLOSURE, allowHalfClosure)
        .option(ChannelOption.TCP_NODELAY, true)
        // The deadline above bounds the dial; Netty's own per-connect timer stays off.
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 0)
        .handler(new TrafficCounter())
        .connect(address);
    attempt = connect.channel();
    connect.addListener(done -> attempted(connect, addresses, index));
  }

  private void attempted(ChannelFuture connect, InetAddress[] addresses, int index) {
    if (finished) {
      connect.channel().close();
      return;
    }
    if (connect.isSuccess()) {
      long dialNanos = System.nanoTime() - startNanos;
      finish(new DialOutcome.Connected(connect.channel(), lastAddress, dialNanos));
      return;
    }

    lastFailure = classify(connect.cause());
    LOG.debug("origin={} address={} event=attempt-failed failure={} cause={}",
        origin, lastAddress, lastFailure, connect.cause().toString());
    connect.channel().close();
    tryAddress(addresses, index + 1);
  }

  private void expire() {
    if (finished) {
      return;
    }
    Channel inProgress = attempt;
    finish(new DialOutcome.Failed(DialFailure.TIMED_OUT, lastAddress));
    if (inProgress != null) {
      inProgress.close();
    }
  }

  private void finish(DialOutcome result) {
    if (finished) {
      return;
    }
    finished = true;
    deadline.cancel(false);
    outcome.trySuccess(result);
  }

  /** A refusal, or else an unreachable origin, as {@link OriginFailures} reads the cause. */
  private static DialFailure classify(Throwable cause) {
    return OriginFailures.closeReason(cause) == CloseReason.PROXY_CONN_REFUSED
        ? DialFailure.REFUSED
        : DialFailure.UNREACHABLE;
  }
}
