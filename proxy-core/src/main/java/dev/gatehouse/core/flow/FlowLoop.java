package dev.gatehouse.core.flow;

import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.wire.IpPacket;
import dev.gatehouse.core.wire.TcpSegment;
import dev.gatehouse.core.wire.PacketWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one event loop keeps for the flows it owns: their table, a packet writer and the
 * views it reads with, and the way back to clients. Everything here runs on that loop.
 */
public final class FlowLoop {

  private static final Logger log = LoggerFactory.getLogger(FlowLoop.class);

  private final EventLoop eventLoop;
  private final FlowTable table;
  private final PacketWriter writer;
  private final IpPacket packet = new IpPacket();
  private final TcpSegment tcp = new TcpSegment();
  private final ReturnPath returnPath;
  private final DropCounters drops;

  FlowLoop(EventLoop eventLoop, ByteBufAllocator allocator, ReturnPath returnPath,
      DropCounters drops) {
    this.eventLoop = eventLoop;
    this.table = new FlowTable(eventLoop);
    this.writer = new PacketWriter(allocator);
    this.returnPath = returnPath;
    this.drops = drops;
  }

  /** The loop that owns these flows. */
  public EventLoop eventLoop() {
    return eventLoop;
  }

  /** The flows of this loop. */
  public FlowTable table() {
    return table;
  }

  /**
   * A TCP view for engines to read a first segment with, on this loop only: reused, so a
   * flood of segments for no connection allocates no views.
   */
  public TcpSegment tcpView() {
    return tcp;
  }

  /** The loop's packet writer, for packets back to clients. */
  public PacketWriter writer() {
    return writer;
  }

  /** Counts a packet of a flow on {@code tunnel} that was dropped for {@code reason}. */
  public void drop(TunnelContext tunnel, DropReason reason) {
    drops.count(tunnel.name(), reason);
    log.debug("tunnel={} event=drop reason={}", tunnel.name(), reason);
  }

  /** Sends {@code packet} (ownership passes) back into {@code to}; a refusal is counted. */
  public void sendToClient(TunnelContext to, ByteBuf packet) {
    DropReason refused = returnPath.send(to, packet);
    if (refused != null) {
      drop(to, refused);
    }
  }

  /**
   * Runs on this loop: finds or opens the flow for an inner packet the dispatcher checked,
   * and hands it over. The buffer is released here, at one exit.
   */
  void dispatch(TunnelContext from, FlowKey key, ByteBuf buffer, Map<Transport, FlowEngine> engines) {
    try {
      packet.wrap(buffer, buffer.readerIndex(), buffer.readableBytes());
      Flow flow = table.get(key);
      if (flow != null) {
        flow.receive(packet);
        return;
      }
      Flow opened = engines.get(key.transport()).open(key, from, packet, this);
      if (opened != null) {
        table.put(key, opened);
        opened.receive(packet);
      }
    } finally {
      buffer.release();
    }
  }
}
