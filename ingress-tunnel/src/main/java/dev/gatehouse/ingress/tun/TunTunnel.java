package dev.gatehouse.ingress.tun;

import dev.gatehouse.core.config.IpPrefix;
import dev.gatehouse.core.linux.LinkControl;
import dev.gatehouse.core.linux.NativeException;
import dev.gatehouse.core.linux.TunDevice;
import dev.gatehouse.core.tunnel.InnerPacketSink;
import dev.gatehouse.core.tunnel.Tunnel;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.tunnel.TunnelStatus;
import dev.gatehouse.core.wire.Ipv4Header;
import dev.gatehouse.core.wire.Ipv6Header;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code type: tun} tunnel: a TUN device (IFF_TUN | IFF_NO_PI, so bare IP packets) that
 * the host routes traffic into, with Gatehouse at the other end of every packet.
 *
 * <p>{@link #start} opens the device and configures the host: MTU, addresses, transmit
 * queue, link up, then the routes. Host configuration belongs to a network namespace, and
 * so does the device: {@code start} and {@link #close} must run on threads of the same
 * namespace (the appliance has only one).
 *
 * <p>Threads: one platform thread, {@code gatehouse-tun-NAME}, reads the device and calls
 * the sink with each packet in a pooled direct buffer. {@link #send} may be called from any
 * thread: one write(2) per packet, which the TUN driver takes whole, on a non-blocking
 * descriptor, so a full device costs the caller a dropped packet and never a wait.
 */
public final class TunTunnel implements Tunnel {
  private static final Logger log = LoggerFactory.getLogger(TunTunnel.class);

  // asm-generic/errno-base.h
  private static final int EINTR = 4;
  private static final int EAGAIN = 11;

  /** How long the reader sleeps in poll(2) before it looks whether the tunnel was closed. */
  private static final long POLL_TIMEOUT_MILLIS = 50;
  /** Reads per wake-up before polling again: fewer poll calls under load, bounded latency. */
  private static final int READS_PER_WAKEUP = 64;
  private static final long FIRST_BACKOFF_MILLIS = 10;
  private static final long MAX_BACKOFF_MILLIS = 1_000;
  /** Time close() gives the reader to notice; a sink stuck longer than this is a bug. */
  private static final long READER_STOP_MILLIS = 5_000;
  /** The sign bit of {@link #writeGate}: set while no write may start. */
  private static final int GATE_CLOSED = Integer.MIN_VALUE;

  private enum State { NEW, RUNNING, CLOSED }

  private final TunnelContext context;
  private final TunSettings settings;
  private final ByteBufAllocator allocator;
  private final TunCounters counters = new TunCounters();
  /** Writers inside {@link #send}'s write, plus {@link #GATE_CLOSED} when none may enter. */
  private final AtomicInteger writeGate = new AtomicInteger(GATE_CLOSED);
  private final AtomicBoolean writeFailing = new AtomicBoolean();
  private final List<IpPrefix> addedRoutes = new ArrayList<>();

  private State state = State.NEW;
  private volatile boolean reading;
  private volatile TunDevice device;
  private Thread reader;

  TunTunnel(TunnelContext context, TunSettings settings, ByteBufAllocator allocator) {
    this.context = Objects.requireNonNull(context, "context");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.allocator = Objects.requireNonNull(allocator, "allocator");
  }

  @Override
  public TunnelContext context() {
    return context;
  }

  /** The tunnel's counters, live. */
  public TunCounters counters() {
    return counters;
  }

  /**
   * Its counters ({@link TunCounters#named}: packets are IP packets read from and written to
   * the device); running while writes may start, which is from start until close.
   */
  @Override
  public TunnelStatus status() {
    boolean running = writeGate.get() >= 0;
    return TunnelStatus.of(context, running, counters.named(), Optional.empty(), List.of());
  }

  /** The settings it was created with; {@link TunSettings#device()} names the device. */
  public TunSettings settings() {
    return settings;
  }

  /**
   * Opens and configures the device, adds the routes, and starts the reader. On failure
   * whatever was set up is undone and the tunnel is closed.
   *
   * @throws IllegalStateException if the tunnel was started or closed before
   */
  @Override
  public synchronized void start(InnerPacketSink sink) throws IOException {
    Objects.requireNonNull(sink, "sink");
    if (state != State.NEW) {
      throw new IllegalStateException("tunnel " + context.name() + " can start only once; it is "
          + state.name().toLowerCase(Locale.ROOT));
    }
    state = State.CLOSED;

    TunDevice opened = TunDevice.open(settings.device());
    try {
      configureHost(opened);
    } catch (IOException | RuntimeException e) {
      removeRoutes(opened.name());
      closeDevice(opened);
      throw e;
    }

    device = opened;
    reading = true;
    reader = Thread.ofPlatform().name("gatehouse-tun-" + context.name()).daemon()
        .unstarted(() -> readLoop(opened, sink));
    state = State.RUNNING;
    writeGate.getAndAdd(GATE_CLOSED); // clears the sign bit: writes may start
    reader.start();
    log.info("tunnel={} device={} mtu={} address={} address-v6={} routes={} started",
        context.name(), opened.name(), context.mtuBytes(),
        settings.address().map(IpPrefix::toString).orElse("none"),
        settings.addressV6().map(IpPrefix::toString).orElse("none"), settings.routes());
  }

  /**
   * Writes one IP packet into the device, as if the host had received it there; releases
   * it in every case. Drops (and counts) a packet longer than the MTU, one that is not IPv4
   * or IPv6, one sent while the tunnel is not running, and one the kernel will not take now.
   */
  @Override
  public boolean send(ByteBuf innerPacket) {
    try {
      return write(innerPacket);
    } finally {
      innerPacket.release();
    }
  }

  /** Stops the reader, removes the routes this tunnel added, and deletes the device. */
  @Override
  public void close() {
    TunDevice closing;
    synchronized (this) {
      if (state != State.RUNNING) {
        state = State.CLOSED;
        return;
      }
      state = State.CLOSED;
      closing = device;
    }

    closeWriteGate();
    stopReader();
    removeRoutes(closing.name());
    closeDevice(closing);
    log.info("tunnel={} device={} closed packets-in={} packets-out={} drops={}", context.name(),
        closing.name(), counters.packetsIn(), counters.packetsOut(), counters.totalDrops());
  }

  private void configureHost(TunDevice tun) throws IOException {
    String name = tun.name();
    tun.setNonBlocking(true);
    LinkControl.setMtu(name, context.mtuBytes());
    if (settings.address().isPresent()) {
      IpPrefix address = settings.address().get();
      LinkControl.setIpv4Address(name, (Inet4Address) address.address(), address.length());
    }
    IpCommand.setTxQueueLength(name, settings.txQueueLength());
    LinkControl.bringUp(name);
    if (settings.addressV6().isPresent()) {
      IpCommand.addAddressV6(name, settings.addressV6().get());
    }
    // routes last: a route needs the link up, and traffic it attracts needs the addresses
    for (IpPrefix route : settings.routes()) {
      IpCommand.replaceRoute(name, route);
      addedRoutes.add(route);
    }
  }

  // --- reading: the device to the core, on the reader thread

  private void readLoop(TunDevice tun, InnerPacketSink sink) {
    long backoffMillis = FIRST_BACKOFF_MILLIS;
    boolean failing = false;
    while (reading) {
      try {
        if (tun.awaitReadable(POLL_TIMEOUT_MILLIS)) {
          drain(tun, sink);
        }
        failing = false;
        backoffMillis = FIRST_BACKOFF_MILLIS;
      } catch (IOException | RuntimeException e) {
        // a signal interrupting poll(2) or read(2) is no failure; neither is close()
        if (reading && !(e instanceof NativeException n && n.errno() == EINTR)) {
          readFailed(tun, e, failing, backoffMillis);
          failing = true;
          backoffMillis = Math.min(backoffMillis * 2, MAX_BACKOFF_MILLIS);
        }
      }
    }
  }

  private void drain(TunDevice tun, InnerPacketSink sink) throws IOException {
    for (int i = 0; i < READS_PER_WAKEUP && reading; i++) {
      if (!readOne(tun, sink)) {
        return;
      }
    }
  }

  /** Reads one packet and hands it on; false when there was none to read. */
  private boolean readOne(TunDevice tun, InnerPacketSink sink) throws IOException {
    // one byte more than the MTU tells a packet that fits from one the read cut short
    int capacity = context.mtuBytes() + 1;
    ByteBuf packet = allocator.directBuffer(capacity, capacity);
    boolean handedOver = false;
    try {
      ByteBuffer window = packet.internalNioBuffer(0, capacity);
      int length = tun.read(window);
      if (length == 0) {
        return false;
      }
      packet.writerIndex(length);

      if (length > context.mtuBytes()) {
        counters.drop(TunDropReason.IN_LARGER_THAN_MTU);
      } else if (!isIp(packet, 0, length)) {
        counters.drop(TunDropReason.IN_NOT_IP);
      } else {
        counters.packetIn(length);
        handedOver = true;
        sink.accept(context, packet);
      }
      return true;
    } finally {
      if (!handedOver) {
        packet.release();
      }
    }
  }

  private void readFailed(TunDevice tun, Exception e, boolean alreadyFailing, long backoffMillis) {
    counters.readError();
    if (alreadyFailing) {
      log.debug("tunnel={} device={} reading still fails backoff-ms={}", context.name(),
          tun.name(), backoffMillis, e);
    } else {
      log.warn("tunnel={} device={} reading failed, retrying with back-off: {}", context.name(),
          tun.name(), e.toString());
    }
    try {
      Thread.sleep(backoffMillis);
    } catch (InterruptedException interrupted) {
      Thread.currentThread().interrupt();
      reading = false;
    }
  }

  private void stopReader() {
    reading = false;
    try {
      reader.join(READER_STOP_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (reader.isAlive()) {
      log.warn("tunnel={} reader thread did not stop within {} ms; its sink may be stuck",
          context.name(), READER_STOP_MILLIS);
    }
  }

  // --- writing: the core to the device, on any thread

  private boolean write(ByteBuf packet) {
    int length = packet.readableBytes();
    if (length > context.mtuBytes()) {
      counters.drop(TunDropReason.OUT_LARGER_THAN_MTU);
      return false;
    }
    if (!isIp(packet, packet.readerIndex(), length)) {
      counters.drop(TunDropReason.OUT_NOT_IP);
      return false;
    }
    if (writeGate.incrementAndGet() < 0) {
      writeGate.decrementAndGet();
      counters.drop(TunDropReason.OUT_NOT_RUNNING);
      return false;
    }
    try {
      writeToDevice(device, packet, length);
      counters.packetOut(length);
      writeFailing.set(false);
      return true;
    } catch (NativeException e) {
      TunDropReason reason = e.errno() == EAGAIN
          ? TunDropReason.OUT_QUEUE_FULL
          : TunDropReason.OUT_WRITE_FAILED;
      counters.drop(reason);
      if (reason == TunDropReason.OUT_WRITE_FAILED && writeFailing.compareAndSet(false, true)) {
        log.warn("tunnel={} device={} writing failed, dropping until a write succeeds: {}",
            context.name(), settings.device(), e.getMessage());
      }
      return false;
    } catch (IOException e) {
      counters.drop(TunDropReason.OUT_NOT_RUNNING); // closed under us
      return false;
    } finally {
      writeGate.decrementAndGet();
    }
  }

  /**
   * Writes through a segment over the buffer's own memory; a heap or composite buffer is
   * copied into one direct buffer first, since write(2) takes one contiguous native range.
   */
  private void writeToDevice(TunDevice tun, ByteBuf packet, int length) throws IOException {
    if (packet.isDirect() && packet.nioBufferCount() == 1) {
      tun.write(MemorySegment.ofBuffer(packet.internalNioBuffer(packet.readerIndex(), length)));
      return;
    }
    ByteBuf copy = allocator.directBuffer(length, length);
    try {
      copy.writeBytes(packet, packet.readerIndex(), length);
      tun.write(MemorySegment.ofBuffer(copy.internalNioBuffer(0, length)));
    } finally {
      copy.release();
    }
  }

  /** Stops new writes and waits for those under way: the descriptor must outlive them. */
  private void closeWriteGate() {
    writeGate.getAndAdd(GATE_CLOSED); // sets the sign bit; the writers inside remain counted
    while (writeGate.get() != GATE_CLOSED) {
      Thread.onSpinWait(); // a non-blocking write(2) returns within microseconds
    }
  }

  // --- shared

  /** Whether the version nibble says IPv4 or IPv6 (RFC 791 §3.1, RFC 8200 §3). */
  private static boolean isIp(ByteBuf packet, int offset, int length) {
    if (length < 1) {
      return false;
    }
    int version = packet.getUnsignedByte(offset) >>> 4;
    return version == Ipv4Header.VERSION || version == Ipv6Header.VERSION;
  }

  private void removeRoutes(String deviceName) {
    // Deleting the device would take its routes along; removing them first keeps a
    // failure visible and leaves no window in which they point at a dying device.
    for (IpPrefix route : addedRoutes) {
      try {
        IpCommand.deleteRoute(deviceName, route);
      } catch (IOException e) {
        log.warn("tunnel={} device={} route={} could not be removed: {}", context.name(),
            deviceName, route, e.getMessage());
      }
    }
    addedRoutes.clear();
  }

  private void closeDevice(TunDevice tun) {
    try {
      tun.close();
    } catch (IOException e) {
      log.warn("tunnel={} device={} closing failed: {}", context.name(), tun.name(),
          e.getMessage());
    }
  }
}
