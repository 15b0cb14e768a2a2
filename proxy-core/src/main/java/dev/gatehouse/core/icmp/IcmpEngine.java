package dev.gatehouse.core.icmp;

import dev.gatehouse.core.flow.Admission;
import dev.gatehouse.core.flow.DiscardFlow;
import dev.gatehouse.core.flow.DropReason;
import dev.gatehouse.core.flow.Flow;
import dev.gatehouse.core.flow.FlowEngine;
import dev.gatehouse.core.flow.FlowKey;
import dev.gatehouse.core.flow.FlowLoop;
import dev.gatehouse.core.flow.OriginChannels;
import dev.gatehouse.core.linux.NativeException;
import dev.gatehouse.core.linux.PingSocket;
import dev.gatehouse.core.log.ActivityLog;
import dev.gatehouse.core.log.CloseReason;
import dev.gatehouse.core.policy.FlowDescription;
import dev.gatehouse.core.policy.Policies;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.wire.IpPacket;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.StandardProtocolFamily;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proxies ICMP and ICMPv6 echo: one {@link EchoFlow} per (client, destination, echo id),
 * each with a Linux ping socket of its own (icmp(7)), so the appliance needs no raw socket
 * and no CAP_NET_RAW, only {@code net.ipv4.ping_group_range} to include its group (see
 * {@link #checkPingSockets()}).
 *
 * <p>The ping socket is handed to Netty as an {@code EpollDatagramChannel} built on its
 * descriptor: a ping socket is a SOCK_DGRAM socket whose reads return one ICMP message, so
 * epoll reads it like any datagram socket and the flow, its socket and its timer share one
 * loop. Flows therefore need epoll loops; on NIO loops (no epoll) echo requests are dropped
 * as {@code ORIGIN_UNAVAILABLE}. TODO(#9): a small poller thread for NIO-only hosts.
 *
 * <p>Each request leaves with the TTL / hop limit the client's request arrived with, and
 * the ICMP errors about it (time exceeded, destination unreachable), which ping sockets
 * deliver only through their error queue, are relayed to the client from the node that
 * sent them ({@link dev.gatehouse.core.flow.HopRelay}), so that traceroute -I through
 * Gatehouse shows the hops behind it.
 */
public final class IcmpEngine implements FlowEngine {

  private static final Logger log = LoggerFactory.getLogger(IcmpEngine.class);

  private final IcmpSettings settings;
  private final ActivityLog activityLog;
  private final AtomicInteger openFlows = new AtomicInteger();
  private final Policies policies;

  /** An engine that allows every echo flow. */
  public IcmpEngine(IcmpSettings settings, ActivityLog activityLog) {
    this(settings, activityLog, Policies.allowAll());
  }

  /** An engine that decides each echo flow by {@code policies}. */
  public IcmpEngine(IcmpSettings settings, ActivityLog activityLog, Policies policies) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.activityLog = Objects.requireNonNull(activityLog, "activityLog");
    this.policies = Objects.requireNonNull(policies, "policies");
  }

  /**
   * Opens and closes a ping socket of each family, as the engine will, so that a host that
   * refuses them is reported at start rather than at the first ping. IPv6 is skipped on a
   * kernel without it.
   *
   * @throws NativeException when a ping socket cannot be opened; for EACCES its message names
   *     the group to add to {@code net.ipv4.ping_group_range} and the sysctl to run
   */
  public static void checkPingSockets() throws IOException {
    PingSocket.open(StandardProtocolFamily.INET).close();
    try {
      PingSocket.open(StandardProtocolFamily.INET6).close();
    } catch (NativeException e) {
      if (!"EAFNOSUPPORT".equals(e.errnoName())) {
        throw e;
      }
      log.info("event=icmpv6-unavailable reason=\"{}\"", e.getMessage());
    }
  }

  @Override
  public Flow open(FlowKey key, TunnelContext from, IpPacket first, FlowLoop loop) {
    if (!OriginChannels.isEpoll(loop.eventLoop())) {
      loop.drop(from, DropReason.ORIGIN_UNAVAILABLE);
      return null;
    }
    if (openFlows.incrementAndGet() > settings.maxFlows()) {
      openFlows.decrementAndGet();
      loop.drop(from, DropReason.FLOW_LIMIT);
      return null;
    }
    FlowDescription description = key.describe(from);
    description.inspected("", "", ""); // an echo has no first bytes worth inspecting
    Admission admission = Admission.decide(policies.current(), key, description);
    boolean otherFamily = (admission.origin().getAddress() instanceof Inet4Address) != key.isIpv4();
    if (admission.blocks() || otherFamily) {
      // An echo request cannot be carried over to the other IP version: an override that
      // asks for it blocks the flow.
      return new DiscardFlow(key, from, loop, activityLog, admission.account(), DropReason.POLICY_BLOCKED,
          CloseReason.POLICY_BLOCKED, DiscardFlow.LINGER, openFlows::decrementAndGet);
    }
    EchoFlow flow = new EchoFlow(key, from, loop, settings, admission, activityLog, openFlows::decrementAndGet);
    if (!flow.open()) {
      return flow.failed(activityLog);
    }
    return flow;
  }

  /** Echo flows open now, over all loops. */
  public int openFlows() {
    return openFlows.get();
  }
}
