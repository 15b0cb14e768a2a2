package dev.gatehouse.core.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Runs a test body on a thread of its own that Linux treats apart: in a fresh network
 * namespace, or without one capability. Linux keeps both per thread, so the rest of the
 * JVM (and every other test on the machine) keeps its namespace and capabilities.
 *
 * <p>A fresh namespace is what makes these tests safe to run next to others: its loopback,
 * its TUN devices and its {@code net.ipv4.ping_group_range} are its own, and it disappears
 * when the thread ends and the last descriptor in it is closed.
 */
public final class IsolatedThreads {

  static final int CAP_NET_ADMIN = 12; // <linux/capability.h>
  static final int CAP_NET_RAW = 13;

  private static final int CLONE_NEWNET = 0x40000000; // <linux/sched.h>
  private static final int LINUX_CAPABILITY_VERSION_3 = 0x20080522;
  private static final long BODY_TIMEOUT_SECONDS = 60;

  private static final Linker LINKER = Linker.nativeLinker();
  private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO =
      CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
  private static final MethodHandle UNSHARE =
      downcall("unshare", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
  private static final MethodHandle CAPGET =
      downcall("capget", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
  private static final MethodHandle CAPSET =
      downcall("capset", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));

  private IsolatedThreads() {}

  /** Runs {@code body} in a new network namespace whose loopback is up. */
  public static <T> T inFreshNetworkNamespace(Callable<T> body) throws Exception {
    return onOwnThread(() -> {
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment state = arena.allocate(CALL_STATE);
        int result = (int) UNSHARE.invokeExact(state, CLONE_NEWNET);
        if (result != 0) {
          throw new NativeException("unshare(CLONE_NEWNET)", (int) ERRNO.get(state, 0L), "");
        }
      }
      LinkControl.bringUp("lo");
      return body.call();
    });
  }

  /** Runs {@code body} with {@code capability} dropped from the effective set. */
  static <T> T withoutCapability(int capability, Callable<T> body) throws Exception {
    return onOwnThread(() -> {
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment state = arena.allocate(CALL_STATE);
        // struct __user_cap_header_struct { u32 version; int pid; } with pid 0: this thread
        MemorySegment header = arena.allocate(8);
        header.set(JAVA_INT, 0, LINUX_CAPABILITY_VERSION_3);
        // two struct __user_cap_data_struct { u32 effective, permitted, inheritable; }
        MemorySegment data = arena.allocate(24);
        check((int) CAPGET.invokeExact(state, header, data), state, "capget");
        long effectiveOffset = capability < 32 ? 0 : 12;
        int effective = data.get(JAVA_INT, effectiveOffset);
        data.set(JAVA_INT, effectiveOffset, effective & ~(1 << (capability % 32)));
        check((int) CAPSET.invokeExact(state, header, data), state, "capset");
      }
      return body.call();
    });
  }

  private static void check(int result, MemorySegment state, String call)
      throws NativeException {
    if (result != 0) {
      throw new NativeException(call, (int) ERRNO.get(state, 0L), "");
    }
  }

  /** A body that may throw what a method handle invocation declares. */
  private interface ThreadBody<T> {
    T run() throws Throwable;
  }

  private static <T> T onOwnThread(ThreadBody<T> body) throws Exception {
    CompletableFuture<T> outcome = new CompletableFuture<>();
    Thread thread = Thread.ofPlatform().daemon().name("isolated-test").start(() -> {
      try {
        outcome.complete(body.run());
      } catch (Throwable t) {
        outcome.completeExceptionally(t);
      }
    });
    try {
      return outcome.get(BODY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception cause) {
        throw cause;
      }
      throw (Error) e.getCause();
    } finally {
      thread.join(TimeUnit.SECONDS.toMillis(1));
    }
  }

  @SuppressWarnings("restricted") // the test's own C calls, as in Libc
  private static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
    return LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow(name), descriptor,
        Linker.Option.captureCallState("errno"));
  }
}
