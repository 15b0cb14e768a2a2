package dev.gatehouse.core.flow;

import dev.gatehouse.core.log.CloseReason;
import dev.gatehouse.core.policy.Policies;
import dev.gatehouse.core.policy.PolicySet;
import dev.gatehouse.core.tunnel.InnerPacketSink;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.wire.Icmpv4Message;
import dev.gatehouse.core.wire.Icmpv6Message;
import dev.gatehouse.core.wire.IpPacket;
import dev.gatehouse.core.wire.TcpSegment;
import dev.gatehouse.core.wire.UdpDatagram;
import dev.gatehouse.core.wire.WireStatus;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The core's entrance for inner packets from every tunnel. On the tunnel's thread it checks
 * the packet (IP header, fragment, transport header and checksum), computes its
 * {@link FlowKey} and hands the buffer to the event loop that key spreads to; on that loop
 * the loop's {@link FlowTable} finds the flow or the transport's {@link FlowEngine} opens
 * one. A packet that fails a check is dropped and counted by {@link DropReason}, in total
 * and for its tunnel; nothing a client sends makes this class throw.
 *
 * <p>Threading: {@link #accept} is safe from any thread; everything after the hand-over runs
 * on the flow's loop, which is why a flow needs no lock.
 */
public final class FlowDispatcher implements InnerPacketSink, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(FlowDispatcher.class);

  /** Views reused by each tunnel thread that calls {@link #accept}. */
  private static final class Views {
    final IpPacket packet = new IpPacket();
    final UdpDatagram udp = new UdpDatagram();
    final TcpSegment tcp = new TcpSegment();
    final Icmpv4Message icmpv4 = new Icmpv4Message();
    final Icmpv6Message icmpv6 = new Icmpv6Message();
  }

  private static final FastThreadLocal<Views> VIEWS = new FastThreadLocal<>() {
    @Override
    protected Views initialValue() {
      return new Views();
    }
  };

  private final FlowLoop[] loops;
  private final Map<Transport, FlowEngine> engines;
  private final DropCounters drops;
  private volatile boolean closed;

  /**
   * @param group the event loops flows live on (epoll or NIO)
   * @param engines the engine for each transport that is proxied; a transport without one
   *     is dropped as {@link DropReason#TRANSPORT_DISABLED}
   * @param returnPath where packets back to clients go
   * @param drops where drops are counted
   */
  public FlowDispatcher(EventLoopGroup group, Map<Transport, FlowEngine> engines,
      ReturnPath returnPath, DropCounters drops) {
    this(group, engines, returnPath, drops, null);
  }

  /**
   * A dispatcher whose open flows also answer to {@code policies}: when a replacing set
   * ends established flows ({@link PolicySet#endsEstablished}), each loop closes its own as
   * {@link CloseReason#POLICY_BLOCKED}. The engines decide new flows themselves.
   */
  public FlowDispatcher(EventLoopGroup group, Map<Transport, FlowEngine> engines,
      ReturnPath returnPath, DropCounters drops, Policies policies) {
    List<FlowLoop> perLoop = new ArrayList<>();
    for (EventExecutor executor : group) {
      perLoop.add(new FlowLoop((EventLoop) executor, ByteBufAllocator.DEFAULT, returnPath, drops));
    }
    this.loops = perLoop.toArray(FlowLoop[]::new);
    this.engines = engines.isEmpty() ? Map.of() : new EnumMap<>(engines);
    this.drops = drops;
    if (policies != null) {
      policies.onReplace(this::endFlowsBlockedBy);
    }
  }

  /** On each loop, closes the open flows {@code replacing} blocks as established. */
  private void endFlowsBlockedBy(PolicySet replacing) {
    if (!replacing.appliesToEstablished() || closed) {
      return;
    }
    for (FlowLoop loop : loops) {
      try {
        loop.eventLoop().execute(() -> {
          int ended = loop.table().closeIf(flow -> flow.description() != null
              && replacing.endsEstablished(flow.description()), CloseReason.POLICY_BLOCKED);
          if (ended > 0) {
            log.info("event=policy-reload-ended-flows flows={}", ended);
          }
        });
      } catch (RejectedExecutionException e) {
        log.debug("event=policy-recheck-skipped reason=loop-stopped");
      }
    }
  }

  /** The counters this dispatcher and its engines count drops in. */
  public DropCounters drops() {
    return drops;
  }

  @Override
  public void accept(TunnelContext from, ByteBuf innerPacket) {
    Views views = VIEWS.get();
    DropReason reason = closed ? DropReason.SHUTTING_DOWN : check(views, innerPacket);
    FlowKey key = reason == null ? FlowKey.of(views.packet, from) : null;
    if (reason == null && key == null) {
      // check() let through only TCP, UDP and ICMP with whole headers: what FlowKey turns
      // down is ICMP other than an echo request.
      reason = DropReason.NOT_ECHO_REQUEST;
    }
    if (reason != null) {
      drops.count(from.name(), reason);
      log.debug("tunnel={} event=drop reason={}", from.name(), reason);
      innerPacket.release();
      return;
    }
    steer(from, key, innerPacket);
  }

  /** The loop that owns flows with {@code key}. */
  public EventLoop loopOf(FlowKey key) {
    return loops[key.spread(loops.length)].eventLoop();
  }

  private void steer(TunnelContext from, FlowKey key, ByteBuf innerPacket) {
    FlowLoop loop = loops[key.spread(loops.length)];
    try {
      loop.eventLoop().execute(() -> loop.dispatch(from, key, innerPacket, engines));
    } catch (RejectedExecutionException e) {
      drops.count(from.name(), DropReason.SHUTTING_DOWN);
      innerPacket.release();
    }
  }

  /**
   * Checks what every engine relies on and returns why the packet must be dropped, or
   * {@code null}: a well-formed IP header (and IPv4 header checksum), no fragment, a
   * transport with an engine, and a whole transport header whose checksum verifies.
   */
  private DropReason check(Views views, ByteBuf buffer) {
    IpPacket packet = views.packet;
    WireStatus status = packet.wrap(buffer, buffer.readerIndex(), buffer.readableBytes());
    if (status != WireStatus.OK) {
      return DropReason.of(status);
    }
    if (packet.isIpv4() && packet.ipv4().verifyHeaderChecksum() != WireStatus.OK) {
      return DropReason.BAD_CHECKSUM;
    }
    // TODO(#11): reassemble fragments (RFC 791 §3.2, RFC 8200 §4.5) instead of dropping them.
    if (packet.isFragment()) {
      return DropReason.FRAGMENT;
    }
    Transport transport = Transport.ofProtocol(packet.protocol());
    if (transport == null) {
      return DropReason.UNSUPPORTED_PROTOCOL;
    }
    status = checkTransport(views, transport);
    if (status != WireStatus.OK) {
      return DropReason.of(status);
    }
    if (!engines.containsKey(transport)) {
      return DropReason.TRANSPORT_DISABLED;
    }
    return null;
  }

  private static WireStatus checkTransport(Views views, Transport transport) {
    IpPacket packet = views.packet;
    ByteBuf buffer = packet.buffer();
    int at = packet.payloadOffset();
    int length = packet.payloadLengthBytes();
    return switch (transport) {
      case UDP -> {
        WireStatus status = views.udp.wrap(buffer, at, length);
        if (status != WireStatus.OK) {
          yield status;
        }
        int sum = packet.pseudoHeaderSum(views.udp.lengthBytes());
        yield packet.isIpv4()
            ? views.udp.verifyChecksumOverIpv4(sum)
            : views.udp.verifyChecksumOverIpv6(sum);
      }
      case TCP -> {
        WireStatus status = views.tcp.wrap(buffer, at, length);
        yield status != WireStatus.OK
            ? status
            : views.tcp.verifyChecksum(packet.pseudoHeaderSum(length));
      }
      case ICMP -> {
        WireStatus status = views.icmpv4.wrap(buffer, at, length);
        yield status != WireStatus.OK ? status : views.icmpv4.verifyChecksum();
      }
      case ICMPV6 -> {
        WireStatus status = views.icmpv6.wrap(buffer, at, length);
        yield status != WireStatus.OK
            ? status
            : views.icmpv6.verifyChecksum(packet.pseudoHeaderSum(length));
      }
    };
  }

  /**
   * Stops taking packets and closes every open flow, each with
   * {@link CloseReason#PROXY_SHUTDOWN}, waiting up to {@code wait} for the loops to finish.
   * Call it before the event loops shut down.
   */
  public void close(Duration wait) {
    closed = true;
    List<Future<?>> closing = new ArrayList<>();
    for (FlowLoop loop : loops) {
      try {
        closing.add(loop.eventLoop().submit(() -> loop.table().closeAll(CloseReason.PROXY_SHUTDOWN)));
      } catch (RejectedExecutionException e) {
        log.warn("event=close-flows loop-already-stopped flows-unlogged=true");
      }
    }
    long deadlineNanos = System.nanoTime() + wait.toNanos();
    for (Future<?> future : closing) {
      long leftMillis = Math.max(0, (deadlineNanos - System.nanoTime()) / 1_000_000);
      future.awaitUninterruptibly(leftMillis);
    }
  }

  /** {@link #close(Duration)} waiting up to five seconds. */
  @Override
  public void close() {
    close(Duration.ofSeconds(5));
  }
}
