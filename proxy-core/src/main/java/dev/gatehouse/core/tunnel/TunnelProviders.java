package dev.gatehouse.core.tunnel;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The ingress implementations on the class path, by tunnel type. */
public final class TunnelProviders {
  private final Map<String, TunnelProvider> byType;

  private TunnelProviders(Map<String, TunnelProvider> byType) {
    this.byType = Collections.unmodifiableMap(byType);
  }

  /** Loads every provider the class loader can see. Two providers of one type are a build error. */
  public static TunnelProviders load(ClassLoader loader) {
    Map<String, TunnelProvider> byType = new TreeMap<>();
    for (TunnelProvider provider : ServiceLoader.load(TunnelProvider.class, loader)) {
      TunnelProvider previous = byType.putIfAbsent(provider.type(), provider);
      if (previous != null) {
        throw new IllegalStateException("tunnel type " + provider.type() + " is provided by both "
            + previous.getClass().getName() + " and " + provider.getClass().getName());
      }
    }
    return new TunnelProviders(byType);
  }

  public Optional<TunnelProvider> forType(String type) {
    return Optional.ofNullable(byType.get(type));
  }

  /** The types this build can terminate, sorted. */
  public java.util.Set<String> types() {
    return byType.keySet();
  }
}
