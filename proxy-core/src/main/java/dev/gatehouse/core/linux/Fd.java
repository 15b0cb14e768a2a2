package dev.gatehouse.core.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One open file descriptor and what every kind of descriptor here does with it: switch
 * between blocking and non-blocking mode, wait until readable, close exactly once.
 */
final class Fd {

  private static final int CLOSED = -1;

  private final AtomicInteger fd;
  private final String description;
  // Only the reading thread polls, so one pollfd serves every wait.
  private final MemorySegment pollFd = Arena.ofAuto().allocate(Structs.POLLFD);

  /**
   * @param fd an open descriptor, which this object now owns
   * @param description what it is, for error messages ({@code raw socket (AF_INET, 47)})
   */
  Fd(int fd, String description) {
    this.fd = new AtomicInteger(fd);
    this.description = description;
  }

  /** The descriptor number; throws once closed, so that no call reaches a reused number. */
  int get() throws ClosedChannelException {
    int value = fd.get();
    if (value == CLOSED) {
      throw new ClosedChannelException();
    }
    return value;
  }

  boolean isOpen() {
    return fd.get() != CLOSED;
  }

  String description() {
    return description;
  }

  void setNonBlocking(boolean nonBlocking) throws ClosedChannelException, NativeException {
    int value = get();
    int flags = Libc.fcntl(value, Libc.F_GETFL, 0);
    if (flags < 0) {
      throw new NativeException("fcntl(F_GETFL) on " + description, -flags, "");
    }
    int wanted = nonBlocking ? flags | Libc.O_NONBLOCK : flags & ~Libc.O_NONBLOCK;
    int result = Libc.fcntl(value, Libc.F_SETFL, wanted);
    if (result < 0) {
      throw new NativeException("fcntl(F_SETFL) on " + description, -result, "");
    }
  }

  /**
   * Waits until a read would not block, or for {@code timeoutMillis} (0 returns at once).
   * An error or hang-up on the descriptor counts as readable: the read then reports it.
   */
  boolean awaitReadable(long timeoutMillis) throws ClosedChannelException, NativeException {
    if (timeoutMillis < 0) {
      throw new IllegalArgumentException("expected a timeout of 0 ms or more, got "
          + timeoutMillis);
    }
    Structs.setPollFd(pollFd, get(), Libc.POLLIN);
    int ready = Libc.poll(pollFd, 1, (int) Math.min(timeoutMillis, Integer.MAX_VALUE));
    if (ready < 0) {
      throw new NativeException("poll on " + description, -ready, "");
    }
    return ready > 0 && Structs.pollFdReturnedEvents(pollFd) != 0;
  }

  /**
   * Gives the descriptor to another owner, which closes it: this object then acts as if
   * closed, without closing it.
   */
  int detach() throws ClosedChannelException {
    int value = fd.getAndSet(CLOSED);
    if (value == CLOSED) {
      throw new ClosedChannelException();
    }
    return value;
  }

  /** Closes the descriptor; later calls do nothing. */
  void close() throws NativeException {
    int value = fd.getAndSet(CLOSED);
    if (value == CLOSED) {
      return;
    }
    int result = Libc.close(value);
    // Linux releases the descriptor even when close reports EINTR; retrying could close
    // a number another thread has just been given.
    if (result < 0 && result != -Libc.EINTR) {
      throw new NativeException("close of " + description, -result, "");
    }
  }
}
