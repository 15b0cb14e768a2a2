package dev.gatehouse.core.testing;

import dev.gatehouse.core.flow.DropReason;
import dev.gatehouse.core.flow.ReturnPath;
import dev.gatehouse.core.log.ActivityEvent;
import dev.gatehouse.core.log.ActivityLog;
import dev.gatehouse.core.log.ActivityRecord;
import dev.gatehouse.core.tunnel.TunnelContext;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A return path and an activity log that keep what they are given, for engine tests. */
public final class FlowTestKit {

  /** The tunnel every test packet arrives on. */
  public static final TunnelContext TUNNEL = new TunnelContext("branch-1", "tun", "branch-1", 7, 1500);

  private FlowTestKit() {}

  /** Event loops of the given I/O type: {@code epoll} or {@code nio}. */
  public static EventLoopGroup loops(String ioType, int threads) {
    return new MultiThreadIoEventLoopGroup(threads,
        ioType.equals("epoll") ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
  }

  /** Keeps each packet sent back until a test takes it; the test then owns and releases it. */
  public static final class RecordingReturnPath implements ReturnPath {
    private final BlockingQueue<ByteBuf> packets = new LinkedBlockingQueue<>();

    @Override
    public DropReason send(TunnelContext to, ByteBuf packet) {
      if (!to.equals(TUNNEL)) {
        packet.release();
        return DropReason.NO_TUNNEL;
      }
      packets.add(packet);
      return null;
    }

    /** The next packet within five seconds; fails if none comes. */
    public ByteBuf take() throws InterruptedException {
      ByteBuf packet = packets.poll(5, TimeUnit.SECONDS);
      if (packet == null) {
        throw new AssertionError("no packet came back to the client within 5 s");
      }
      return packet;
    }

    /** The next packet sent to the client within {@code millis}, or null; the caller releases it. */
    public ByteBuf poll(long millis) throws InterruptedException {
      return packets.poll(millis, TimeUnit.MILLISECONDS);
    }

    /** Whether nothing came back within {@code millis}. */
    public boolean nothingWithin(long millis) throws InterruptedException {
      ByteBuf packet = packets.poll(millis, TimeUnit.MILLISECONDS);
      if (packet != null) {
        packet.release();
        return false;
      }
      return true;
    }

    /** Releases whatever a test did not take. */
    public void releaseAll() {
      ByteBuf packet;
      while ((packet = packets.poll()) != null) {
        packet.release();
      }
    }
  }

  /** Keeps records; tests wait for the one they expect. */
  public static final class RecordingActivityLog implements ActivityLog {
    private final List<ActivityRecord> records = new ArrayList<>();

    @Override
    public synchronized void record(ActivityRecord record) {
      records.add(record);
      notifyAll();
    }

    @Override
    public long droppedRecords() {
      return 0;
    }

    @Override
    public void close() {}

    /** Every record so far. */
    public synchronized List<ActivityRecord> records() {
      return List.copyOf(records);
    }

    /** The end records so far, in order. */
    public synchronized List<ActivityRecord> ends() {
      return records.stream().filter(r -> r.event() == ActivityEvent.SESSION_END).toList();
    }

    /** The start records so far, in order. */
    public synchronized List<ActivityRecord> starts() {
      return records.stream().filter(r -> r.event() == ActivityEvent.SESSION_START).toList();
    }

    /** Waits until {@code count} end records were written, and returns them. */
    public synchronized List<ActivityRecord> awaitEnds(int count, Duration timeout)
        throws InterruptedException {
      long deadlineNanos = System.nanoTime() + timeout.toNanos();
      while (ends().size() < count) {
        long leftMillis = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
        if (leftMillis <= 0) {
          throw new AssertionError("expected " + count + " end record(s) within " + timeout + ", got " + records);
        }
        wait(leftMillis);
      }
      return new ArrayList<>(ends());
    }

    /** Waits for the first end record. */
    public ActivityRecord awaitEnd(Duration timeout) throws InterruptedException {
      return awaitEnds(1, timeout).get(0);
    }

    /** The first record matching {@code match}, waiting up to {@code millis} for it. */
    public synchronized ActivityRecord await(Predicate<ActivityRecord> match, long millis)
        throws InterruptedException {
      long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
      while (true) {
        for (ActivityRecord record : records) {
          if (match.test(record)) {
            return record;
          }
        }
        long leftMillis = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
        if (leftMillis <= 0) {
          throw new AssertionError("no matching activity record within " + millis + " ms: "
              + records);
        }
        wait(leftMillis);
      }
    }
  }
}
