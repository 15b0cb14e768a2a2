package dev.gatehouse.core.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.wire.TcpOptions;
import dev.gatehouse.core.wire.TcpSegment;
import dev.gatehouse.core.wire.WireStatus;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Drives one {@link TcpConnection} segment by segment: a fake clock, client segments built
 * with the wire package's setters and option writers, and a recording {@link TcpOutput}.
 * Buffers come from the pooled allocator so that the leak detector watches them.
 */
final class Harness implements TcpOutput {

  static final int CLIENT_PORT = 40000;
  static final int SERVER_PORT = 443;
  static final long MS = 1_000_000L;

  final List<Sent> sent = new ArrayList<>();
  final ByteArrayOutputStream delivered = new ByteArrayOutputStream();
  final List<String> events = new ArrayList<>();
  int deliveredUnconsumed;
  CloseCause closedCause;
  long now = 1_000 * MS;
  TcpConnection connection;

  /** One segment the engine emitted, copied out and readable through a view. */
  record Sent(byte[] bytes) {
    TcpSegment view() {
      TcpSegment view = new TcpSegment();
      assertEquals(WireStatus.OK, view.wrap(Unpooled.wrappedBuffer(bytes), 0, bytes.length));
      return view;
    }

    int seq() {
      return view().sequenceNumber();
    }

    int ack() {
      return view().acknowledgmentNumber();
    }

    int flags() {
      return view().flags();
    }

    int window() {
      return view().window();
    }

    int payloadLength() {
      return view().payloadLengthBytes();
    }

    byte[] payload() {
      TcpSegment view = view();
      byte[] payload = new byte[view.payloadLengthBytes()];
      view.buffer().getBytes(view.payloadOffset(), payload);
      return payload;
    }

    boolean is(int flags) {
      return flags() == flags;
    }

    @Override
    public String toString() {
      return String.format("seq=%d ack=%d flags=0x%02x win=%d len=%d", seq(), ack(), flags(),
          window(), payloadLength());
    }
  }

  // ---- TcpOutput

  @Override
  public void emit(SegmentFields header, ByteBuf data, int dataIndex, int dataLengthBytes) {
    int length = header.headerLengthBytes() + dataLengthBytes;
    ByteBuf buffer = Unpooled.buffer(length);
    header.writeHeader(new TcpSegment(), buffer, 0, SERVER_PORT, CLIENT_PORT, length);
    if (dataLengthBytes > 0) {
      buffer.setBytes(header.headerLengthBytes(), data, dataIndex, dataLengthBytes);
    }
    byte[] bytes = new byte[length];
    buffer.getBytes(0, bytes);
    sent.add(new Sent(bytes));
  }

  @Override
  public void deliver(ByteBuf data) {
    try {
      deliveredUnconsumed += data.readableBytes();
      data.readBytes(delivered, data.readableBytes());
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    } finally {
      data.release();
    }
  }

  @Override
  public void clientFinished() {
    events.add("clientFinished");
  }

  @Override
  public void writable(boolean writable) {
    events.add("writable=" + writable);
  }

  @Override
  public void closed(CloseCause cause) {
    events.add("closed=" + cause);
    closedCause = cause;
  }

  // ---- building client segments

  /** A client segment under construction; {@link #send()} hands it to the engine. */
  final class Segment {
    private int seq;
    private int ack;
    private int flags;
    private int window = 65535;
    private byte[] payload = new byte[0];
    private final ByteBuf options = Unpooled.buffer(40);

    Segment seq(int value) {
      seq = value;
      return this;
    }

    Segment ack(int value) {
      ack = value;
      flags |= TcpSegment.FLAG_ACK;
      return this;
    }

    Segment flags(int value) {
      flags |= value;
      return this;
    }

    Segment window(int value) {
      window = value;
      return this;
    }

    Segment payload(byte[] value) {
      payload = value;
      return this;
    }

    Segment mss(int value) {
      options.writerIndex(TcpOptions.writeMss(options, options.writerIndex(), value));
      return this;
    }

    Segment windowScale(int shift) {
      options.writerIndex(TcpOptions.writeNoOperation(options, options.writerIndex()));
      options.writerIndex(TcpOptions.writeWindowScale(options, options.writerIndex(), shift));
      return this;
    }

    Segment sackPermitted() {
      options.writerIndex(TcpOptions.writeNoOperation(options, options.writerIndex()));
      options.writerIndex(TcpOptions.writeNoOperation(options, options.writerIndex()));
      options.writerIndex(TcpOptions.writeSackPermitted(options, options.writerIndex()));
      return this;
    }

    Segment timestamps(int tsVal, int tsEcr) {
      options.writerIndex(TcpOptions.writeNoOperation(options, options.writerIndex()));
      options.writerIndex(TcpOptions.writeNoOperation(options, options.writerIndex()));
      options.writerIndex(TcpOptions.writeTimestamps(options, options.writerIndex(), tsVal, tsEcr));
      return this;
    }

    Segment sack(int... edges) {
      options.writerIndex(TcpOptions.writeNoOperation(options, options.writerIndex()));
      options.writerIndex(TcpOptions.writeNoOperation(options, options.writerIndex()));
      int index = TcpOptions.writeSackHeader(options, options.writerIndex(), edges.length / 2);
      for (int i = 0; i < edges.length; i += 2) {
        index = TcpOptions.writeSackBlock(options, index, edges[i], edges[i + 1]);
      }
      options.writerIndex(index);
      return this;
    }

    /** Builds the segment in a pooled buffer, lets {@code use} read it, releases it. */
    <T> T build(java.util.function.Function<TcpSegment, T> use) {
      int optionBytes = (options.readableBytes() + 3) / 4 * 4;
      int header = TcpSegment.MIN_HEADER_LENGTH_BYTES + optionBytes;
      int length = header + payload.length;
      ByteBuf buffer = ByteBufAllocator.DEFAULT.buffer(length);
      try {
        buffer.writeZero(length);
        TcpSegment view = new TcpSegment().init(buffer, 0, header, length);
        view.setSourcePort(CLIENT_PORT);
        view.setDestinationPort(SERVER_PORT);
        view.setSequenceNumber(seq);
        view.setAcknowledgmentNumber(ack);
        view.setFlags(flags);
        view.setWindow(window);
        buffer.setBytes(TcpSegment.OPTIONS_OFFSET, options, 0, options.readableBytes());
        buffer.setBytes(header, payload);
        TcpSegment parsed = new TcpSegment();
        assertEquals(WireStatus.OK, parsed.wrap(buffer, 0, length));
        return use.apply(parsed);
      } finally {
        buffer.release();
      }
    }

    SegmentResult send() {
      return build(view -> connection.onSegment(view, now));
    }
  }

  Segment segment() {
    return new Segment();
  }

  // ---- setting up connections

  TcpConnection open(TcpSettings settings, int iss, Segment syn) {
    connection = syn.flags(TcpSegment.FLAG_SYN)
        .build(view -> TcpConnection.fromSyn(view, iss, settings, this, ByteBufAllocator.DEFAULT));
    return connection;
  }

  /** Runs the connection's timers up to {@code untilNanos}, in deadline order. */
  void advanceTo(long untilNanos) {
    while (connection.nextDeadlineNanos() != TcpConnection.NO_DEADLINE
        && connection.nextDeadlineNanos() - untilNanos <= 0) {
      now = Math.max(now, connection.nextDeadlineNanos());
      connection.onTimer(now);
    }
    now = untilNanos;
  }

  void advanceBy(long nanos) {
    advanceTo(now + nanos);
  }

  Sent last() {
    assertTrue(!sent.isEmpty(), "nothing sent");
    return sent.get(sent.size() - 1);
  }

  List<Sent> takeSent() {
    List<Sent> copy = List.copyOf(sent);
    sent.clear();
    return copy;
  }

  /** Writes {@code bytes} as the origin, asserting that all were taken. */
  void originWrites(byte[] bytes) {
    ByteBuf data = ByteBufAllocator.DEFAULT.buffer(bytes.length).writeBytes(bytes);
    try {
      assertEquals(bytes.length, connection.write(data, now));
    } finally {
      data.release();
    }
  }

  void consumeAll() {
    int bytes = deliveredUnconsumed;
    deliveredUnconsumed = 0;
    connection.consumed(bytes, now);
  }

  /** Aborts a connection a test left open, so that its buffers are released. */
  void closeQuietly() {
    if (connection != null && connection.state() != TcpState.CLOSED) {
      connection.abort();
    }
  }

  static byte[] bytes(int length, int seed) {
    byte[] bytes = new byte[length];
    new java.util.Random(seed).nextBytes(bytes);
    return bytes;
  }
}
