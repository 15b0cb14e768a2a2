package dev.gatehouse.testbed.bench;

import java.util.Optional;
import org.testcontainers.containers.GenericContainer;

/**
 * Containers that carry a benchmark's traffic from one site host to one origin host over
 * two routes: through the appliance and through a baseline relay. A {@link Benchmark} sees
 * only this; which containers stand behind it is the {@link Topology} it names.
 */
public interface RelayTopology extends AutoCloseable {
  /**
   * The site host where a benchmark's client runs for {@code route}: one host for both routes,
   * or, where a site's tunnel endpoint carries one tunnel only, one identical host per route.
   */
  GenericContainer<?> site(Route route);

  /** The address the site's client connects to for {@code route}; the ports are the origin's. */
  String target(Route route);

  /** The baseline with its version, for the report. */
  String baselineName();

  /** Why Gatehouse cannot be measured in this topology, if it cannot. */
  Optional<String> applianceFailure();

  /** Stops every container and removes the networks. */
  @Override
  void close();
}
