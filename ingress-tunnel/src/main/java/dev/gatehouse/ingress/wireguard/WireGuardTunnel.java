package dev.gatehouse.ingress.wireguard;

import dev.gatehouse.core.flow.OriginChannels;
import dev.gatehouse.core.tunnel.InnerPacketSink;
import dev.gatehouse.core.tunnel.Tunnel;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.tunnel.TunnelPlan;
import dev.gatehouse.core.tunnel.TunnelReconfiguration;
import dev.gatehouse.core.tunnel.TunnelStatus;
import dev.gatehouse.ingress.wireguard.config.WireGuardPeerSettings;
import dev.gatehouse.ingress.wireguard.config.WireGuardPublicKey;
import dev.gatehouse.ingress.wireguard.config.WireGuardSettings;
import dev.gatehouse.ingress.wireguard.config.WireGuardTunnelPlan;
import dev.gatehouse.ingress.wireguard.routing.AllowedIps;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code type: wireguard} tunnel: one UDP socket, one {@link WireGuardDevice}, and
 * cryptokey routing between them and the core (whitepaper §2). A datagram from a peer is
 * decrypted by the device; the inner packet goes to the core only if its source address is
 * one of that peer's allowed IPs. A packet from the core goes to the peer whose allowed IPs
 * hold its destination, and is dropped when none does.
 *
 * <p>Threads: the socket, the device and its timer belong to one event loop, taken from the
 * appliance's group at start. {@link #send} may be called from any thread: it picks the peer
 * there (the allowed-IPs table is read without a lock) and hands the packet to the loop.
 * {@link #reconfigure} changes the peers on the loop and waits for it; a packet routed to a
 * peer just removed is dropped there.
 */
public final class WireGuardTunnel implements Tunnel {
  private static final Logger log = LoggerFactory.getLogger(WireGuardTunnel.class);

  // RFC 791 §3.1 and RFC 8200 §3: where the version, lengths and addresses sit.
  private static final int IPV4_TOTAL_LENGTH_OFFSET = 2;
  private static final int IPV4_SOURCE_OFFSET = 12;
  private static final int IPV4_DESTINATION_OFFSET = 16;
  private static final int IPV4_MIN_HEADER_BYTES = 20;
  private static final int IPV6_PAYLOAD_LENGTH_OFFSET = 4;
  private static final int IPV6_SOURCE_OFFSET = 8;
  private static final int IPV6_DESTINATION_OFFSET = 24;
  private static final int IPV6_HEADER_BYTES = 40;

  /** Implementation choice: the timer never sleeps longer, so a clock step is noticed soon. */
  private static final long MAX_TIMER_SLEEP_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final TunnelContext context;
  private final WireGuardSettings settings;
  private final EventLoop loop;
  private final AllowedIps<WireGuardPeer> allowedIps = new AllowedIps<>();
  private final LongAdder[] drops = new LongAdder[WireGuardTunnelDropReason.values().length];

  // loop-confined from start on
  /** The device's peers and the settings each runs on, in the order of the configuration. */
  private final Map<WireGuardPeer, WireGuardPeerSettings> configured = new LinkedHashMap<>();
  private WireGuardDevice device;
  private InnerPacketSink sink;
  private volatile Channel channel;
  private ScheduledFuture<?> timer;
  private long timerDeadlineNanos = Long.MAX_VALUE;
  private volatile boolean running;
  private boolean closed;

  /** A closed tunnel for {@code settings}, whose socket and device will live on one of {@code loops}. */
  public WireGuardTunnel(TunnelContext context, WireGuardSettings settings, EventLoopGroup loops) {
    this.context = Objects.requireNonNull(context, "context");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.loop = loops.next();
    for (int i = 0; i < drops.length; i++) {
      drops[i] = new LongAdder();
    }
  }

  @Override
  public TunnelContext context() {
    return context;
  }

  /** Where the UDP socket is bound, once started; null before. */
  public InetSocketAddress localAddress() {
    Channel bound = channel;
    return bound == null ? null : (InetSocketAddress) bound.localAddress();
  }

  /** Inner packets dropped around the engine for {@code reason}. */
  public long drops(WireGuardTunnelDropReason reason) {
    return drops[reason.ordinal()].sum();
  }

  /** The device's counters (datagrams, bytes, drops by reason), live; null before start. */
  public WireGuardCounters deviceCounters() {
    WireGuardDevice current = device;
    return current == null ? null : current.counters();
  }

  /** The peers and what they moved, in the order of the configuration; empty before start. */
  public List<PeerStatus> peers() {
    return call(() -> configured.entrySet().stream()
        .map(e -> new PeerStatus(e.getValue().label(), e.getKey().endpoint(), e.getKey().latestHandshakeNanos(),
            e.getKey().queuedPackets(), e.getKey().counters()))
        .toList());
  }

  /**
   * Its device's datagrams and drops, the drops around it, and each peer ({@link
   * WireGuardStatus} names them). Waits for the tunnel's loop to read the peers.
   */
  @Override
  public TunnelStatus status() {
    long wallClockOffsetNanos = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
    List<PeerStatus> peerStatus = List.of();
    try {
      peerStatus = running ? peers() : List.of();
    } catch (IllegalStateException e) {
      if (running) {
        throw e;
      }
      // closed meanwhile: its peers are gone, and its loop may be
    }
    return WireGuardStatus.of(context, running, deviceCounters(), this::drops, peerStatus, wallClockOffsetNanos);
  }

  /**
   * One peer as an operator sees it.
   *
   * @param label the configured name, or the start of its public key
   * @param endpoint where its latest authenticated datagram came from, or null
   * @param latestHandshakeNanos when its latest handshake completed, on the {@code System.nanoTime()} clock;
   *     {@link Long#MIN_VALUE} if none did
   * @param queuedPackets inner packets waiting for a handshake to complete
   * @param counters its datagrams, bytes and drops
   */
  public record PeerStatus(String label, InetSocketAddress endpoint, long latestHandshakeNanos,
      int queuedPackets, WireGuardCounters counters) {}

  /**
   * Creates the device with its peers on the tunnel's loop, then binds the UDP socket.
   * Must not be called on an event loop: it waits for the bind.
   */
  @Override
  public void start(InnerPacketSink sink) throws IOException {
    Objects.requireNonNull(sink, "sink");
    call(() -> {
      createDevice(sink);
      return null;
    });
    channel = bind();
    call(() -> {
      running = true;
      armTimer(System.nanoTime());
      return null;
    });
    log.info("tunnel={} listen={} peers={} mtu={} started", context.name(), channel.localAddress(),
        settings.peers().size(), context.mtuBytes());
  }

  private void createDevice(InnerPacketSink packetSink) {
    if (device != null) {
      throw new IllegalStateException("tunnel " + context.name() + " can start only once");
    }
    sink = packetSink;
    long wallClockOffsetNanos = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
    byte[] privateKey = settings.privateKey().reveal();
    try {
      device = new WireGuardDevice(privateKey, new Output(), PooledByteBufAllocator.DEFAULT, new SecureRandom(),
          wallClockOffsetNanos, context.mtuBytes());
    } finally {
      WireGuardKeys.zero(privateKey);
    }
    for (WireGuardPeerSettings peer : settings.peers()) {
      configured.put(addPeer(peer), peer);
    }
  }

  private WireGuardPeer addPeer(WireGuardPeerSettings settings) {
    byte[] psk = settings.presharedKey().map(s -> s.reveal()).orElse(null);
    try {
      WireGuardPeer peer = device.addPeer(settings.publicKey().bytes(), psk, settings.endpoint().orElse(null),
          keepaliveSeconds(settings));
      settings.allowedIps().forEach(prefix -> allowedIps.put(prefix, peer));
      return peer;
    } finally {
      if (psk != null) {
        WireGuardKeys.zero(psk);
      }
    }
  }

  private Channel bind() throws IOException {
    InetSocketAddress address = settings.listenAddress()
        .map(a -> new InetSocketAddress(a, settings.listenPort()))
        .orElseGet(() -> new InetSocketAddress(settings.listenPort()));
    Bootstrap bootstrap = new Bootstrap().group(loop)
        .channelFactory(() -> OriginChannels.isEpoll(loop) ? new EpollDatagramChannel() : new NioDatagramChannel())
        .handler(new Inbound());
    try {
      return bootstrap.bind(address).sync().channel();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("tunnel " + context.name() + ": interrupted while binding " + address, e);
    } catch (Exception e) {
      // sync() rethrows the bind's cause as it is: on epoll a checked NativeIoException
      throw new IOException("tunnel " + context.name() + ": cannot listen on UDP " + address + ": "
          + e.getMessage(), e);
    }
  }

  /**
   * Sends one inner packet to the peer whose allowed IPs hold its destination (§2); takes
   * ownership. Never blocks: the device's work is handed to the tunnel's loop.
   */
  @Override
  public boolean send(ByteBuf innerPacket) {
    WireGuardTunnelDropReason refused = null;
    WireGuardPeer peer = null;
    int offset = innerPacket.readerIndex();
    int length = innerPacket.readableBytes();
    int version = length == 0 ? 0 : (innerPacket.getUnsignedByte(offset) >>> 4);
    if (!running) {
      refused = WireGuardTunnelDropReason.OUT_NOT_RUNNING;
    } else if (length > context.mtuBytes()) {
      refused = WireGuardTunnelDropReason.OUT_LARGER_THAN_MTU;
    } else if (version == 4 && length >= IPV4_MIN_HEADER_BYTES) {
      peer = allowedIps.lookupV4(innerPacket, offset + IPV4_DESTINATION_OFFSET);
    } else if (version == 6 && length >= IPV6_HEADER_BYTES) {
      peer = allowedIps.lookupV6(innerPacket, offset + IPV6_DESTINATION_OFFSET);
    } else {
      refused = WireGuardTunnelDropReason.OUT_NOT_IP;
    }
    if (refused == null && peer == null) {
      refused = WireGuardTunnelDropReason.OUT_NO_PEER;
    }
    if (refused != null) {
      drops[refused.ordinal()].increment();
      innerPacket.release();
      return false;
    }

    WireGuardPeer to = peer;
    if (loop.inEventLoop()) {
      sendOnLoop(to, innerPacket);
      return true;
    }
    try {
      // TODO(#10): one task per packet; batch packets per loop hop under load.
      loop.execute(() -> sendOnLoop(to, innerPacket));
      return true;
    } catch (RejectedExecutionException e) {
      // the loop stopped between the running check and here: the packet is ours to drop
      drops[WireGuardTunnelDropReason.OUT_NOT_RUNNING.ordinal()].increment();
      innerPacket.release();
      return false;
    }
  }

  private void sendOnLoop(WireGuardPeer peer, ByteBuf innerPacket) {
    if (!running || !configured.containsKey(peer)) {
      drops[WireGuardTunnelDropReason.OUT_NOT_RUNNING.ordinal()].increment();
      innerPacket.release();
      return;
    }
    long nowNanos = System.nanoTime();
    device.send(peer, innerPacket, nowNanos);
    armTimer(nowNanos);
  }

  /** Closes the socket, then forgets every peer, which erases their keys. */
  @Override
  public void close() {
    if (loop.isShuttingDown()) {
      return;
    }
    call(() -> {
      closeOnLoop();
      return null;
    });
  }

  private void closeOnLoop() {
    // a start that failed to bind made the device and its peers: they go too
    if (closed || device == null) {
      return;
    }
    closed = true;
    running = false;
    if (timer != null) {
      timer.cancel(false);
    }
    if (channel != null) {
      channel.close();
    }
    for (WireGuardPeer peer : List.copyOf(configured.keySet())) {
      forget(peer);
    }
    log.info("tunnel={} closed datagrams-in={} datagrams-out={} drops={}", context.name(),
        device.counters().packetsIn(), device.counters().packetsOut(), device.counters().totalDrops());
  }

  // --- reload: peers change in place

  /**
   * Applies a reloaded plan's peers in place, on the tunnel's loop (issue #5): peers gone
   * from the list are removed with their sessions and allowed IPs; new ones are added; a
   * peer whose allowed IPs, endpoint, keepalive or name changed is updated and keeps its
   * sessions, so flows through it go on; a peer whose preshared key changed is removed and
   * added anew, since its sessions were agreed with the old key (whitepaper §5.2: the key is
   * mixed into the handshake, not into the transport). The other settings apply only on a
   * restart and are named in the answer; the peers are applied even then, on the running
   * private key.
   */
  @Override
  public TunnelReconfiguration reconfigure(TunnelPlan newPlan) {
    if (!(newPlan instanceof WireGuardTunnelPlan plan)) {
      return TunnelReconfiguration.of(List.of(), List.of("type"));
    }
    List<String> restartNeeded = settingsNeedingRestart(plan);
    List<String> applied = call(() -> closed || device == null ? List.of() : applyPeers(plan.settings().peers()));
    return TunnelReconfiguration.of(applied, restartNeeded);
  }

  /** The keys of what changed that this tunnel runs as it started: its socket, key and identity. */
  private List<String> settingsNeedingRestart(WireGuardTunnelPlan plan) {
    TunnelContext nextContext = plan.context();
    WireGuardSettings next = plan.settings();
    List<String> keys = new ArrayList<>();
    if (nextContext.mtuBytes() != context.mtuBytes()) {
      keys.add("mtu");
    }
    if (!nextContext.site().equals(context.site())) {
      keys.add("site");
    }
    if (nextContext.virtualNetwork() != context.virtualNetwork()) {
      keys.add("virtual-network");
    }
    if (!next.privateKey().equals(settings.privateKey())) {
      keys.add("private-key");
    }
    if (next.listenPort() != settings.listenPort()) {
      keys.add("listen-port");
    }
    if (!next.listenAddress().equals(settings.listenAddress())) {
      keys.add("listen-address");
    }
    if (!next.addresses().equals(settings.addresses())) {
      keys.add("address");
    }
    return keys;
  }

  private List<String> applyPeers(List<WireGuardPeerSettings> wanted) {
    Map<WireGuardPublicKey, WireGuardPeerSettings> wantedByKey = new LinkedHashMap<>();
    wanted.forEach(peer -> wantedByKey.put(peer.publicKey(), peer));
    List<String> applied = new ArrayList<>();

    // first what goes: removed and re-keyed peers, and prefixes kept peers give up, so that
    // no two peers hold one prefix once the new ones are put (§2)
    Map<WireGuardPublicKey, WireGuardPeer> running = new HashMap<>();
    Set<WireGuardPublicKey> rekeyed = new HashSet<>();
    for (Map.Entry<WireGuardPeer, WireGuardPeerSettings> entry : List.copyOf(configured.entrySet())) {
      WireGuardPeerSettings was = entry.getValue();
      WireGuardPeerSettings next = wantedByKey.get(was.publicKey());
      if (next == null || !next.presharedKey().equals(was.presharedKey())) {
        forget(entry.getKey());
        if (next == null) {
          applied.add("peer " + was.label() + " removed");
        } else {
          rekeyed.add(was.publicKey());
          applied.add("peer " + was.label() + " preshared key changed: new session");
        }
        continue;
      }
      was.allowedIps().stream().filter(prefix -> !next.allowedIps().contains(prefix)).forEach(allowedIps::remove);
      running.put(was.publicKey(), entry.getKey());
    }

    // then what comes and what changes, in the file's order
    Map<WireGuardPeer, WireGuardPeerSettings> next = new LinkedHashMap<>();
    for (WireGuardPeerSettings peerSettings : wantedByKey.values()) {
      WireGuardPeer peer = running.get(peerSettings.publicKey());
      if (peer == null) {
        peer = addPeer(peerSettings);
        if (!rekeyed.contains(peerSettings.publicKey())) {
          applied.add("peer " + peerSettings.label() + " added");
        }
      } else if (update(peer, configured.get(peer), peerSettings)) {
        applied.add("peer " + peerSettings.label() + " changed");
      }
      next.put(peer, peerSettings);
    }
    configured.clear();
    configured.putAll(next);
    armTimer(System.nanoTime());

    if (!applied.isEmpty()) {
      log.info("tunnel={} event=peers-reconfigured peers={} changes=\"{}\"", context.name(), configured.size(),
          String.join("; ", applied));
    }
    return applied;
  }

  /** Brings a kept peer to {@code next}; its sessions stay. True if anything changed. */
  private boolean update(WireGuardPeer peer, WireGuardPeerSettings was, WireGuardPeerSettings next) {
    next.allowedIps().stream().filter(prefix -> !was.allowedIps().contains(prefix))
        .forEach(prefix -> allowedIps.put(prefix, peer));
    if (!next.endpoint().equals(was.endpoint())) {
      // a configured endpoint applies at once, as at start; without one the peer's latest
      // authenticated packet keeps saying where it is (§2.1)
      next.endpoint().ifPresent(peer::setEndpoint);
    }
    peer.setPersistentKeepaliveSeconds(keepaliveSeconds(next));
    return !next.equals(was);
  }

  /** Removes {@code peer} from routing and from the device, which erases its keys and drops its queue. */
  private void forget(WireGuardPeer peer) {
    allowedIps.removePeer(peer);
    device.removePeer(peer);
    configured.remove(peer);
  }

  private static int keepaliveSeconds(WireGuardPeerSettings peer) {
    return peer.persistentKeepalive().map(d -> (int) d.toSeconds()).orElse(0);
  }

  private String label(WireGuardPeer peer) {
    WireGuardPeerSettings peerSettings = configured.get(peer);
    return peerSettings == null ? "-" : peerSettings.label();
  }

  /** For tests in this package: {@code read} applied to the device, on the tunnel's loop. */
  <T> T inspect(Function<WireGuardDevice, T> read) {
    return call(() -> read.apply(device));
  }

  // --- timers: one task on the loop, at the device's next deadline

  private void armTimer(long nowNanos) {
    long deadline = Math.min(device.nextDeadlineNanos(), nowNanos + MAX_TIMER_SLEEP_NANOS);
    if (!running || deadline >= timerDeadlineNanos) {
      return;
    }
    if (timer != null) {
      timer.cancel(false);
    }
    timerDeadlineNanos = deadline;
    timer = loop.schedule(this::onTimer, Math.max(0, deadline - nowNanos), TimeUnit.NANOSECONDS);
  }

  private void onTimer() {
    timer = null;
    timerDeadlineNanos = Long.MAX_VALUE;
    if (!running) {
      return;
    }
    long nowNanos = System.nanoTime();
    device.tick(nowNanos);
    armTimer(nowNanos);
  }

  // --- the socket side

  private final class Inbound extends SimpleChannelInboundHandler<DatagramPacket> {
    Inbound() {
      super(false);
    }

    @Override
    public void channelRegistered(ChannelHandlerContext ctx) {
      // known to Output before the bind completes: a datagram may be read, and answered,
      // before bind() returns to the thread that called start
      channel = ctx.channel();
      ctx.fireChannelRegistered();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
      long nowNanos = System.nanoTime();
      // the device takes the payload over and releases it
      device.receive(packet.content(), packet.sender(), nowNanos);
      armTimer(nowNanos);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // a socket error (an ICMP unreachable from a gone endpoint, say) is one peer's trouble
      log.debug("tunnel={} socket error", context.name(), cause);
    }
  }

  /** What the device produces, on the loop: datagrams out, inner packets to the core. */
  private final class Output implements WireGuardOutput {
    @Override
    public void send(WireGuardPeer peer, InetSocketAddress endpoint, ByteBuf datagram) {
      if (channel == null || !channel.isActive()) {
        datagram.release();
        return;
      }
      channel.writeAndFlush(new DatagramPacket(datagram, endpoint), channel.voidPromise());
    }

    @Override
    public void deliver(WireGuardPeer peer, ByteBuf innerPacket) {
      WireGuardTunnelDropReason refused = checkInner(peer, innerPacket);
      if (refused != null) {
        drops[refused.ordinal()].increment();
        innerPacket.release();
        return;
      }
      sink.accept(context, innerPacket);
    }

    @Override
    public void endpointChanged(WireGuardPeer peer, InetSocketAddress endpoint) {
      log.info("tunnel={} peer={} endpoint={} event=endpoint-changed", context.name(), label(peer), endpoint);
    }

    @Override
    public void dropped(WireGuardPeer peerOrNull, WireGuardDropReason reason) {
      if (log.isDebugEnabled()) {
        log.debug("tunnel={} peer={} drop={}", context.name(), peerOrNull == null ? "-" : label(peerOrNull),
            reason);
      }
    }
  }

  /**
   * Trims the padding after the inner packet (§5.4.6) and checks its source against the
   * sender's allowed IPs (§2); the reason to drop it, or null.
   */
  private WireGuardTunnelDropReason checkInner(WireGuardPeer peer, ByteBuf inner) {
    int offset = inner.readerIndex();
    int length = inner.readableBytes();
    int version = length == 0 ? 0 : (inner.getUnsignedByte(offset) >>> 4);
    int packetBytes;
    WireGuardPeer owner;
    if (version == 4 && length >= IPV4_MIN_HEADER_BYTES) {
      packetBytes = inner.getUnsignedShort(offset + IPV4_TOTAL_LENGTH_OFFSET);
      owner = allowedIps.lookupV4(inner, offset + IPV4_SOURCE_OFFSET);
    } else if (version == 6 && length >= IPV6_HEADER_BYTES) {
      packetBytes = IPV6_HEADER_BYTES + inner.getUnsignedShort(offset + IPV6_PAYLOAD_LENGTH_OFFSET);
      owner = allowedIps.lookupV6(inner, offset + IPV6_SOURCE_OFFSET);
    } else {
      return WireGuardTunnelDropReason.IN_NOT_IP;
    }
    if (packetBytes > length || packetBytes < (version == 4 ? IPV4_MIN_HEADER_BYTES : IPV6_HEADER_BYTES)) {
      return WireGuardTunnelDropReason.IN_NOT_IP;
    }
    if (owner != peer) {
      peer.counters().drop(WireGuardDropReason.IN_SOURCE_NOT_ALLOWED);
      return WireGuardTunnelDropReason.IN_SOURCE_NOT_ALLOWED;
    }
    inner.writerIndex(offset + packetBytes);
    return null;
  }

  /** Runs {@code task} on the tunnel's loop and waits for it. */
  private <T> T call(Callable<T> task) {
    try {
      return loop.inEventLoop() ? task.call() : loop.submit(task).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("tunnel " + context.name() + ": interrupted", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("tunnel " + context.name() + ": " + e.getCause().getMessage(), e.getCause());
    } catch (Exception e) {
      throw new IllegalStateException("tunnel " + context.name() + ": " + e.getMessage(), e);
    }
  }
}
