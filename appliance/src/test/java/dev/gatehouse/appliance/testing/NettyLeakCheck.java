package dev.gatehouse.appliance.testing;

import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBufAllocator;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty's leak detector reported a buffer that was never
 * released. The detector reports only when the garbage collector found the buffer and
 * a later allocation looked, so the check collects garbage and allocates a few times.
 */
public final class NettyLeakCheck implements AfterAllCallback {

  private static final int ROUNDS = 5;

  @Override
  public void afterAll(ExtensionContext context) throws InterruptedException {
    for (int round = 0; round < ROUNDS; round++) {
      System.gc();
      Thread.sleep(20);
      for (int i = 0; i < 64; i++) {
        ByteBufAllocator.DEFAULT.buffer(1).release();
      }
    }
    List<String> reports = LeakReportCollector.drain();
    if (!reports.isEmpty()) {
      fail("Netty reported " + reports.size() + " leaked buffer(s):\n" + String.join("\n", reports));
    }
  }
}
