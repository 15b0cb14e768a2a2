package dev.gatehouse.core.tunnel;

import dev.gatehouse.core.config.ConfigErrors;
import dev.gatehouse.core.config.ConfigMap;
import dev.gatehouse.core.config.SecretSource;
import java.util.Optional;

/**
 * An ingress implementation, found through {@link java.util.ServiceLoader} and selected by
 * the {@code type} of a configured tunnel. Each ingress module registers its providers in
 * {@code META-INF/services/dev.gatehouse.core.tunnel.TunnelProvider}.
 */
public interface TunnelProvider {

  /** The {@code type} this provider serves, such as {@code gre}; lower case, unique. */
  String type();

  /** The MTU a tunnel of this type gets when the configuration sets none. */
  int defaultMtuBytes();

  /**
   * Reads this type's own settings. The common keys ({@code name}, {@code type},
   * {@code mtu}, {@code site}, {@code virtual-network}) were read already; the provider
   * reads the rest from {@code settings} and must not call {@link ConfigMap#finish()}, which
   * the caller does to report keys nobody read.
   *
   * @return the plan, or empty when an error was recorded
   */
  Optional<TunnelPlan> plan(TunnelContext context, ConfigMap settings, SecretSource secrets, ConfigErrors errors);
}
