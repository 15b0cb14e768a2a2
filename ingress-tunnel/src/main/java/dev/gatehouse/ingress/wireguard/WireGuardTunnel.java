package dev.gatehouse.ingress.wireguard;

import dev.gatehouse.core.flow.OriginChannels;
import dev.gatehouse.core.linux.SocketOptions;
import dev.gatehouse.core.tunnel.InnerPacketSink;
import dev.gatehouse.core.tunnel.Tunnel;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.tunnel.TunnelPlan;
import dev.gatehouse.core.tunnel.TunnelReconfiguration;
import dev.gatehouse.core.tunnel.TunnelStatus;
import dev.gatehouse.core.wire.Ipv4Header;
import dev.gatehouse.core.wire.Ipv6Header;
import dev.gatehouse.ingress.wireguard.config.WireGuardPeerSettings;
import dev.gatehouse.ingress.wireguard.config.WireGuardPublicKey;
import dev.gatehouse.ingress.wireguard.config.WireGuardSettings;
import dev.gatehouse.ingress.wireguard.config.WireGuardTunnelPlan;
import dev.gatehouse.ingress.wireguard.routing.AllowedIps;
import dev.gatehouse.ingress.wireguard.wire.MessageType;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.unix.UnixChannelOption;
import io.netty.util.concurrent.EventExecutor;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.internal.PlatformDependent;
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
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code type: wireguard} tunnel: UDP sockets, {@link WireGuardDevice}s, and cryptokey
 * routing between them and the core (whitepaper §2). A datagram from a peer is decrypted by
 * the device that owns the peer; the inner packet goes to the core only if its source address
 * is one of that peer's allowed IPs. A packet from the core goes to the peer whose allowed IPs
 * hold its destination, and is dropped when none does.
 *
 * <p><b>Threads: one owner per peer.</b> The tunnel runs one {@link Shard} on each event loop
 * of the appliance's group. A shard owns one device, its timer and the peers that hash to it
 * ({@link #shardOf}): everything about such a peer (handshakes, keypairs, replay windows,
 * timers, its queue) lives on that shard's loop, so nothing of a session is shared between
 * loops and a peer's packets are decrypted and delivered one at a time, in order. Peers are
 * spread over the loops; one peer is never split. The devices share the private key; each
 * chooses its receiver indices in its own residue class ({@link
 * WireGuardDevice#indexClassOf}), so a transport message, response or cookie reply names its
 * shard in its receiver index, and an initiation by the static key it carries.
 *
 * <p>On epoll every shard has its own socket on the tunnel's address and port (SO_REUSEPORT):
 * the kernel spreads datagrams over them by source, each shard reads its socket and writes
 * what its peers send to it, and a datagram read by another shard than its owner is handed to
 * the owner's loop through a queue (first in, first out, so one source's datagrams keep their
 * order). On NIO the first shard's socket reads everything and the other shards write through
 * it. {@link #send} may be called from any thread: it picks the peer there (the allowed-IPs
 * table is read without a lock) and queues the packet for the peer's shard, which drains its
 * queue in one task per burst. {@link #reconfigure} and {@link #start} run on the caller's
 * thread and change each peer on its shard's loop.
 */
public final class WireGuardTunnel implements Tunnel {
  private static final Logger log = LoggerFactory.getLogger(WireGuardTunnel.class);

  // Whitepaper §5.4.3, §5.4.6 and §5.4.7: where each message holds our receiver index.
  private static final int RESPONSE_RECEIVER_OFFSET = 8;
  private static final int RECEIVER_OFFSET = 4;
  private static final int MIN_ROUTABLE_BYTES = 12;

  /** Implementation choice: the timer never sleeps longer, so a clock step is noticed soon. */
  private static final long MAX_TIMER_SLEEP_NANOS = TimeUnit.SECONDS.toNanos(1);
  /**
   * Implementation choice: each socket's receive and send buffers. The kernel's default
   * (about 208 KiB) overflowed under one TCP stream at a few hundred Mbit/s, and every
   * datagram lost there is a TCP segment the site sends again.
   */
  static final int SOCKET_BUFFER_BYTES = 4 << 20;
  /** Implementation choice: packets waiting for a shard's loop, beyond which they drop. */
  private static final int MAX_QUEUED_PER_SHARD = 16 * 1024;
  /** Implementation choice: packets one drain task handles before it lets the loop do other work. */
  private static final int MAX_PACKETS_PER_DRAIN = 256;

  private final TunnelContext context;
  private final WireGuardSettings settings;
  private final Shard[] shards;
  private final AllowedIps<WireGuardPeer> allowedIps = new AllowedIps<>();
  private final LongAdder[] drops = new LongAdder[WireGuardTunnelDropReason.values().length];
  private volatile boolean running;
  private volatile InnerPacketSink sink;

  // control plane, guarded by this: the peers in the order of the configuration
  private final Map<WireGuardPublicKey, Configured> configured = new LinkedHashMap<>();
  private boolean started;
  private boolean closed;

  /** A configured peer: its device's handle, its settings and the shard that owns it. */
  private record Configured(WireGuardPeer peer, WireGuardPeerSettings settings, Shard shard) {}

  /**
   * A closed tunnel for {@code settings}, whose sockets and devices will live on {@code loops},
   * one shard per loop, the first on {@code loops.next()} so that tunnels start on different loops.
   */
  public WireGuardTunnel(TunnelContext context, WireGuardSettings settings, EventLoopGroup loops) {
    this.context = Objects.requireNonNull(context, "context");
    this.settings = Objects.requireNonNull(settings, "settings");
    List<EventLoop> all = new ArrayList<>();
    for (EventExecutor executor : loops) {
      all.add((EventLoop) executor);
    }
    int first = Math.max(0, all.indexOf(loops.next()));
    this.shards = new Shard[all.size()];
    for (int i = 0; i < shards.length; i++) {
      shards[i] = new Shard(i, all.get((first + i) % all.size()));
    }
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
    Channel bound = shards[0].channel;
    return bound == null ? null : (InetSocketAddress) bound.localAddress();
  }

  /** For tests: the first socket's receive and send buffer sizes as the kernel reports them. */
  int[] socketBufferBytes() {
    Channel bound = shards[0].channel;
    return new int[] {bound.config().getOption(ChannelOption.SO_RCVBUF),
        bound.config().getOption(ChannelOption.SO_SNDBUF)};
  }

  /** Inner packets dropped around the engine for {@code reason}. */
  public long drops(WireGuardTunnelDropReason reason) {
    return drops[reason.ordinal()].sum();
  }

  /** The devices' counters (datagrams, bytes, drops by reason), summed live; null before start. */
  public synchronized WireGuardCounters deviceCounters() {
    if (!started) {
      return null;
    }
    List<WireGuardCounters> parts = new ArrayList<>();
    for (Shard shard : shards) {
      parts.add(shard.device.counters());
    }
    return WireGuardCounters.sumOf(parts);
  }

  /** The peers and what they moved, in the order of the configuration; empty before start. */
  public synchronized List<PeerStatus> peers() {
    List<PeerStatus> status = new ArrayList<>();
    for (Configured c : configured.values()) {
      status.add(c.shard.call(() -> new PeerStatus(c.settings.label(), c.peer.endpoint(),
          c.peer.latestHandshakeNanos(), c.peer.queuedPackets(), c.peer.counters())));
    }
    return status;
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
   * Creates the devices with their peers on their loops, then binds the UDP sockets. Must not
   * be called on an event loop: it waits for each.
   */
  @Override
  public synchronized void start(InnerPacketSink packetSink) throws IOException {
    Objects.requireNonNull(packetSink, "sink");
    if (started) {
      throw new IllegalStateException("tunnel " + context.name() + " can start only once");
    }
    started = true;
    sink = packetSink;
    long wallClockOffsetNanos = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
    for (Shard shard : shards) {
      shard.call(() -> {
        shard.createDevice(wallClockOffsetNanos);
        return null;
      });
    }
    for (WireGuardPeerSettings peer : settings.peers()) {
      addPeer(peer);
    }
    bind();
    running = true;
    for (Shard shard : shards) {
      shard.call(() -> {
        shard.armTimer(System.nanoTime());
        return null;
      });
    }
    log.info("tunnel={} listen={} peers={} mtu={} loops={} started", context.name(), localAddress(),
        settings.peers().size(), context.mtuBytes(), shards.length);
  }

  /** The shard that owns the peer with {@code publicKey}: the same for as long as the tunnel runs. */
  private Shard shardOf(byte[] publicKey) {
    // the key is random: its first four bytes spread peers evenly
    int hash = (publicKey[0] & 0xff) | (publicKey[1] & 0xff) << 8 | (publicKey[2] & 0xff) << 16
        | (publicKey[3] & 0xff) << 24;
    return shards[Integer.remainderUnsigned(hash, shards.length)];
  }

  private void addPeer(WireGuardPeerSettings peerSettings) {
    byte[] publicKey = peerSettings.publicKey().bytes();
    Shard shard = shardOf(publicKey);
    WireGuardPeer peer = shard.call(() -> shard.addPeer(peerSettings));
    peerSettings.allowedIps().forEach(prefix -> allowedIps.put(prefix, peer));
    configured.put(peerSettings.publicKey(), new Configured(peer, peerSettings, shard));
  }

  /**
   * Binds the first shard's socket, then, on epoll with several shards, every other shard's
   * to the same address and port with SO_REUSEPORT. The first is bound once without it to
   * find out whether the port is free: SO_REUSEPORT alone would let a second tunnel on the
   * same port join the first's sockets and take half its datagrams instead of failing.
   */
  private void bind() throws IOException {
    InetSocketAddress address = settings.listenAddress()
        .map(a -> new InetSocketAddress(a, settings.listenPort()))
        .orElseGet(() -> new InetSocketAddress(settings.listenPort()));
    boolean reusePort = shards.length > 1 && OriginChannels.isEpoll(shards[0].loop);
    Channel first = shards[0].bind(address, false);
    if (reusePort) {
      InetSocketAddress bound = (InetSocketAddress) first.localAddress();
      first.close().syncUninterruptibly();
      first = shards[0].bind(bound, true);
      for (int i = 1; i < shards.length; i++) {
        shards[i].bind(bound, true);
      }
    }
    for (Shard shard : shards) {
      shard.sendChannel = reusePort ? shard.channel : first;
    }
  }

  /**
   * Sends one inner packet to the peer whose allowed IPs hold its destination (§2); takes
   * ownership. Never blocks: the packet joins the queue of the peer's shard, which one task
   * drains per burst of packets.
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
    } else if (version == Ipv4Header.VERSION && length >= Ipv4Header.MIN_HEADER_LENGTH_BYTES) {
      peer = allowedIps.lookupV4(innerPacket, offset + Ipv4Header.DESTINATION_ADDRESS_OFFSET);
    } else if (version == Ipv6Header.VERSION && length >= Ipv6Header.HEADER_LENGTH_BYTES) {
      peer = allowedIps.lookupV6(innerPacket, offset + Ipv6Header.DESTINATION_ADDRESS_OFFSET);
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
    return shardOf(peer.publicKeyNoCopy()).queueOutbound(innerPacket);
  }

  /** The peer whose allowed IPs hold the destination of a packet {@link #send} accepted. */
  private WireGuardPeer route(ByteBuf innerPacket) {
    int offset = innerPacket.readerIndex();
    return (innerPacket.getUnsignedByte(offset) >>> 4) == Ipv4Header.VERSION
        ? allowedIps.lookupV4(innerPacket, offset + Ipv4Header.DESTINATION_ADDRESS_OFFSET)
        : allowedIps.lookupV6(innerPacket, offset + Ipv6Header.DESTINATION_ADDRESS_OFFSET);
  }

  /** Closes the sockets, then forgets every peer, which erases their keys. */
  @Override
  public synchronized void close() {
    if (closed || !started || shards[0].loop.isShuttingDown()) {
      return;
    }
    closed = true;
    running = false;
    for (Shard shard : shards) {
      shard.call(() -> {
        shard.closeOnLoop();
        return null;
      });
    }
    for (Configured c : List.copyOf(configured.values())) {
      forget(c);
    }
    for (Shard shard : shards) {
      shard.call(() -> {
        shard.dropQueued();
        return null;
      });
    }
    WireGuardCounters total = deviceCounters();
    log.info("tunnel={} closed datagrams-in={} datagrams-out={} drops={}", context.name(),
        total.packetsIn(), total.packetsOut(), total.totalDrops());
  }

  // --- reload: peers change in place

  /**
   * Applies a reloaded plan's peers in place (issue #5), each on its shard's loop: peers gone
   * from the list are removed with their sessions and allowed IPs; new ones are added; a
   * peer whose allowed IPs, endpoint, keepalive or name changed is updated and keeps its
   * sessions, so flows through it go on; a peer whose preshared key changed is removed and
   * added anew, since its sessions were agreed with the old key (whitepaper §5.2: the key is
   * mixed into the handshake, not into the transport). The other settings apply only on a
   * restart and are named in the answer; the peers are applied even then, on the running
   * private key.
   */
  @Override
  public synchronized TunnelReconfiguration reconfigure(TunnelPlan newPlan) {
    if (!(newPlan instanceof WireGuardTunnelPlan plan)) {
      return TunnelReconfiguration.of(List.of(), List.of("type"));
    }
    List<String> restartNeeded = settingsNeedingRestart(plan);
    List<String> applied = closed || !started ? List.of() : applyPeers(plan.settings().peers());
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
    Map<WireGuardPublicKey, Configured> kept = new LinkedHashMap<>();
    Set<WireGuardPublicKey> rekeyed = new HashSet<>();
    for (Configured c : List.copyOf(configured.values())) {
      WireGuardPeerSettings was = c.settings;
      WireGuardPeerSettings next = wantedByKey.get(was.publicKey());
      if (next == null || !next.presharedKey().equals(was.presharedKey())) {
        forget(c);
        if (next == null) {
          applied.add("peer " + was.label() + " removed");
        } else {
          rekeyed.add(was.publicKey());
          applied.add("peer " + was.label() + " preshared key changed: new session");
        }
        continue;
      }
      was.allowedIps().stream().filter(prefix -> !next.allowedIps().contains(prefix)).forEach(allowedIps::remove);
      kept.put(was.publicKey(), c);
    }

    // then what comes and what changes, in the file's order
    Map<WireGuardPublicKey, Configured> next = new LinkedHashMap<>();
    for (WireGuardPeerSettings peerSettings : wantedByKey.values()) {
      Configured c = kept.get(peerSettings.publicKey());
      if (c == null) {
        addPeer(peerSettings);
        c = configured.get(peerSettings.publicKey());
        if (!rekeyed.contains(peerSettings.publicKey())) {
          applied.add("peer " + peerSettings.label() + " added");
        }
      } else {
        if (update(c, peerSettings)) {
          applied.add("peer " + peerSettings.label() + " changed");
        }
        c = new Configured(c.peer, peerSettings, c.shard);
      }
      next.put(peerSettings.publicKey(), c);
    }
    configured.clear();
    configured.putAll(next);

    if (!applied.isEmpty()) {
      log.info("tunnel={} event=peers-reconfigured peers={} changes=\"{}\"", context.name(), configured.size(),
          String.join("; ", applied));
    }
    return applied;
  }

  /** Brings a kept peer to {@code next}; its sessions stay. True if anything changed. */
  private boolean update(Configured c, WireGuardPeerSettings next) {
    WireGuardPeerSettings was = c.settings;
    next.allowedIps().stream().filter(prefix -> !was.allowedIps().contains(prefix))
        .forEach(prefix -> allowedIps.put(prefix, c.peer));
    c.shard.call(() -> {
      if (!next.endpoint().equals(was.endpoint())) {
        // a configured endpoint applies at once, as at start; without one the peer's latest
        // authenticated packet keeps saying where it is (§2.1)
        next.endpoint().ifPresent(c.peer::setEndpoint);
      }
      c.peer.setPersistentKeepaliveSeconds(keepaliveSeconds(next));
      c.shard.labels.put(c.peer, next.label());
      c.shard.armTimer(System.nanoTime());
      return null;
    });
    return !next.equals(was);
  }

  /** Removes a peer from routing and from its device, which erases its keys and drops its queue. */
  private void forget(Configured c) {
    allowedIps.removePeer(c.peer);
    c.shard.call(() -> {
      c.shard.device.removePeer(c.peer);
      c.shard.labels.remove(c.peer);
      return null;
    });
    configured.remove(c.settings.publicKey());
  }

  private static int keepaliveSeconds(WireGuardPeerSettings peer) {
    return peer.persistentKeepalive().map(d -> (int) d.toSeconds()).orElse(0);
  }

  /** For tests in this package: {@code read} applied to the peer with {@code publicKey}, on its loop. */
  synchronized <T> T inspectPeer(byte[] publicKey, Function<WireGuardPeer, T> read) {
    Shard shard = shardOf(publicKey);
    return shard.call(() -> read.apply(shard.device.peer(publicKey)));
  }

  /** For tests in this package: the thread of the loop that owns the peer with {@code publicKey}. */
  Thread ownerThreadOf(byte[] publicKey) {
    return shardOf(publicKey).call(Thread::currentThread);
  }

  /** For tests in this package: how many loops the tunnel runs on. */
  int shardCount() {
    return shards.length;
  }

  /**
   * Trims the padding after the inner packet (§5.4.6) and checks its source against the
   * sender's allowed IPs (§2); the reason to drop it, or null.
   */
  private WireGuardTunnelDropReason checkInner(WireGuardPeer peer, ByteBuf inner) {
    int offset = inner.readerIndex();
    int length = inner.readableBytes();
    int version = length == 0 ? 0 : (inner.getUnsignedByte(offset) >>> 4);
    int headerBytes;
    int packetBytes;
    WireGuardPeer owner;
    if (version == Ipv4Header.VERSION && length >= Ipv4Header.MIN_HEADER_LENGTH_BYTES) {
      headerBytes = Ipv4Header.MIN_HEADER_LENGTH_BYTES;
      packetBytes = inner.getUnsignedShort(offset + Ipv4Header.TOTAL_LENGTH_OFFSET);
      owner = allowedIps.lookupV4(inner, offset + Ipv4Header.SOURCE_ADDRESS_OFFSET);
    } else if (version == Ipv6Header.VERSION && length >= Ipv6Header.HEADER_LENGTH_BYTES) {
      headerBytes = Ipv6Header.HEADER_LENGTH_BYTES;
      packetBytes = headerBytes + inner.getUnsignedShort(offset + Ipv6Header.PAYLOAD_LENGTH_OFFSET);
      owner = allowedIps.lookupV6(inner, offset + Ipv6Header.SOURCE_ADDRESS_OFFSET);
    } else {
      return WireGuardTunnelDropReason.IN_NOT_IP;
    }
    if (packetBytes > length || packetBytes < headerBytes) {
      return WireGuardTunnelDropReason.IN_NOT_IP;
    }
    if (owner != peer) {
      peer.counters().drop(WireGuardDropReason.IN_SOURCE_NOT_ALLOWED);
      return WireGuardTunnelDropReason.IN_SOURCE_NOT_ALLOWED;
    }
    inner.writerIndex(offset + packetBytes);
    return null;
  }

  /**
   * One event loop's part of the tunnel: a device and the peers that hash to it, a socket
   * (on epoll), a timer, and two queues into the loop, one for packets from the core and one
   * for datagrams another shard read. Confined to its loop but for the queues and {@link
   * #channel}.
   */
  private final class Shard {
    final int index;
    final EventLoop loop;
    /** The peers of this shard's device and their names, for logs. */
    final Map<WireGuardPeer, String> labels = new HashMap<>();
    final Queue<ByteBuf> outbound = PlatformDependent.newMpscQueue(1024, MAX_QUEUED_PER_SHARD);
    final AtomicBoolean outboundScheduled = new AtomicBoolean();
    final Runnable outboundTask = this::drainOutbound;
    final Queue<DatagramPacket> inbound = PlatformDependent.newMpscQueue(1024, MAX_QUEUED_PER_SHARD);
    final AtomicBoolean inboundScheduled = new AtomicBoolean();
    final Runnable inboundTask = this::drainInbound;
    WireGuardDevice device;
    /** This shard's own socket, on epoll; on NIO only the first shard has one. */
    volatile Channel channel;
    /** Where this shard's datagrams leave: its own socket, or on NIO the first shard's. */
    volatile Channel sendChannel;
    ScheduledFuture<?> timer;
    long timerDeadlineNanos = Long.MAX_VALUE;
    /** Datagrams were written since the last flush; each entry point into the loop flushes once. */
    boolean flushPending;

    Shard(int index, EventLoop loop) {
      this.index = index;
      this.loop = loop;
    }

    void createDevice(long wallClockOffsetNanos) {
      byte[] privateKey = settings.privateKey().reveal();
      try {
        device = new WireGuardDevice(privateKey, new Output(this), PooledByteBufAllocator.DEFAULT,
            new SecureRandom(), wallClockOffsetNanos, context.mtuBytes(), index, shards.length);
      } finally {
        WireGuardKeys.zero(privateKey);
      }
    }

    WireGuardPeer addPeer(WireGuardPeerSettings peerSettings) {
      byte[] psk = peerSettings.presharedKey().map(s -> s.reveal()).orElse(null);
      try {
        WireGuardPeer peer = device.addPeer(peerSettings.publicKey().bytes(), psk,
            peerSettings.endpoint().orElse(null), keepaliveSeconds(peerSettings));
        labels.put(peer, peerSettings.label());
        armTimer(System.nanoTime());
        return peer;
      } finally {
        if (psk != null) {
          WireGuardKeys.zero(psk);
        }
      }
    }

    // TODO(#5): read with recvmmsg (EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE) or UDP GRO;
    // both cut datagrams longer than the size given, so they need a bound a peer cannot pass.
    // Netty also makes a DatagramPacket (and a sender address) per datagram each way: the
    // per-packet objects left on this path are the socket's, not the engine's.
    Channel bind(InetSocketAddress address, boolean reusePort) throws IOException {
      Bootstrap bootstrap = new Bootstrap().group(loop)
          .channelFactory(() -> OriginChannels.isEpoll(loop) ? new EpollDatagramChannel() : new NioDatagramChannel())
          .option(ChannelOption.SO_RCVBUF, SOCKET_BUFFER_BYTES)
          .option(ChannelOption.SO_SNDBUF, SOCKET_BUFFER_BYTES)
          .handler(new Inbound(this));
      if (reusePort) {
        bootstrap.option(UnixChannelOption.SO_REUSEPORT, true);
      }
      try {
        Channel bound = bootstrap.bind(address).sync().channel();
        forceBufferSizes(bound);
        channel = bound;
        return bound;
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
     * SO_RCVBUF and SO_SNDBUF stop at net.core.rmem_max and wmem_max (208 KiB by default);
     * as root the FORCE options go past them. Without the right, the capped sizes stay.
     */
    private void forceBufferSizes(Channel bound) {
      if (bound instanceof EpollDatagramChannel epoll) {
        try {
          SocketOptions.forceBufferSizes(epoll.fd().intValue(), SOCKET_BUFFER_BYTES, "tunnel " + context.name());
        } catch (IOException e) {
          log.debug("tunnel={} event=socket-buffers-capped reason=\"{}\"", context.name(), e.getMessage());
        }
      }
      log.debug("tunnel={} loop={} socket-receive-buffer={} socket-send-buffer={}", context.name(), index,
          bound.config().getOption(ChannelOption.SO_RCVBUF), bound.config().getOption(ChannelOption.SO_SNDBUF));
    }

    // --- datagrams in

    /** A datagram this shard's socket read: decrypted here if its peer is ours, else handed over. */
    void onRead(DatagramPacket packet) {
      Shard owner = shards.length == 1 ? this : ownerOf(packet.content());
      if (owner == this) {
        receive(packet, System.nanoTime());
        return;
      }
      if (!owner.inbound.offer(packet)) {
        drops[WireGuardTunnelDropReason.IN_LOOP_BUSY.ordinal()].increment();
        packet.release();
        return;
      }
      owner.schedule(owner.inboundScheduled, owner.inboundTask, owner::dropQueued);
    }

    /**
     * The shard a datagram is for: the one whose residue class holds its receiver index, or
     * for an initiation the one that owns the static key inside; this one when the datagram
     * names none, whose device then drops and counts it.
     */
    private Shard ownerOf(ByteBuf content) {
      int offset = content.readerIndex();
      if (content.readableBytes() < MIN_ROUTABLE_BYTES) {
        return this;
      }
      int receiverOffset = switch (content.getUnsignedByte(offset)) {
        case MessageType.HANDSHAKE_RESPONSE -> RESPONSE_RECEIVER_OFFSET;
        case MessageType.COOKIE_REPLY, MessageType.TRANSPORT_DATA -> RECEIVER_OFFSET;
        case MessageType.HANDSHAKE_INITIATION -> -1;
        default -> 0;
      };
      if (receiverOffset > 0) {
        int receiverIndex = content.getIntLE(offset + receiverOffset);
        return shards[WireGuardDevice.indexClassOf(receiverIndex, shards.length)];
      }
      if (receiverOffset < 0) {
        // one DH more per initiation (the owner decrypts the static key again): handshakes
        // are rare, and a flood of them is the device's TODO(#5) on rate limits either way
        byte[] initiator = device.initiatorOf(content);
        return initiator == null ? this : shardOf(initiator);
      }
      return this;
    }

    private void receive(DatagramPacket packet, long nowNanos) {
      // the device takes the payload over and releases it
      device.receive(packet.content(), packet.sender(), nowNanos);
      armTimer(nowNanos);
    }

    private void drainInbound() {
      inboundScheduled.set(false);
      long nowNanos = System.nanoTime();
      DatagramPacket packet;
      for (int handled = 0; handled < MAX_PACKETS_PER_DRAIN && (packet = inbound.poll()) != null; handled++) {
        if (running) {
          receive(packet, nowNanos);
        } else {
          packet.release();
        }
      }
      if (!inbound.isEmpty()) {
        schedule(inboundScheduled, inboundTask, this::dropQueued);
      }
      flush();
    }

    // --- packets out

    boolean queueOutbound(ByteBuf innerPacket) {
      if (!outbound.offer(innerPacket)) {
        drops[WireGuardTunnelDropReason.OUT_LOOP_BUSY.ordinal()].increment();
        innerPacket.release();
        return false;
      }
      schedule(outboundScheduled, outboundTask, this::dropQueued);
      return true;
    }

    /** Runs {@code task} on the loop once for however many packets join its queue meanwhile. */
    private void schedule(AtomicBoolean scheduled, Runnable task, Runnable onLoopStopped) {
      if (!scheduled.compareAndSet(false, true)) {
        return;
      }
      try {
        loop.execute(task);
      } catch (RejectedExecutionException e) {
        // the loop stopped: nobody else will drain what is queued, and it is ours to drop
        scheduled.set(false);
        onLoopStopped.run();
      }
    }

    /** On the loop: sends what the core queued, in order, then flushes once. */
    private void drainOutbound() {
      outboundScheduled.set(false);
      long nowNanos = System.nanoTime();
      ByteBuf packet;
      for (int sent = 0; sent < MAX_PACKETS_PER_DRAIN && (packet = outbound.poll()) != null; sent++) {
        // routed again here: the peer may have gone since the caller looked it up
        WireGuardPeer peer = running ? route(packet) : null;
        if (peer == null || !labels.containsKey(peer)) {
          drops[WireGuardTunnelDropReason.OUT_NOT_RUNNING.ordinal()].increment();
          packet.release();
          continue;
        }
        device.send(peer, packet, nowNanos);
      }
      if (!outbound.isEmpty()) {
        schedule(outboundScheduled, outboundTask, this::dropQueued);
      }
      if (running) {
        armTimer(nowNanos);
      }
      flush();
    }

    void dropQueued() {
      ByteBuf packet;
      while ((packet = outbound.poll()) != null) {
        drops[WireGuardTunnelDropReason.OUT_NOT_RUNNING.ordinal()].increment();
        packet.release();
      }
      DatagramPacket datagram;
      while ((datagram = inbound.poll()) != null) {
        datagram.release();
      }
    }

    void flush() {
      if (flushPending) {
        flushPending = false;
        Channel out = sendChannel;
        if (out != null) {
          out.flush();
        }
      }
    }

    // --- timers: one task on the loop, at the device's next deadline

    void armTimer(long nowNanos) {
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
      flush();
    }

    void closeOnLoop() {
      if (timer != null) {
        timer.cancel(false);
      }
      Channel own = channel;
      if (own != null) {
        own.close();
      }
    }

    /** Runs {@code task} on this shard's loop and waits for it. */
    <T> T call(Callable<T> task) {
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

  // --- the socket side

  private final class Inbound extends SimpleChannelInboundHandler<DatagramPacket> {
    private final Shard shard;

    Inbound(Shard shard) {
      super(false);
      this.shard = shard;
    }

    @Override
    public void channelRegistered(ChannelHandlerContext ctx) {
      // known to Output before the bind completes: a datagram may be read, and answered,
      // before bind() returns to the thread that called start
      shard.sendChannel = ctx.channel();
      ctx.fireChannelRegistered();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
      shard.onRead(packet);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      // what the burst of reads answered leaves in one flush (sendmmsg on epoll)
      shard.flush();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // a socket error (an ICMP unreachable from a gone endpoint, say) is one peer's trouble
      log.debug("tunnel={} socket error", context.name(), cause);
    }
  }

  /** What a shard's device produces, on its loop: datagrams out, inner packets to the core. */
  private final class Output implements WireGuardOutput {
    private final Shard shard;

    Output(Shard shard) {
      this.shard = shard;
    }

    @Override
    public void send(WireGuardPeer peer, InetSocketAddress endpoint, ByteBuf datagram) {
      Channel out = shard.sendChannel;
      if (out == null || !out.isActive()) {
        datagram.release();
        return;
      }
      if (out.eventLoop() == shard.loop) {
        // written now, flushed once when the loop is done with this read burst, drain or tick
        out.write(new DatagramPacket(datagram, endpoint), out.voidPromise());
        shard.flushPending = true;
      } else {
        // NIO: the first shard's socket, written on its loop
        out.writeAndFlush(new DatagramPacket(datagram, endpoint), out.voidPromise());
      }
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

    private String label(WireGuardPeer peer) {
      String name = shard.labels.get(peer);
      return name == null ? "-" : name;
    }
  }
}
