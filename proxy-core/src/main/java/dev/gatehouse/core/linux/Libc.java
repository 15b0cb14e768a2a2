package dev.gatehouse.core.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The libc functions this package calls, bound once through the FFM linker, and the Linux
 * ABI numbers they take.
 *
 * <p>The numbers are those of Linux on x86_64 and aarch64, where the generic and the x86
 * ABI agree on every value used here. MIPS, SPARC, Alpha and PowerPC number some of them
 * differently (socket types, {@code O_NONBLOCK}, ioctl directions) and are not supported.
 *
 * <p>Every wrapper returns what the call returns on success and {@code -errno} on failure,
 * the kernel's own convention, so that callers read errno without allocating. errno is
 * captured by the linker right after the call into a per-thread segment: read later, it
 * could already be overwritten by whatever the JVM ran in between. Calls that a signal can
 * interrupt are retried on {@code EINTR}, except {@code close}, which Linux completes anyway.
 */
final class Libc {

  // <errno.h> (asm-generic/errno-base.h, asm-generic/errno.h)
  static final int EPERM = 1;
  static final int ENOENT = 2;
  static final int EINTR = 4;
  static final int EIO = 5;
  static final int ENXIO = 6;
  static final int EBADF = 9;
  static final int EAGAIN = 11;
  static final int EACCES = 13;
  static final int EBUSY = 16;
  static final int ENODEV = 19;
  static final int EINVAL = 22;
  static final int EBADFD = 77;
  static final int EMSGSIZE = 90;
  static final int EPROTONOSUPPORT = 93;
  static final int EAFNOSUPPORT = 97;
  static final int EADDRNOTAVAIL = 99;
  static final int ENETUNREACH = 101;
  static final int EHOSTUNREACH = 113;

  // <sys/socket.h>, <netinet/in.h>
  static final int AF_INET = 2;
  static final int AF_INET6 = 10;
  static final int SOCK_DGRAM = 2;
  static final int SOCK_RAW = 3;
  static final int SOCK_CLOEXEC = 0x80000;
  static final int SOL_SOCKET = 1;
  static final int SO_RCVTIMEO = 20;
  static final int SO_BINDTODEVICE = 25;
  static final int SO_SNDBUFFORCE = 32;
  static final int SO_RCVBUFFORCE = 33;
  static final int IPPROTO_ICMP = 1;
  static final int IPPROTO_ICMPV6 = 58;
  static final int SOL_IP = 0; // the level of IP options, IPPROTO_IP
  static final int SOL_IPV6 = 41; // IPPROTO_IPV6
  static final int IP_TTL = 2; // <linux/in.h>
  static final int IP_RECVERR = 11;
  static final int IPV6_UNICAST_HOPS = 16; // <linux/in6.h>
  static final int IPV6_RECVERR = 25;
  static final int MSG_DONTWAIT = 0x40;
  static final int MSG_ERRQUEUE = 0x2000;

  // <fcntl.h>, <poll.h>
  static final int O_RDWR = 2;
  static final int O_NONBLOCK = 0x800;
  static final int O_CLOEXEC = 0x80000;
  static final int F_GETFL = 3;
  static final int F_SETFL = 4;
  static final short POLLIN = 0x1;

  // <linux/sockios.h>, <linux/if.h>: interface ioctls, all taking a struct ifreq
  static final long SIOCGIFFLAGS = 0x8913;
  static final long SIOCSIFFLAGS = 0x8914;
  static final long SIOCSIFADDR = 0x8916;
  static final long SIOCSIFNETMASK = 0x891c;
  static final long SIOCGIFMTU = 0x8921;
  static final long SIOCSIFMTU = 0x8922;
  static final short IFF_UP = 0x1;

  // <linux/if_tun.h>: TUNSETIFF is _IOW('T', 202, int)
  static final long TUNSETIFF = 0x400454caL;
  static final short IFF_TUN = 0x0001;
  static final short IFF_NO_PI = 0x1000;
  static final short IFF_VNET_HDR = 0x4000;

  static {
    String os = System.getProperty("os.name");
    String arch = System.getProperty("os.arch");
    if (!os.equals("Linux") || !(arch.equals("amd64") || arch.equals("aarch64"))) {
      throw new UnsupportedOperationException("dev.gatehouse.core.linux knows the ABI of"
          + " Linux on x86_64 and aarch64 only, not of " + os + " on " + arch);
    }
  }

  private static final Linker LINKER = Linker.nativeLinker();
  private static final StructLayout CALL_STATE_LAYOUT = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO =
      CALL_STATE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
  private static final ThreadLocal<MemorySegment> CALL_STATE =
      ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE_LAYOUT));

  private static final MethodHandle SOCKET =
      bind("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
  private static final MethodHandle BIND =
      bind("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
  private static final MethodHandle SETSOCKOPT = bind("setsockopt",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
  private static final MethodHandle GETSOCKNAME =
      bind("getsockname", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
  private static final MethodHandle READ =
      bind("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
  private static final MethodHandle WRITE =
      bind("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
  // The data calls again, with the buffer as a raw address: on LP64 a pointer is passed
  // exactly as a long. Wrapping a ByteBuffer in a MemorySegment for each call would
  // allocate (the JIT does not remove it), and ByteBuffers are the data path's currency.
  private static final MethodHandle READ_AT =
      bind("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));
  private static final MethodHandle WRITE_AT =
      bind("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));
  private static final MethodHandle SENDTO_AT = bind("sendto", FunctionDescriptor.of(
      JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
  private static final MethodHandle RECVFROM_AT = bind("recvfrom", FunctionDescriptor.of(
      JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
  private static final MethodHandle RECVMSG =
      bind("recvmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
  private static final MethodHandle POLL =
      bind("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
  private static final MethodHandle CLOSE =
      bind("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
  // open, fcntl and ioctl are variadic in C: their third argument is passed as one.
  private static final MethodHandle OPEN = bind("open",
      FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), 2);
  private static final MethodHandle FCNTL = bind("fcntl",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), 2);
  private static final MethodHandle IOCTL = bind("ioctl",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), 2);
  private static final MethodHandle STRERROR =
      downcall("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));

  private Libc() {}

  static int socket(int domain, int type, int protocol) {
    MemorySegment state = CALL_STATE.get();
    try {
      return orErrno((int) SOCKET.invokeExact(state, domain, type, protocol), state);
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  static int bind(int fd, MemorySegment address, int addressLength) {
    MemorySegment state = CALL_STATE.get();
    try {
      return orErrno((int) BIND.invokeExact(state, fd, address, addressLength), state);
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  static int setsockopt(int fd, int level, int name, MemorySegment value, int valueLength) {
    MemorySegment state = CALL_STATE.get();
    try {
      return orErrno(
          (int) SETSOCKOPT.invokeExact(state, fd, level, name, value, valueLength), state);
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  static int getsockname(int fd, MemorySegment address, MemorySegment addressLength) {
    MemorySegment state = CALL_STATE.get();
    try {
      return orErrno((int) GETSOCKNAME.invokeExact(state, fd, address, addressLength), state);
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  static long read(int fd, MemorySegment data, long length) {
    MemorySegment state = CALL_STATE.get();
    try {
      long result;
      do {
        result = orErrno((long) READ.invokeExact(state, fd, data, length), state);
      } while (result == -EINTR);
      return result;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  static long write(int fd, MemorySegment data, long length) {
    MemorySegment state = CALL_STATE.get();
    try {
      long result;
      do {
        result = orErrno((long) WRITE.invokeExact(state, fd, data, length), state);
      } while (result == -EINTR);
      return result;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  /**
   * read(2) into the native memory at {@code address}. The caller keeps that memory
   * reachable until the call returns (Reference.reachabilityFence): nothing else does.
   */
  static long readAt(int fd, long address, long length) {
    MemorySegment state = CALL_STATE.get();
    try {
      long result;
      do {
        result = orErrno((long) READ_AT.invokeExact(state, fd, address, length), state);
      } while (result == -EINTR);
      return result;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  /** write(2) from the native memory at {@code address}; reachability as for readAt. */
  static long writeAt(int fd, long address, long length) {
    MemorySegment state = CALL_STATE.get();
    try {
      long result;
      do {
        result = orErrno((long) WRITE_AT.invokeExact(state, fd, address, length), state);
      } while (result == -EINTR);
      return result;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  /** sendto(2) from the native memory at {@code address}; reachability as for readAt. */
  static long sendtoAt(
      int fd, long address, long length, MemorySegment sockaddr, int sockaddrLength) {
    MemorySegment state = CALL_STATE.get();
    try {
      long result;
      do {
        result = orErrno((long) SENDTO_AT.invokeExact(
            state, fd, address, length, 0, sockaddr, sockaddrLength), state);
      } while (result == -EINTR);
      return result;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  /** recvfrom(2) into the native memory at {@code address}; reachability as for readAt. */
  static long recvfromAt(
      int fd, long address, long length, MemorySegment sockaddr, MemorySegment sockaddrLength) {
    MemorySegment state = CALL_STATE.get();
    try {
      long result;
      do {
        result = orErrno((long) RECVFROM_AT.invokeExact(
            state, fd, address, length, 0, sockaddr, sockaddrLength), state);
      } while (result == -EINTR);
      return result;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  /** recvmsg(2) with {@code message}, a {@code struct msghdr}, and {@code flags}. */
  static long recvmsg(int fd, MemorySegment message, int flags) {
    MemorySegment state = CALL_STATE.get();
    try {
      long result;
      do {
        result = orErrno((long) RECVMSG.invokeExact(state, fd, message, flags), state);
      } while (result == -EINTR);
      return result;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  static int poll(MemorySegment pollFds, long count, int timeoutMillis) {
    MemorySegment state = CALL_STATE.get();
    try {
      int result;
      do {
        result = orErrno((int) POLL.invokeExact(state, pollFds, count, timeoutMillis), state);
      } while (result == -EINTR);
      return result;
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  static int close(int fd) {
    MemorySegment state = CALL_STATE.get();
    try {
      return orErrno((int) CLOSE.invokeExact(state, fd), state);
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  static int open(MemorySegment path, int flags) {
    MemorySegment state = CALL_STATE.get();
    try {
      return orErrno((int) OPEN.invokeExact(state, path, flags, 0), state);
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  static int fcntl(int fd, int command, int argument) {
    MemorySegment state = CALL_STATE.get();
    try {
      return orErrno((int) FCNTL.invokeExact(state, fd, command, argument), state);
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  static int ioctl(int fd, long request, MemorySegment argument) {
    MemorySegment state = CALL_STATE.get();
    try {
      return orErrno((int) IOCTL.invokeExact(state, fd, request, argument), state);
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  /** The C library's description of an errno value, e.g. "Permission denied". */
  @SuppressWarnings("restricted") // strerror returns a pointer of unknown size to a C string
  static String strerror(int errno) {
    try {
      MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
      return text.reinterpret(Long.MAX_VALUE).getString(0);
    } catch (Throwable t) {
      throw unexpected(t);
    }
  }

  private static int orErrno(int result, MemorySegment state) {
    return result >= 0 ? result : -(int) ERRNO.get(state, 0L);
  }

  private static long orErrno(long result, MemorySegment state) {
    return result >= 0 ? result : -(int) ERRNO.get(state, 0L);
  }

  private static MethodHandle bind(String name, FunctionDescriptor descriptor) {
    return downcall(name, descriptor, Linker.Option.captureCallState("errno"));
  }

  private static MethodHandle bind(String name, FunctionDescriptor descriptor, int firstVariadic) {
    return downcall(name, descriptor,
        Linker.Option.captureCallState("errno"), Linker.Option.firstVariadicArg(firstVariadic));
  }

  @SuppressWarnings("restricted") // binding a C function is what this package is for
  private static MethodHandle downcall(
      String name, FunctionDescriptor descriptor, Linker.Option... options) {
    return LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow(name), descriptor, options);
  }

  private static RuntimeException unexpected(Throwable t) {
    if (t instanceof RuntimeException e) {
      return e;
    }
    if (t instanceof Error e) {
      throw e;
    }
    // invokeExact declares Throwable; a C function cannot throw a checked exception.
    return new IllegalStateException("native call threw " + t, t);
  }
}
