package dev.gatehouse.core.flow;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.core.testing.FlowTestKit;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The lazy idle timer: traffic pushes the timeout back, quiet lets it fire once. */
class IdleTimerTest {

  private static final long TIMEOUT_MILLIS = 200;

  private final EventLoopGroup loops = FlowTestKit.loops("nio", 1);
  private final EventLoop loop = loops.next();

  @AfterEach
  void stop() throws Exception {
    loops.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
  }

  @Test
  void firesOnlyAfterATimeoutOfQuiet() throws Exception {
    CountDownLatch fired = new CountDownLatch(1);
    IdleTimer timer = new IdleTimer(loop, TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MILLIS),
        fired::countDown);
    loop.submit(timer::start).sync();

    // busy for two timeouts: never idle
    for (int i = 0; i < 8; i++) {
      Thread.sleep(TIMEOUT_MILLIS / 4);
      loop.submit(timer::touch).sync();
    }
    assertFalse(fired.await(0, TimeUnit.MILLISECONDS), "fired while traffic flowed");

    long quietFromNanos = System.nanoTime();
    assertTrue(fired.await(5, TimeUnit.SECONDS), "fired once quiet");
    long quietMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - quietFromNanos);
    assertTrue(quietMillis >= TIMEOUT_MILLIS - TIMEOUT_MILLIS / 4 - 5,
        "fired after only " + quietMillis + " ms of quiet");
  }

  @Test
  void neverFiresOnceCancelled() throws Exception {
    CountDownLatch fired = new CountDownLatch(1);
    IdleTimer timer = new IdleTimer(loop, TimeUnit.MILLISECONDS.toNanos(50), fired::countDown);
    loop.submit(() -> {
      timer.start();
      timer.cancel();
    }).sync();

    assertFalse(fired.await(300, TimeUnit.MILLISECONDS));
  }
}
