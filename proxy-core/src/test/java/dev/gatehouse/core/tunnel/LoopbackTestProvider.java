package dev.gatehouse.core.tunnel;

import dev.gatehouse.core.config.ConfigErrors;
import dev.gatehouse.core.config.ConfigMap;
import dev.gatehouse.core.config.ConfigNode;
import dev.gatehouse.core.config.SecretSource;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoopGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A tunnel type that exists only in tests ({@code type: loopback}): whatever the core sends
 * into it comes straight back out to the sink. Registered through ServiceLoader from the
 * test resources, which is what proves that ingress selection works by {@code type}.
 */
public final class LoopbackTestProvider implements TunnelProvider {

  @Override
  public String type() {
    return "loopback";
  }

  @Override
  public int defaultMtuBytes() {
    return 1400;
  }

  @Override
  public Optional<TunnelPlan> plan(TunnelContext context, ConfigMap settings, SecretSource secrets,
      ConfigErrors errors) {
    Optional<ConfigNode> echo = settings.optional("echo");
    Optional<Boolean> echoing = echo.isPresent() ? echo.get().asBoolean(errors) : Optional.of(true);
    return echoing.map(on -> new Plan(context, on));
  }

  /** The settings read for one loopback tunnel. */
  public record Plan(TunnelContext context, boolean echo) implements TunnelPlan {
    @Override
    public Tunnel create(EventLoopGroup loops) {
      return new LoopbackTunnel(context, echo);
    }
  }

  /** Sends every packet back to the sink, or drops it when echo is off. */
  public static final class LoopbackTunnel implements Tunnel {
    private final TunnelContext context;
    private final boolean echo;
    private InnerPacketSink sink;
    final List<String> events = new ArrayList<>();

    LoopbackTunnel(TunnelContext context, boolean echo) {
      this.context = context;
      this.echo = echo;
    }

    @Override
    public TunnelContext context() {
      return context;
    }

    @Override
    public void start(InnerPacketSink sink) {
      this.sink = sink;
      events.add("start");
    }

    @Override
    public boolean send(ByteBuf innerPacket) {
      if (!echo || sink == null) {
        innerPacket.release();
        return false;
      }
      sink.accept(context, innerPacket);
      return true;
    }

    @Override
    public void close() {
      sink = null;
      events.add("close");
    }
  }
}
