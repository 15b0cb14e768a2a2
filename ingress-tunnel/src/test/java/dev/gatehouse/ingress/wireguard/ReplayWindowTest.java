package dev.gatehouse.ingress.wireguard;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ReplayWindowTest {

  private final ReplayWindow window = new ReplayWindow();

  @Test
  void acceptsEachCounterOnce() {
    assertTrue(window.accept(0));
    assertFalse(window.accept(0));
    assertTrue(window.accept(1));
    assertFalse(window.mayAccept(1));
  }

  @Test
  void acceptsOutOfOrderWithinTheWindowOnce() {
    assertTrue(window.accept(5000));
    assertTrue(window.mayAccept(5000 - ReplayWindow.WINDOW_SIZE + 1));
    assertTrue(window.accept(5000 - ReplayWindow.WINDOW_SIZE + 1));
    assertFalse(window.accept(5000 - ReplayWindow.WINDOW_SIZE + 1));
    assertTrue(window.accept(4999));
    assertFalse(window.accept(4999));
  }

  @Test
  void windowIsAtLeastTheWhitepapersTwoThousand() {
    assertTrue(ReplayWindow.WINDOW_SIZE >= 2000);
  }

  @Test
  void dropsCountersBehindTheWindow() {
    assertTrue(window.accept(10_000));
    assertFalse(window.mayAccept(10_000 - ReplayWindow.WINDOW_SIZE));
    assertFalse(window.accept(10_000 - ReplayWindow.WINDOW_SIZE));
  }

  @Test
  void clearsSkippedWordsWhenJumpingAhead() {
    assertTrue(window.accept(64));
    // a jump by exactly one ring length must not leave counter 64's bit looking set at 64 + 4096
    assertTrue(window.accept(64 + 4096));
    assertTrue(window.accept(64 + 4096 - 64));
    assertTrue(window.accept(1_000_000));
    assertTrue(window.accept(999_999));
  }

  @Test
  void rejectsCountersAtOrAboveRejectAfterMessages() {
    assertFalse(window.accept(WireGuardProtocol.REJECT_AFTER_MESSAGES));
    assertFalse(window.accept(-1L));
    assertTrue(window.accept(WireGuardProtocol.REJECT_AFTER_MESSAGES - 1));
  }
}
