package dev.gatehouse.appliance.testing;

import dev.gatehouse.core.config.ConfigErrors;
import dev.gatehouse.core.config.ConfigMap;
import dev.gatehouse.core.config.SecretSource;
import dev.gatehouse.core.tunnel.InnerPacketSink;
import dev.gatehouse.core.tunnel.StatusCounters;
import dev.gatehouse.core.tunnel.Tunnel;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.tunnel.TunnelPlan;
import dev.gatehouse.core.tunnel.TunnelProvider;
import dev.gatehouse.core.tunnel.TunnelStatus;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoopGroup;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * A tunnel type for appliance tests ({@code type: capture}): a test injects inner packets as
 * if they had come out of the tunnel, and takes what the core sends back into it. Running
 * tunnels are found by name.
 */
public final class CaptureTestProvider implements TunnelProvider {

  private static final Map<String, CaptureTunnel> RUNNING = new ConcurrentHashMap<>();

  /** The started tunnel named {@code name}. */
  public static CaptureTunnel tunnel(String name) {
    CaptureTunnel tunnel = RUNNING.get(name);
    if (tunnel == null) {
      throw new AssertionError("no capture tunnel named " + name + " was started");
    }
    return tunnel;
  }

  @Override
  public String type() {
    return "capture";
  }

  @Override
  public int defaultMtuBytes() {
    return 1500;
  }

  @Override
  public Optional<TunnelPlan> plan(TunnelContext context, ConfigMap settings, SecretSource secrets,
      ConfigErrors errors) {
    return Optional.of(new TunnelPlan() {
      @Override
      public TunnelContext context() {
        return context;
      }

      @Override
      public Tunnel create(EventLoopGroup loops) {
        return new CaptureTunnel(context, loops);
      }
    });
  }

  /** Hands injected packets to the core and keeps what the core sends. */
  public static final class CaptureTunnel implements Tunnel {
    private final TunnelContext context;
    private final EventLoopGroup loops;
    private final BlockingQueue<ByteBuf> sent = new LinkedBlockingQueue<>();
    private final LongAdder injected = new LongAdder();
    private final LongAdder sentCount = new LongAdder();
    private volatile InnerPacketSink sink;
    private volatile boolean closed;
    private volatile boolean loopsRunningAtClose;

    CaptureTunnel(TunnelContext context, EventLoopGroup loops) {
      this.context = context;
      this.loops = loops;
    }

    @Override
    public TunnelContext context() {
      return context;
    }

    @Override
    public void start(InnerPacketSink sink) {
      this.sink = sink;
      RUNNING.put(context.name(), this);
    }

    /** Delivers {@code packet} to the core as this tunnel's inner packet. */
    public void inject(ByteBuf packet) {
      injected.increment();
      sink.accept(context, packet);
    }

    /** The next packet the core sent within five seconds; the caller releases it. */
    public ByteBuf take() throws InterruptedException {
      ByteBuf packet = sent.poll(5, TimeUnit.SECONDS);
      if (packet == null) {
        throw new AssertionError("the core sent nothing into tunnel " + context.name());
      }
      return packet;
    }

    @Override
    public boolean send(ByteBuf innerPacket) {
      if (closed) {
        innerPacket.release();
        return false;
      }
      sentCount.increment();
      sent.add(innerPacket);
      return true;
    }

    /** Running once started until closed; packets injected in, packets the core sent out. */
    @Override
    public TunnelStatus status() {
      return TunnelStatus.of(context, sink != null && !closed,
          new StatusCounters().traffic(injected.sum(), 0, sentCount.sum(), 0).build(), Optional.empty(), List.of());
    }

    /** Whether the tunnel was closed. */
    public boolean isClosed() {
      return closed;
    }

    /** Whether the event loops were still running when the tunnel was closed. */
    public boolean loopsRunningAtClose() {
      return loopsRunningAtClose;
    }

    @Override
    public void close() {
      loopsRunningAtClose = !loops.isShuttingDown();
      closed = true;
      RUNNING.remove(context.name(), this);
      ByteBuf packet;
      while ((packet = sent.poll()) != null) {
        packet.release();
      }
    }
  }
}
