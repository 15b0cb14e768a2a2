package dev.gatehouse.core.tcp;

import static dev.gatehouse.core.wire.TcpSegment.FLAG_ACK;
import static dev.gatehouse.core.wire.TcpSegment.FLAG_FIN;
import static dev.gatehouse.core.wire.TcpSegment.FLAG_SYN;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.gatehouse.core.wire.TcpOptions;
import dev.gatehouse.core.wire.TcpSegment;
import dev.gatehouse.core.wire.WireStatus;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Moves 2 MiB each way at once between the engine and a small model client over a simulated
 * path that loses, duplicates and reorders segments, and checks that both byte streams arrive
 * exactly and both sides close. The model client is deliberately simple (go-back-N with a
 * fixed timeout, SACK blocks for what it holds out of order); the engine must cope with it.
 */
class LossyTransferTest {

  private static final long MS = 1_000_000L;
  private static final int TRANSFER_BYTES = 2 * 1024 * 1024;
  private static final int CLIENT_MSS = 1000;
  private static final int CLIENT_WINDOW_BYTES = 65535;
  private static final int IRS = 0xFFF0_0000; // the client's numbers wrap during the transfer
  private static final int ISS = 0x7FFF_0000;
  private static final long TIME_LIMIT_NANOS = 600_000 * MS;

  private record Packet(long atNanos, long order, boolean toEngine, byte[] bytes) {}

  private final PriorityQueue<Packet> network = new PriorityQueue<>(
      (a, b) -> a.atNanos != b.atNanos ? Long.compare(a.atNanos, b.atNanos)
          : Long.compare(a.order, b.order));
  private Random random;
  private long order;
  private long now = 5_000 * MS;
  private double lossRate;

  // engine side
  private TcpConnection connection;
  private final Origin origin = new Origin();
  private byte[] down;
  private long acceptAtNanos = -1;
  private TcpSettings settings = TcpSettings.forMtu(1500, false);

  // client side
  private ModelClient client;

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3})
  void transfersMegabytesBothWaysThroughLossReorderAndDuplication(long seed) {
    transfer(seed, Integer.MAX_VALUE);
  }

  /** The origin reads 8 KiB per 10 ms: the receive window closes and reopens. */
  @ParameterizedTest
  @ValueSource(longs = {4, 5})
  void transfersThroughASlowOriginThatClosesTheWindow(long seed) {
    settings = settings.withBuffers(64 * 1024, 64 * 1024);
    transfer(seed, 8 * 1024);
    assertTrue(origin.sawZeroWindow, "the window was never closed; the test lost its point");
  }

  private void transfer(long seed, int originReadBytesPerTick) {
    origin.readBytesPerTick = originReadBytesPerTick;
    random = new Random(seed);
    lossRate = 0.03;
    down = Harness.bytes(TRANSFER_BYTES, (int) seed * 2);
    client = new ModelClient(Harness.bytes(TRANSFER_BYTES, (int) seed * 2 + 1));
    try {
      client.start();
      run();
      assertArrayEquals(client.up, origin.received.toByteArray(), "client to origin");
      assertArrayEquals(down, client.received.toByteArray(), "origin to client");
      assertEquals(CloseCause.NORMAL, origin.closedCause);
      assertTrue(client.finReceived && client.finAcknowledged());
    } finally {
      if (connection != null && connection.state() != TcpState.CLOSED) {
        connection.abort();
      }
    }
  }

  private void run() {
    long limit = now + TIME_LIMIT_NANOS;
    while (!(origin.closedCause != null && client.finReceived && client.finAcknowledged())) {
      long next = nextEventNanos();
      if (next - limit > 0) {
        fail("transfer unfinished: origin got " + origin.received.size() + ", client got "
            + client.received.size() + ", engine " + (connection == null ? "-" : connection.state()));
      }
      now = Math.max(now, next);
      step();
    }
  }

  private long nextEventNanos() {
    long next = client.timerNanos;
    if (!network.isEmpty()) {
      next = Math.min(next, network.peek().atNanos);
    }
    if (acceptAtNanos >= 0) {
      next = Math.min(next, acceptAtNanos);
    }
    if (connection != null && connection.nextDeadlineNanos() != TcpConnection.NO_DEADLINE) {
      next = Math.min(next, connection.nextDeadlineNanos());
    }
    if (origin.unconsumed > 0) {
      next = Math.min(next, origin.nextReadNanos);
    }
    return next;
  }

  private void step() {
    while (!network.isEmpty() && network.peek().atNanos <= now) {
      Packet packet = network.poll();
      if (packet.toEngine) {
        toEngine(packet.bytes);
      } else {
        client.receive(packet.bytes);
      }
    }
    if (acceptAtNanos >= 0 && acceptAtNanos <= now) {
      acceptAtNanos = -1;
      connection.accept(now);
    }
    if (connection != null && connection.nextDeadlineNanos() != TcpConnection.NO_DEADLINE
        && connection.nextDeadlineNanos() <= now) {
      connection.onTimer(now);
    }
    if (client.timerNanos <= now) {
      client.onTimer();
    }
    origin.pump();
  }

  private void send(boolean toEngine, byte[] bytes) {
    if (random.nextDouble() < lossRate) {
      return;
    }
    int copies = random.nextDouble() < 0.01 ? 2 : 1;
    for (int i = 0; i < copies; i++) {
      long delay = 5 * MS + (long) (random.nextDouble() * 20 * MS);
      network.add(new Packet(now + delay, order++, toEngine, bytes));
    }
  }

  private void toEngine(byte[] bytes) {
    ByteBuf buffer = ByteBufAllocator.DEFAULT.buffer(bytes.length).writeBytes(bytes);
    try {
      TcpSegment segment = new TcpSegment();
      assertEquals(WireStatus.OK, segment.wrap(buffer, 0, bytes.length));
      if (connection == null) {
        // the dispatcher's part: a connection per SYN, the origin answers 30 ms later
        connection = TcpConnection.fromSyn(segment, ISS, settings, origin,
            ByteBufAllocator.DEFAULT);
        acceptAtNanos = now + 30 * MS;
      } else if (connection.state() != TcpState.CLOSED) {
        connection.onSegment(segment, now);
      }
    } finally {
      buffer.release();
    }
  }

  /** The engine's owner: forwards segments to the path, plays the origin socket. */
  private final class Origin implements TcpOutput {
    final ByteArrayOutputStream received = new ByteArrayOutputStream();
    CloseCause closedCause;
    int written;
    int readBytesPerTick;
    long nextReadNanos;
    boolean sawZeroWindow;
    boolean writable = true;
    boolean shutdown;
    int unconsumed;

    @Override
    public void emit(SegmentFields header, ByteBuf data, int dataIndex, int dataLengthBytes) {
      int length = header.headerLengthBytes() + dataLengthBytes;
      sawZeroWindow |= header.window() == 0 && !header.hasFlags(TcpSegment.FLAG_RST);
      ByteBuf buffer = Unpooled.buffer(length);
      header.writeHeader(new TcpSegment(), buffer, 0, 443, 40000, length);
      if (dataLengthBytes > 0) {
        buffer.setBytes(header.headerLengthBytes(), data, dataIndex, dataLengthBytes);
      }
      byte[] bytes = new byte[length];
      buffer.getBytes(0, bytes);
      send(false, bytes);
    }

    @Override
    public void deliver(ByteBuf data) {
      try {
        unconsumed += data.readableBytes();
        received.writeBytes(io.netty.buffer.ByteBufUtil.getBytes(data));
      } finally {
        data.release();
      }
    }

    @Override
    public void clientFinished() {}

    @Override
    public void writable(boolean writable) {
      this.writable = writable;
    }

    @Override
    public void closed(CloseCause cause) {
      closedCause = cause;
    }

    /** The origin socket: reads what was delivered, writes its stream while writable. */
    void pump() {
      if (connection == null || connection.state() == TcpState.CLOSED
          || connection.state() == TcpState.SYN_HELD) {
        return;
      }
      if (unconsumed > 0 && nextReadNanos <= now) {
        int bytes = Math.min(unconsumed, readBytesPerTick);
        unconsumed -= bytes;
        nextReadNanos = now + 10 * MS;
        connection.consumed(bytes, now);
      }
      while (writable && written < down.length && connection.state() != TcpState.CLOSED) {
        int chunk = Math.min(16 * 1024, down.length - written);
        ByteBuf data = ByteBufAllocator.DEFAULT.buffer(chunk).writeBytes(down, written, chunk);
        try {
          written += connection.write(data, now);
        } finally {
          data.release();
        }
      }
      if (written == down.length && !shutdown && connection.state() != TcpState.CLOSED) {
        shutdown = true;
        connection.shutdownOutput(now);
      }
    }
  }

  /** A minimal TCP client: go-back-N sender, reassembling receiver that reports SACK blocks. */
  private final class ModelClient {
    private static final long RTO_NANOS = 200 * MS;
    final byte[] up;
    final ByteArrayOutputStream received = new ByteArrayOutputStream();
    final TreeMap<Long, byte[]> outOfOrder = new TreeMap<>();
    long timerNanos;
    boolean established;
    int engineIss;
    int peerWindowBytes;
    int peerWindowShift;
    long sndUna;
    long sndNxt;
    long rcvNxt;
    long finOffset = -1;
    boolean finReceived;
    int duplicateAcks;

    ModelClient(byte[] up) {
      this.up = up;
    }

    boolean finAcknowledged() {
      return sndUna == up.length + 1;
    }

    void start() {
      sendSyn();
    }

    private void sendSyn() {
      ByteBuf options = Unpooled.buffer(12);
      int index = TcpOptions.writeMss(options, 0, CLIENT_MSS);
      index = TcpOptions.writeNoOperation(options, index);
      index = TcpOptions.writeWindowScale(options, index, 0);
      index = TcpOptions.writeNoOperation(options, index);
      index = TcpOptions.writeNoOperation(options, index);
      index = TcpOptions.writeSackPermitted(options, index);
      send(true, segment(IRS, 0, FLAG_SYN, options, index, null, 0, 0));
      timerNanos = now + 1000 * MS;
    }

    void onTimer() {
      if (!established) {
        sendSyn();
        return;
      }
      if (peerWindowBytes == 0 && sndNxt < up.length) {
        // a one-byte zero-window probe at SND.NXT (RFC 9293 §3.8.6.1)
        send(true, segment(IRS + 1 + (int) sndNxt, ack(), FLAG_ACK, null, 0, up, (int) sndNxt, 1));
      } else if (sndUna < up.length + 1) {
        sndNxt = sndUna; // go back N
        pump();
      }
      timerNanos = now + RTO_NANOS;
    }

    void receive(byte[] bytes) {
      TcpSegment segment = new TcpSegment();
      assertEquals(WireStatus.OK, segment.wrap(Unpooled.wrappedBuffer(bytes), 0, bytes.length));
      if (segment.isRst()) {
        fail("engine reset the connection in " + connection.state());
      }
      if (segment.isSyn()) {
        engineIss = segment.sequenceNumber();
        peerWindowShift = segment.windowScale();
        established = true;
        peerWindowBytes = segment.window();
        sendAck();
        pump();
        return;
      }
      if (!established) {
        return;
      }
      onAck(segment);
      boolean needsAck = onData(segment);
      pump();
      if (needsAck) {
        sendAck();
      }
    }

    private void onAck(TcpSegment segment) {
      long acked = Integer.toUnsignedLong(segment.acknowledgmentNumber() - (IRS + 1));
      peerWindowBytes = segment.window() << peerWindowShift;
      if (acked > sndUna && acked <= up.length + 1) {
        sndUna = acked;
        sndNxt = Math.max(sndNxt, sndUna);
        duplicateAcks = 0;
        timerNanos = now + RTO_NANOS;
      } else if (acked == sndUna && segment.payloadLengthBytes() == 0 && sndNxt > sndUna
          && ++duplicateAcks == 3) {
        sndNxt = sndUna; // a crude fast retransmit
      }
    }

    /** Takes the bytes and FIN; returns whether the segment occupied sequence space. */
    private boolean onData(TcpSegment segment) {
      int length = segment.payloadLengthBytes();
      if (length == 0 && !segment.isFin()) {
        return false;
      }
      int delta = segment.sequenceNumber() - (engineIss + 1 + (int) rcvNxt);
      long offset = rcvNxt + delta;
      if (length > 0 && offset + length > rcvNxt) {
        byte[] data = new byte[length];
        segment.buffer().getBytes(segment.payloadOffset(), data);
        outOfOrder.merge(offset, data, (a, b) -> a.length >= b.length ? a : b);
      }
      if (segment.isFin()) {
        finOffset = offset + length;
      }
      for (Map.Entry<Long, byte[]> first = outOfOrder.firstEntry();
          first != null && first.getKey() <= rcvNxt; first = outOfOrder.firstEntry()) {
        outOfOrder.pollFirstEntry();
        int skip = (int) (rcvNxt - first.getKey());
        if (skip < first.getValue().length) {
          received.write(first.getValue(), skip, first.getValue().length - skip);
          rcvNxt += first.getValue().length - skip;
        }
      }
      if (finOffset >= 0 && rcvNxt == finOffset) {
        finReceived = true;
        rcvNxt++;
      }
      return true;
    }

    void pump() {
      while (sndNxt < up.length && sndNxt < sndUna + peerWindowBytes) {
        int length = (int) Math.min(CLIENT_MSS,
            Math.min(up.length - sndNxt, sndUna + peerWindowBytes - sndNxt));
        boolean last = sndNxt + length == up.length;
        send(true, segment(IRS + 1 + (int) sndNxt, ack(), FLAG_ACK | (last ? FLAG_FIN : 0),
            null, 0, up, (int) sndNxt, length));
        sndNxt += length + (last ? 1 : 0);
      }
      if (sndNxt == up.length) {
        send(true, segment(IRS + 1 + up.length, ack(), FLAG_ACK | FLAG_FIN, null, 0, null, 0, 0));
        sndNxt++;
      }
    }

    private int ack() {
      return engineIss + 1 + (int) rcvNxt;
    }

    private void sendAck() {
      // SACK blocks for what we hold above rcvNxt, at most three
      ByteBuf options = Unpooled.buffer(40);
      int blocks = 0;
      int index = 4;
      long start = -1;
      long end = -1;
      for (Map.Entry<Long, byte[]> entry : outOfOrder.entrySet()) {
        long entryEnd = entry.getKey() + entry.getValue().length;
        if (start >= 0 && entry.getKey() <= end) {
          end = Math.max(end, entryEnd);
          continue;
        }
        if (start >= 0 && blocks < 3) {
          index = TcpOptions.writeSackBlock(options, index, seqOf(start), seqOf(end));
          blocks++;
        }
        start = entry.getKey();
        end = entryEnd;
      }
      if (start >= 0 && blocks < 3) {
        index = TcpOptions.writeSackBlock(options, index, seqOf(start), seqOf(end));
        blocks++;
      }
      int optionBytes = 0;
      if (blocks > 0) {
        TcpOptions.writeNoOperation(options, 0);
        TcpOptions.writeNoOperation(options, 1);
        TcpOptions.writeSackHeader(options, 2, blocks);
        optionBytes = index;
      }
      send(true, segment(IRS + 1 + (int) Math.min(sndNxt, up.length + 1), ack(), FLAG_ACK,
          options, optionBytes, null, 0, 0));
    }

    private int seqOf(long offset) {
      return engineIss + 1 + (int) offset;
    }

    private byte[] segment(int seq, int ack, int flags, ByteBuf options, int optionBytes,
        byte[] data, int dataOffset, int dataLength) {
      int header = TcpSegment.MIN_HEADER_LENGTH_BYTES + (optionBytes + 3) / 4 * 4;
      ByteBuf buffer = Unpooled.buffer(header + dataLength);
      buffer.writeZero(header + dataLength);
      TcpSegment view = new TcpSegment().init(buffer, 0, header, header + dataLength);
      view.setSourcePort(40000);
      view.setDestinationPort(443);
      view.setSequenceNumber(seq);
      view.setAcknowledgmentNumber(ack);
      view.setFlags(flags);
      view.setWindow(CLIENT_WINDOW_BYTES);
      if (optionBytes > 0) {
        buffer.setBytes(TcpSegment.OPTIONS_OFFSET, options, 0, optionBytes);
      }
      if (dataLength > 0) {
        buffer.setBytes(header, data, dataOffset, dataLength);
      }
      return buffer.array();
    }
  }
}
