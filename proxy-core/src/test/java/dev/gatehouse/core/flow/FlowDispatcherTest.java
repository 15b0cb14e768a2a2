package dev.gatehouse.core.flow;

import static dev.gatehouse.core.testing.FlowTestKit.TUNNEL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.log.CloseReason;
import dev.gatehouse.core.testing.FlowTestKit;
import dev.gatehouse.core.testing.FlowTestKit.RecordingReturnPath;
import dev.gatehouse.core.tunnel.TunnelContext;
import dev.gatehouse.core.wire.IpPacket;
import dev.gatehouse.core.wire.PacketWriter;
import dev.gatehouse.core.wire.TcpSegment;
import dev.gatehouse.core.wire.UdpDatagram;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Steering packets to the loop that owns their flow, and dropping what must not pass. */
class FlowDispatcherTest {

  private static final TunnelContext OTHER_TUNNEL =
      new TunnelContext("branch-2", "gre", "branch-2", 0, 1476);

  private final PacketWriter writer = new PacketWriter(ByteBufAllocator.DEFAULT);
  private final RecordingReturnPath returnPath = new RecordingReturnPath();
  private final DropCounters drops = new DropCounters();
  private final RecordingEngine engine = new RecordingEngine();
  private final EventLoopGroup loops = FlowTestKit.loops("nio", 4);
  private final FlowDispatcher dispatcher =
      new FlowDispatcher(loops, Map.of(Transport.UDP, engine), returnPath, drops);

  @AfterEach
  void stop() throws Exception {
    dispatcher.close();
    loops.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
  }

  @Test
  void steersEveryPacketOfAFlowToOneLoopAndOneFlow() throws Exception {
    int flows = 32;
    int packetsPerFlow = 5;
    engine.expect(flows * packetsPerFlow);

    for (int round = 0; round < packetsPerFlow; round++) {
      for (int port = 1000; port < 1000 + flows; port++) {
        dispatcher.accept(TUNNEL, udp(port));
      }
    }

    assertTrue(engine.received.await(5, TimeUnit.SECONDS), "every packet reached its flow");
    assertEquals(flows, engine.opened.size(), "one flow per key");
    for (Map.Entry<FlowKey, RecordingFlow> entry : engine.opened.entrySet()) {
      RecordingFlow flow = entry.getValue();
      assertEquals(packetsPerFlow, flow.threads.size());
      assertTrue(flow.threads.stream().allMatch(t -> t == flow.threads.getFirst()),
          "one thread for the whole flow");
      assertTrue(flow.onOwningLoop, "opened on the loop the key spreads to");
    }
  }

  @Test
  void keepsFlowsOfTwoTunnelsApart() throws Exception {
    engine.expect(2);

    dispatcher.accept(TUNNEL, udp(1000));
    dispatcher.accept(OTHER_TUNNEL, udp(1000));

    assertTrue(engine.received.await(5, TimeUnit.SECONDS));
    assertEquals(2, engine.opened.size());
  }

  @Test
  void countsTruncatedPacketGloballyAndPerTunnel() {
    dispatcher.accept(TUNNEL, Unpooled.wrappedBuffer(new byte[] {0x45, 0, 0, 40, 0, 0}));

    assertEquals(1, drops.total(DropReason.TRUNCATED));
    assertEquals(1, drops.forTunnel(TUNNEL.name(), DropReason.TRUNCATED));
    assertEquals(0, drops.forTunnel(OTHER_TUNNEL.name(), DropReason.TRUNCATED));
  }

  @Test
  void countsBadVersion() {
    dispatcher.accept(TUNNEL, Unpooled.wrappedBuffer(new byte[40]));

    assertEquals(1, drops.forTunnel(TUNNEL.name(), DropReason.BAD_VERSION));
  }

  @Test
  void dropsIpv4HeaderWithBadChecksum() throws Exception {
    ByteBuf packet = udp(1000);
    packet.setByte(10, packet.getByte(10) ^ 0x01);

    dispatcher.accept(TUNNEL, packet);

    assertEquals(1, drops.forTunnel(TUNNEL.name(), DropReason.BAD_CHECKSUM));
  }

  @Test
  void dropsUdpDatagramWithBadChecksum() throws Exception {
    ByteBuf packet = udp(1000);
    packet.setByte(20 + UdpDatagram.CHECKSUM_OFFSET, packet.getByte(26) ^ 0x40);

    dispatcher.accept(TUNNEL, packet);

    assertEquals(1, drops.forTunnel(TUNNEL.name(), DropReason.BAD_CHECKSUM));
  }

  @Test
  void dropsIpv6UdpWithZeroChecksum() throws Exception {
    ByteBuf packet = writer.udp(InetAddress.getByName("2001:2::2"), 1,
        InetAddress.getByName("2001:2::1"), 2, Unpooled.wrappedBuffer(new byte[4]));
    packet.setShort(40 + UdpDatagram.CHECKSUM_OFFSET, 0);

    dispatcher.accept(TUNNEL, packet);

    assertEquals(1, drops.forTunnel(TUNNEL.name(), DropReason.BAD_CHECKSUM));
  }

  @Test
  void dropsFragments() throws Exception {
    ByteBuf packet = udp(1000);
    IpPacket view = new IpPacket();
    view.wrap(packet, 0, packet.readableBytes());
    view.ipv4().setFragmentation(false, true, 0);
    view.ipv4().writeHeaderChecksum();

    dispatcher.accept(TUNNEL, packet);

    assertEquals(1, drops.forTunnel(TUNNEL.name(), DropReason.FRAGMENT));
  }

  @Test
  void countsTcpWithoutEngineAsDisabled() throws Exception {
    InetAddress client = InetAddress.getByName("198.18.0.2");
    InetAddress origin = InetAddress.getByName("198.19.0.1");

    dispatcher.accept(TUNNEL, writer.tcp(client, 1000, origin, 80, 1, 0, TcpSegment.FLAG_SYN,
        65535, Unpooled.EMPTY_BUFFER, Unpooled.EMPTY_BUFFER));

    assertEquals(1, drops.forTunnel(TUNNEL.name(), DropReason.TRANSPORT_DISABLED));
  }

  @Test
  void countsIcmpWithoutEngineAsDisabled() throws Exception {
    InetAddress client = InetAddress.getByName("198.18.0.2");
    InetAddress origin = InetAddress.getByName("198.19.0.1");
    // An echo reply is what the writer makes; turn it into a request (type 8), checksum fixed.
    ByteBuf packet = writer.echoReply(client, origin, 1, 1, Unpooled.EMPTY_BUFFER);
    packet.setByte(20, 8);
    packet.setShort(22, packet.getUnsignedShort(22) - 0x0800);

    dispatcher.accept(TUNNEL, packet);

    assertEquals(1, drops.forTunnel(TUNNEL.name(), DropReason.TRANSPORT_DISABLED));
  }

  @Test
  void closesOpenFlowsForShutdownAndThenDropsNewPackets() throws Exception {
    engine.expect(1);
    dispatcher.accept(TUNNEL, udp(1000));
    assertTrue(engine.received.await(5, TimeUnit.SECONDS));

    dispatcher.close();
    dispatcher.accept(TUNNEL, udp(1001));

    RecordingFlow flow = engine.opened.values().iterator().next();
    assertEquals(CloseReason.PROXY_SHUTDOWN, flow.closedFor);
    assertEquals(1, drops.forTunnel(TUNNEL.name(), DropReason.SHUTTING_DOWN));
  }

  private ByteBuf udp(int clientPort) throws Exception {
    return writer.udp(InetAddress.getByName("198.18.0.2"), clientPort,
        InetAddress.getByName("198.19.0.1"), 53, Unpooled.wrappedBuffer(new byte[] {1, 2, 3}));
  }

  /** Opens a {@link RecordingFlow} per key and notes where each packet was handled. */
  private final class RecordingEngine implements FlowEngine {
    final Map<FlowKey, RecordingFlow> opened = new ConcurrentHashMap<>();
    volatile CountDownLatch received = new CountDownLatch(0);

    void expect(int packets) {
      received = new CountDownLatch(packets);
    }

    @Override
    public Flow open(FlowKey key, TunnelContext from, IpPacket first, FlowLoop loop) {
      RecordingFlow flow = new RecordingFlow(this, key, loop);
      flow.onOwningLoop = dispatcher.loopOf(key).inEventLoop() && loop.eventLoop().inEventLoop();
      opened.put(key, flow);
      return flow;
    }
  }

  private static final class RecordingFlow implements Flow {
    final RecordingEngine engine;
    final FlowKey key;
    final FlowLoop loop;
    final List<Thread> threads = new CopyOnWriteArrayList<>();
    volatile boolean onOwningLoop;
    volatile CloseReason closedFor;

    RecordingFlow(RecordingEngine engine, FlowKey key, FlowLoop loop) {
      this.engine = engine;
      this.key = key;
      this.loop = loop;
    }

    @Override
    public void receive(IpPacket packet) {
      threads.add(Thread.currentThread());
      engine.received.countDown();
    }

    @Override
    public void close(CloseReason reason) {
      closedFor = reason;
      loop.table().remove(key, this);
    }
  }
}
