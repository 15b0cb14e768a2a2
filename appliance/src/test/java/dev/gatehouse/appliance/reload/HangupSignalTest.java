package dev.gatehouse.appliance.reload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.appliance.testing.Await;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class HangupSignalTest {

  /** Sends SIGHUP to this very JVM with kill(1), as an operator would. */
  private static void sendHangupToSelf() throws Exception {
    Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(ProcessHandle.current().pid()))
        .inheritIO().start();
    assertTrue(kill.waitFor(10, TimeUnit.SECONDS));
    assertEquals(0, kill.exitValue());
  }

  @Test
  void runsTheActionOnSighupUntilClosed() throws Exception {
    AtomicInteger hangups = new AtomicInteger();
    Optional<HangupSignal> installed = HangupSignal.install(hangups::incrementAndGet);
    assertTrue(installed.isPresent(), "this JVM handles SIGHUP");
    try {
      sendHangupToSelf();
      Await.until(Duration.ofSeconds(10), "the handler ran", () -> hangups.get() == 1);
      sendHangupToSelf();
      Await.until(Duration.ofSeconds(10), "the handler ran again", () -> hangups.get() == 2);
    } finally {
      installed.get().close();
    }
    // after close the JVM's previous handler is back: installing again must still work
    AtomicInteger second = new AtomicInteger();
    HangupSignal again = HangupSignal.install(second::incrementAndGet).orElseThrow();
    try {
      sendHangupToSelf();
      Await.until(Duration.ofSeconds(10), "the new handler ran", () -> second.get() == 1);
      assertEquals(2, hangups.get());
    } finally {
      again.close();
    }
  }

  @Test
  void keepsHandlingAfterAnActionFails() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    HangupSignal signal = HangupSignal.install(() -> {
      calls.incrementAndGet();
      throw new IllegalStateException("broken action");
    }).orElseThrow();
    try {
      sendHangupToSelf();
      Await.until(Duration.ofSeconds(10), "the failing handler ran", () -> calls.get() == 1);
      sendHangupToSelf();
      Await.until(Duration.ofSeconds(10), "the handler ran once more", () -> calls.get() == 2);
    } finally {
      signal.close();
    }
  }
}
