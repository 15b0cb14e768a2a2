package dev.gatehouse.ingress.gre;

import dev.gatehouse.core.flow.OriginChannels;
import dev.gatehouse.core.linux.NativeException;
import dev.gatehouse.core.linux.RawSocket;
import dev.gatehouse.core.tunnel.InnerPacketSink;
import dev.gatehouse.core.tunnel.Tunnel;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.tunnel.TunnelStatus;
import dev.gatehouse.core.wire.IpProtocol;
import dev.gatehouse.core.wire.Ipv4Header;
import dev.gatehouse.core.wire.WireStatus;
import dev.gatehouse.ingress.gre.GreDecapsulator.Verdict;
import dev.gatehouse.ingress.gre.health.HealthCheck;
import dev.gatehouse.ingress.gre.health.HealthCheckSettings;
import dev.gatehouse.ingress.gre.health.HealthCheckSettings.Direction;
import dev.gatehouse.ingress.gre.health.HealthCounters;
import dev.gatehouse.ingress.gre.health.TunnelHealth;
import dev.gatehouse.ingress.gre.wire.GreHeader;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code type: gre} tunnel: GRE (RFC 2784, RFC 2890) between the appliance's {@code local}
 * address and one site router at {@code remote}, carried directly in IP (protocol 47) or in
 * UDP (RFC 8086). {@link GreDecapsulator} and {@link GreEncapsulator} do the protocol; this
 * class puts them on sockets.
 *
 * <p><b>IP transport.</b> One raw socket for protocol 47 of the local address's family,
 * bound to it. An IPv4 raw socket hands over the whole IPv4 packet, an IPv6 one only the
 * payload (raw(7), RFC 3542 §3): the outer header is stepped over here. The kernel has
 * reassembled outer fragments before a raw socket sees the packet (Linux
 * {@code ip_local_deliver} calls {@code ip_defrag} before any protocol or raw delivery, and
 * IPv6 delivers to raw sockets of the upper protocol only after the Fragment header was
 * processed), within its own bounds ({@code net.ipv4.ipfrag_high_thresh},
 * {@code ipfrag_time}, and their {@code net.ipv6} twins): this tunnel never sees an outer
 * fragment, so it keeps no reassembly state of its own. {@code GreTunnelTest} shows it.
 * Threads: one platform thread, {@code gatehouse-gre-NAME}, receives and decapsulates;
 * everything sent (inner packets from the core, keepalive answers) goes out from one event
 * loop of the appliance's group, which owns the sending half.
 *
 * <p><b>UDP transport.</b> One Netty datagram channel bound to {@code local} and the UDP
 * port (4754 by default, RFC 8086) on that loop, which then owns both halves; GRE
 * starts right after the UDP header (RFC 8086, no extra header). Datagrams from the
 * remote's address are taken from any source port, since RFC 8086 lets the sender
 * pick it for entropy; ours are sent to the remote's port (4754) from our bound port. The
 * kernel fills in our UDP checksum and checks those it receives: over IPv4 it accepts a
 * zero checksum, meaning none (RFC 768); over IPv6 it refuses one (RFC 8200 §8.1), so a
 * site that sends zero checksums over IPv6 is not heard. Keepalives are not
 * answered over UDP: a keepalive's answer is plain GRE in IP, which this transport has no
 * socket for; they reach the core, which drops them as an unsupported protocol.
 *
 * <p><b>Health check.</b> With {@code health-check} enabled, a {@link HealthCheck} on the
 * loop sends its probes through the encapsulator on a timer of the loop's, and the inner
 * packets addressed as their answers ({@link HealthCheck#mayBeAnswer}) go to it on the loop
 * instead of to the core; what it does not take goes on to the core as before.
 * {@link #health()} shows its state.
 *
 * <p>{@link #send} may be called from any thread: it hands the packet to the loop.
 */
public final class GreTunnel implements Tunnel {
  // TODO(#6): unidirectional health-check answers come back outside the tunnel; only those
  // the site sends through it are heard until a raw ICMP socket on local listens for them.
  // TODO(#6): RFC 8086 asks for source ports spread by inner flow for ECMP; all our
  // datagrams leave from the one bound port.
  private static final Logger log = LoggerFactory.getLogger(GreTunnel.class);

  /** How long the reader sleeps in poll(2) before it looks whether the tunnel was closed. */
  private static final long POLL_TIMEOUT_MILLIS = 50;
  /** Reads per wake-up before polling again. */
  private static final int READS_PER_WAKEUP = 64;
  private static final long FIRST_BACKOFF_MILLIS = 10;
  private static final long MAX_BACKOFF_MILLIS = 1_000;
  private static final long STOP_MILLIS = 5_000;
  /** asm-generic/errno-base.h: a signal interrupted the call, which is no failure. */
  private static final int EINTR = 4;
  private static final long NANOS_PER_MILLI = 1_000_000;

  private final TunnelContext context;
  private final GreSettings settings;
  private final EventLoop loop;
  private final ByteBufAllocator allocator;
  private final GreCounters counters = new GreCounters();
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean sendFailing = new AtomicBoolean();
  private final HealthCounters healthCounters = new HealthCounters();
  /** Receive buffer: the largest outer packet a full-MTU inner packet makes, plus one byte to see a longer one. */
  private final int receiveCapacity;

  private volatile boolean running;
  private InnerPacketSink sink;
  private GreEncapsulator encapsulator; // the loop's
  private RawSocket raw;
  private Channel channel;
  private InetSocketAddress remoteUdp;
  private Thread reader;
  private volatile HealthCheck healthCheck; // set before receiving starts; its state the loop's
  private ScheduledFuture<?> healthTimer; // the loop's
  private long healthTimerDeadlineNanos; // the loop's

  /** A closed tunnel whose sending, and for UDP everything, runs on one of {@code loops}. */
  public GreTunnel(TunnelContext context, GreSettings settings, EventLoopGroup loops, ByteBufAllocator allocator) {
    this.context = Objects.requireNonNull(context, "context");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.loop = loops.next();
    this.allocator = Objects.requireNonNull(allocator, "allocator");
    int outerHeaderBytes = settings.transport() == GreTransport.IP && settings.local() instanceof Inet4Address
        ? Ipv4Header.MAX_HEADER_LENGTH_BYTES
        : 0;
    this.receiveCapacity = outerHeaderBytes + GreHeader.MAX_HEADER_LENGTH_BYTES + context.mtuBytes() + 1;
  }

  @Override
  public TunnelContext context() {
    return context;
  }

  /** The tunnel's counters, live. */
  public GreCounters counters() {
    return counters;
  }

  /**
   * Its counters ({@link GreCounters#named}); no peers, as the remote is one router. No health
   * yet: the checks of issue #6 will fill it.
   */
  @Override
  public TunnelStatus status() {
    return TunnelStatus.of(context, running, counters.named(), health().map(GreTunnel::statusHealth), List.of());
  }

  /**
   * The health check's snapshot in the status model: the state now and since when, and the
   * states before it, each from the change that began it, oldest first.
   */
  private static TunnelStatus.Health statusHealth(TunnelHealth health) {
    List<TunnelHealth.Change> changes = health.history();
    List<TunnelStatus.HealthChange> earlier = new ArrayList<>();
    for (int i = 0; i + 1 < changes.size(); i++) {
      TunnelHealth.Change change = changes.get(i);
      earlier.add(new TunnelStatus.HealthChange(change.to().word(), change.atEpochMillis()));
    }
    int keep = Math.min(earlier.size(), TunnelStatus.Health.HISTORY_LIMIT);
    return new TunnelStatus.Health(health.state().word(), health.sinceEpochMillis(),
        earlier.subList(earlier.size() - keep, earlier.size()));
  }

  /** The settings it was created with. */
  public GreSettings settings() {
    return settings;
  }

  /** The health check's counters, live; zero without a health check. */
  public HealthCounters healthCounters() {
    return healthCounters;
  }

  /**
   * The health check's latest state, history and loss, immutable; empty when the tunnel has
   * no health check or was not started. Any thread.
   */
  public Optional<TunnelHealth> health() {
    HealthCheck check = healthCheck;
    return check == null ? Optional.empty() : Optional.of(check.health());
  }

  /** Where the UDP channel is bound once started with the UDP transport; null otherwise. */
  public InetSocketAddress localUdpAddress() {
    Channel bound = channel;
    return bound == null ? null : (InetSocketAddress) bound.localAddress();
  }

  /**
   * Opens the outer socket and starts receiving. Must not be called on an event loop: it
   * waits for the loop.
   *
   * @throws IllegalStateException if the tunnel was started before
   */
  @Override
  public void start(InnerPacketSink packetSink) throws IOException {
    Objects.requireNonNull(packetSink, "packetSink");
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("tunnel " + context.name() + " can start only once");
    }
    sink = packetSink;
    encapsulator = new GreEncapsulator(settings, context.mtuBytes(), allocator, counters);
    if (settings.healthCheck().enabled()) {
      healthCheck = newHealthCheck(settings.healthCheck());
    }
    if (settings.transport() == GreTransport.IP) {
      startRaw();
    } else {
      startUdp();
    }
    if (healthCheck != null) {
      loop.execute(this::healthTick);
    }
    log.info("tunnel={} transport={} local={} remote={} key={} checksum={} sequence-numbers={} mtu={} started",
        context.name(), settings.transport().configName(), settings.local().getHostAddress(),
        settings.remote().getHostAddress(), settings.key().isPresent() ? "set" : "none", settings.checksum(),
        settings.sequenceNumbers(), context.mtuBytes());
  }

  /** A check between the interface addresses, or the outer ones for unidirectional; IPv4 (the reader checked). */
  private HealthCheck newHealthCheck(HealthCheckSettings health) {
    boolean bidirectional = health.direction() == Direction.BIDIRECTIONAL;
    Inet4Address appliance = (Inet4Address) (bidirectional
        ? settings.interfaceAddress().orElseThrow().address()
        : settings.local());
    Inet4Address site = bidirectional
        ? settings.siteInterfaceAddress().orElseThrow()
        : (Inet4Address) settings.remote();
    SecureRandom random = new SecureRandom();
    long wallOffsetMillis = System.currentTimeMillis() - Math.floorDiv(System.nanoTime(), NANOS_PER_MILLI);
    return new HealthCheck(context.name(), health, appliance, site, random.nextInt(1 << 16), random.nextLong(),
        random.nextInt(1 << 16), System.nanoTime(), nanos -> wallOffsetMillis + Math.floorDiv(nanos, NANOS_PER_MILLI),
        allocator, healthCounters);
  }

  private void startRaw() throws IOException {
    StandardProtocolFamily family = settings.local() instanceof Inet4Address
        ? StandardProtocolFamily.INET
        : StandardProtocolFamily.INET6;
    RawSocket socket = RawSocket.open(family, IpProtocol.GRE);
    try {
      socket.bind(settings.local());
      socket.setNonBlocking(true);
    } catch (IOException | RuntimeException e) {
      closeQuietly(socket);
      throw e;
    }
    raw = socket;
    running = true;
    GreDecapsulator decapsulator = new GreDecapsulator(settings, context.mtuBytes(), true, counters);
    reader = Thread.ofPlatform().name("gatehouse-gre-" + context.name()).daemon()
        .start(() -> readLoop(socket, decapsulator));
  }

  private void startUdp() throws IOException {
    remoteUdp = new InetSocketAddress(settings.remote(), settings.udpPort());
    SocketProtocolFamily family = settings.local() instanceof Inet4Address
        ? SocketProtocolFamily.INET
        : SocketProtocolFamily.INET6;
    GreDecapsulator decapsulator = new GreDecapsulator(settings, context.mtuBytes(), false, counters);
    Bootstrap bootstrap = new Bootstrap().group(loop)
        .channelFactory(() -> OriginChannels.isEpoll(loop)
            ? new EpollDatagramChannel(family)
            : new NioDatagramChannel(family))
        .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(receiveCapacity))
        .option(ChannelOption.ALLOCATOR, allocator)
        .handler(new UdpInbound(decapsulator));
    InetSocketAddress address = new InetSocketAddress(settings.local(), settings.udpPort());
    try {
      channel = bootstrap.bind(address).sync().channel();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("tunnel " + context.name() + ": interrupted while binding UDP " + address, e);
    } catch (Exception e) {
      // sync() rethrows the bind's cause as it is: on epoll a checked NativeIoException
      throw new IOException("tunnel " + context.name() + ": cannot listen on UDP " + address + ": "
          + e.getMessage(), e);
    }
    running = true;
  }

  /**
   * Encapsulates one inner packet from the core and sends it to the site; takes ownership.
   * Never blocks: the work is handed to the tunnel's loop.
   */
  @Override
  public boolean send(ByteBuf innerPacket) {
    if (!running) {
      return refuse(innerPacket);
    }
    if (loop.inEventLoop()) {
      return sendOnLoop(innerPacket);
    }
    try {
      // TODO(#10): one task per packet. WireGuardTunnel's shards batch through a queue
      // drained once per burst; that belongs in the core for every tunnel (and the
      // dispatcher's steer), not copied here.
      loop.execute(() -> sendOnLoop(innerPacket));
      return true;
    } catch (RejectedExecutionException e) {
      return refuse(innerPacket);
    }
  }

  private boolean refuse(ByteBuf innerPacket) {
    counters.drop(GreDropReason.OUT_NOT_RUNNING);
    innerPacket.release();
    return false;
  }

  private boolean sendOnLoop(ByteBuf innerPacket) {
    if (!running) {
      return refuse(innerPacket);
    }
    return encapsulator.encapsulate(innerPacket, output);
  }

  /** Stops receiving, then closes the outer socket on the loop. Idempotent. */
  @Override
  public void close() {
    if (!started.get()) {
      return;
    }
    boolean wasRunning = running;
    running = false;
    if (reader != null) {
      stopReader();
    }
    if (!loop.isShuttingDown()) {
      call(() -> {
        closeOnLoop();
        return null;
      });
    } else {
      closeOnLoop();
    }
    if (wasRunning) {
      log.info("tunnel={} closed packets-in={} packets-out={} keepalives={} drops={} health={}", context.name(),
          counters.packetsIn(), counters.packetsOut(), counters.keepalivesAnswered(), counters.totalDrops(),
          health().map(h -> h.state().word()).orElse("off"));
    }
  }

  private void closeOnLoop() {
    if (healthTimer != null) {
      healthTimer.cancel(false);
    }
    if (channel != null) {
      channel.close();
    }
    if (raw != null) {
      closeQuietly(raw);
    }
  }

  // --- the loop's output: to the site, and ICMP errors to the core

  private final GreOutput output = new GreOutput() {
    @Override
    public void sendToSite(ByteBuf grePacket) {
      if (raw != null) {
        sendRaw(grePacket);
      } else {
        sendUdp(grePacket);
      }
    }

    @Override
    public void deliverToCore(ByteBuf innerPacket) {
      sink.accept(context, innerPacket);
    }
  };

  /** Sends the readable bytes as the payload of one IP packet to the remote, then releases them. */
  private void sendRaw(ByteBuf grePacket) {
    int length = grePacket.readableBytes();
    try {
      ByteBuffer window = grePacket.nioBufferCount() == 1
          ? grePacket.internalNioBuffer(grePacket.readerIndex(), length)
          : grePacket.nioBuffer();
      if (raw.send(window, settings.remote()) == length) {
        counters.packetOut(length);
        sendFailing.set(false);
      } else {
        counters.drop(GreDropReason.OUT_SEND_FAILED); // the socket's buffer is full
      }
    } catch (IOException e) {
      sendFailed(e);
    } finally {
      grePacket.release();
    }
  }

  private void sendUdp(ByteBuf grePacket) {
    int length = grePacket.readableBytes();
    channel.writeAndFlush(new DatagramPacket(grePacket, remoteUdp)).addListener((ChannelFutureListener) f -> {
      if (f.isSuccess()) {
        counters.packetOut(length);
        sendFailing.set(false);
      } else {
        sendFailed(f.cause());
      }
    });
  }

  private void sendFailed(Throwable cause) {
    counters.drop(GreDropReason.OUT_SEND_FAILED);
    if (sendFailing.compareAndSet(false, true)) {
      log.warn("tunnel={} remote={} sending failed, dropping until a send succeeds: {}", context.name(),
          settings.remote().getHostAddress(), cause.toString());
    }
  }

  // --- receiving, IP transport: on the reader thread

  private void readLoop(RawSocket socket, GreDecapsulator decapsulator) {
    Ipv4Header outer = new Ipv4Header();
    long backoffMillis = FIRST_BACKOFF_MILLIS;
    boolean failing = false;
    while (running) {
      try {
        if (socket.awaitReadable(POLL_TIMEOUT_MILLIS)) {
          for (int i = 0; i < READS_PER_WAKEUP && running && readOne(socket, decapsulator, outer); i++) {
            // each read hands its packet on
          }
        }
        failing = false;
        backoffMillis = FIRST_BACKOFF_MILLIS;
      } catch (IOException | RuntimeException e) {
        if (running && !(e instanceof NativeException n && n.errno() == EINTR)) {
          readFailed(e, failing, backoffMillis);
          failing = true;
          backoffMillis = Math.min(backoffMillis * 2, MAX_BACKOFF_MILLIS);
        }
      }
    }
  }

  /** Receives one outer packet and acts on its verdict; false when none was waiting. */
  private boolean readOne(RawSocket socket, GreDecapsulator decapsulator, Ipv4Header outer) throws IOException {
    ByteBuf packet = allocator.directBuffer(receiveCapacity, receiveCapacity);
    boolean handedOver = false;
    try {
      ByteBuffer window = packet.internalNioBuffer(0, receiveCapacity);
      int start = window.position();
      InetAddress source = socket.receive(window);
      if (source == null) {
        return false;
      }
      int length = window.position() - start;
      packet.writerIndex(length);
      if (length == receiveCapacity) {
        counters.drop(GreDropReason.IN_LARGER_THAN_MTU);
        return true;
      }

      // an IPv4 raw socket gives the outer header too (raw(7)); IPv6 only the payload
      int at = 0;
      int greLength = length;
      if (socket.family() == StandardProtocolFamily.INET) {
        if (outer.wrap(packet, 0, length) != WireStatus.OK) {
          counters.drop(GreDropReason.IN_TRUNCATED);
          return true;
        }
        at = outer.payloadOffset();
        greLength = outer.payloadLengthBytes();
      }
      handedOver = act(decapsulator.decapsulate(source, packet, at, greLength), decapsulator, packet);
      return true;
    } finally {
      if (!handedOver) {
        packet.release();
      }
    }
  }

  /** Hands the packet on as the verdict says; false when it is still the caller's to release. */
  private boolean act(Verdict verdict, GreDecapsulator decapsulator, ByteBuf packet) {
    switch (verdict) {
      case DELIVER -> {
        int from = decapsulator.innerOffset();
        packet.setIndex(from, from + decapsulator.innerLengthBytes());
        if (isHealthCandidate(packet)) {
          return toHealthCheck(packet);
        }
        sink.accept(context, packet);
        return true;
      }
      case ANSWER_KEEPALIVE -> {
        int from = decapsulator.innerOffset();
        packet.setIndex(from, from + decapsulator.innerLengthBytes());
        return answerKeepalive(packet);
      }
      case DROP -> {
        return false;
      }
      default -> throw new AssertionError(verdict);
    }
  }

  /** Sends the keepalive's GRE packet back to the remote from the loop, which owns sending. */
  private boolean answerKeepalive(ByteBuf grePacket) {
    try {
      loop.execute(() -> {
        if (running) {
          sendRaw(grePacket);
        } else {
          grePacket.release();
        }
      });
      return true;
    } catch (RejectedExecutionException e) {
      return false;
    }
  }

  private void readFailed(Exception e, boolean alreadyFailing, long backoffMillis) {
    counters.readError();
    if (alreadyFailing) {
      log.debug("tunnel={} receiving still fails backoff-ms={}", context.name(), backoffMillis, e);
    } else {
      log.warn("tunnel={} receiving failed, retrying with back-off: {}", context.name(), e.toString());
    }
    try {
      Thread.sleep(backoffMillis);
    } catch (InterruptedException interrupted) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }

  private void stopReader() {
    try {
      reader.join(STOP_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (reader.isAlive()) {
      log.warn("tunnel={} reader thread did not stop within {} ms; its sink may be stuck", context.name(),
          STOP_MILLIS);
    }
  }

  // --- receiving, UDP transport: on the loop

  private final class UdpInbound extends SimpleChannelInboundHandler<DatagramPacket> {
    private final GreDecapsulator decapsulator;

    UdpInbound(GreDecapsulator decapsulator) {
      this.decapsulator = decapsulator;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket datagram) {
      ByteBuf content = datagram.content();
      int length = content.readableBytes();
      if (!running) {
        return;
      }
      if (length >= receiveCapacity) {
        counters.drop(GreDropReason.IN_LARGER_THAN_MTU);
        return;
      }
      Verdict verdict = decapsulator.decapsulate(datagram.sender().getAddress(), content, content.readerIndex(),
          length);
      if (verdict == Verdict.DELIVER) {
        // the handler releases the datagram after this: the core gets its own reference
        int from = decapsulator.innerOffset();
        content.retain().setIndex(from, from + decapsulator.innerLengthBytes());
        if (isHealthCandidate(content)) {
          onHealthCandidate(content);
        } else {
          sink.accept(context, content);
        }
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      counters.readError();
      log.debug("tunnel={} UDP channel error", context.name(), cause);
    }
  }

  // --- the health check: on the loop, but for the look at an inner packet's addresses

  private void healthTick() {
    if (!running) {
      return;
    }
    long nowNanos = System.nanoTime();
    for (ByteBuf probe = healthCheck.poll(nowNanos); probe != null; probe = healthCheck.poll(nowNanos)) {
      encapsulator.encapsulate(probe, output);
    }
    healthTimer = null;
    armHealthTimer();
  }

  /** Schedules the next tick for the check's next deadline, unless one is already due by then. */
  private void armHealthTimer() {
    long deadline = healthCheck.nextDeadlineNanos();
    if (healthTimer != null) {
      if (healthTimerDeadlineNanos - deadline <= 0) {
        return;
      }
      healthTimer.cancel(false);
    }
    healthTimerDeadlineNanos = deadline;
    healthTimer = loop.schedule(this::healthTick, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
  }

  /** Whether an inner packet (its readable bytes) is addressed as a probe's answer; any thread. */
  private boolean isHealthCandidate(ByteBuf inner) {
    HealthCheck check = healthCheck;
    return check != null && check.mayBeAnswer(inner, inner.readerIndex(), inner.readableBytes());
  }

  /** Hands a possible answer from the reader to the loop; false when it is still the caller's to release. */
  private boolean toHealthCheck(ByteBuf inner) {
    try {
      loop.execute(() -> {
        if (running) {
          onHealthCandidate(inner);
        } else {
          inner.release();
        }
      });
      return true;
    } catch (RejectedExecutionException e) {
      return false;
    }
  }

  /** On the loop: the check takes the packet, or it goes to the core as any other; takes ownership. */
  private void onHealthCandidate(ByteBuf inner) {
    HealthCheck.Verdict verdict = healthCheck.onPacket(inner, inner.readerIndex(), inner.readableBytes(), true,
        System.nanoTime());
    if (verdict.consumed()) {
      inner.release();
      armHealthTimer();
    } else {
      sink.accept(context, inner);
    }
  }

  // --- shared

  private <T> T call(Callable<T> task) {
    try {
      return loop.submit(task).get(STOP_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("tunnel " + context.name() + ": interrupted waiting for its loop", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("tunnel " + context.name() + ": its loop failed: " + e, e);
    }
  }

  private void closeQuietly(RawSocket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      log.warn("tunnel={} closing the raw socket failed: {}", context.name(), e.getMessage());
    }
  }
}
