package dev.gatehouse.core.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class NativeExceptionTest {

  @Test
  void namesErrnoAsLinuxDoes() {
    assertEquals("EPERM", NativeException.errnoName(1));
    assertEquals("EACCES", NativeException.errnoName(13));
    assertEquals("ENODEV", NativeException.errnoName(19));
    assertEquals("EADDRNOTAVAIL", NativeException.errnoName(99));
    assertEquals("EHWPOISON", NativeException.errnoName(133));
  }

  @Test
  void namesUnknownErrnoByNumber() {
    assertEquals("errno 41", NativeException.errnoName(41), "41 is unused (EWOULDBLOCK is 11)");
    assertEquals("errno 0", NativeException.errnoName(0));
    assertEquals("errno 4096", NativeException.errnoName(4096));
  }

  @Test
  void saysCallErrnoDescriptionAndAdvice() {
    NativeException e = new NativeException("open(/dev/net/tun)", Libc.ENOENT, "load tun");

    assertEquals("open(/dev/net/tun) failed: ENOENT (No such file or directory); load tun",
        e.getMessage());
    assertEquals("open(/dev/net/tun)", e.call());
    assertEquals(2, e.errno());
    assertEquals("No such file or directory", e.description());
    assertEquals("load tun", e.advice());
    assertTrue(e instanceof IOException);
  }

  @Test
  void leavesOutEmptyAdvice() {
    NativeException e = new NativeException("close of fd", Libc.EBADF, "");

    assertEquals("close of fd failed: EBADF (Bad file descriptor)", e.getMessage());
  }
}
