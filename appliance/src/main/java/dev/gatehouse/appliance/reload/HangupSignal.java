package dev.gatehouse.appliance.reload;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an action when the process receives SIGHUP, the Unix convention for "re-read your
 * configuration".
 *
 * <p>The JDK's only handler API is {@code sun.misc.Signal} in module {@code jdk.unsupported}.
 * It is reached by reflection because javac warns on every direct use of it, a warning no
 * annotation silences, and the build refuses warnings; the runtime image must therefore list
 * {@code jdk.unsupported} itself ({@code scripts/build-image}), as jdeps cannot see this use.
 * The action runs on the JVM's signal dispatch thread and should only hand work off.
 */
public final class HangupSignal implements AutoCloseable {
  static final String SIGNAL_NAME = "HUP";

  private static final Logger LOG = LoggerFactory.getLogger(HangupSignal.class);

  private final Object signal;
  private final Method handle;
  private final Object previousHandler;

  private HangupSignal(Object signal, Method handle, Object previousHandler) {
    this.signal = signal;
    this.handle = handle;
    this.previousHandler = previousHandler;
  }

  /**
   * Installs {@code action} as the SIGHUP handler.
   *
   * @return the installed handler, or empty (with a WARN line) when this JVM cannot handle
   *     SIGHUP, for instance when started with {@code -Xrs} or without {@code jdk.unsupported}
   */
  public static Optional<HangupSignal> install(Runnable action) {
    Objects.requireNonNull(action, "action");
    try {
      Class<?> signalType = Class.forName("sun.misc.Signal");
      Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
      Object signal = signalType.getConstructor(String.class).newInstance(SIGNAL_NAME);
      Object handler = Proxy.newProxyInstance(HangupSignal.class.getClassLoader(), new Class<?>[] {handlerType},
          handler(action));
      Method handle = signalType.getMethod("handle", signalType, handlerType);
      Object previous = handle.invoke(null, signal, handler);
      return Optional.of(new HangupSignal(signal, handle, previous));
    } catch (InvocationTargetException e) {
      LOG.warn("event=sighup-unavailable reason=\"{}\"", e.getCause().toString());
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("event=sighup-unavailable reason=\"{}\"", e.toString());
    }
    return Optional.empty();
  }

  /** A {@code SignalHandler} whose one method runs {@code action}; Object's methods act on identity. */
  private static InvocationHandler handler(Runnable action) {
    return (proxy, method, args) -> switch (method.getName()) {
      case "handle" -> {
        try {
          action.run();
        } catch (RuntimeException e) {
          // thrown into the JVM's dispatch thread it would only print a stack trace
          LOG.warn("event=sighup-action-failed cause=\"{}\"", e.toString());
        }
        yield null;
      }
      case "equals" -> proxy == args[0];
      case "hashCode" -> System.identityHashCode(proxy);
      case "toString" -> "gatehouse SIGHUP handler";
      default -> throw new UnsupportedOperationException(method.getName());
    };
  }

  /** Puts back the handler that was installed before, so SIGHUP does what it did then. */
  @Override
  public void close() {
    try {
      handle.invoke(null, signal, previousHandler);
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.debug("event=sighup-restore-failed cause=\"{}\"", e.toString());
    }
  }
}
