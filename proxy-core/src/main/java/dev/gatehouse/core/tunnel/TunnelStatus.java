package dev.gatehouse.core.tunnel;

import java.net.InetSocketAddress;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * What one tunnel shows an operator at one moment, as {@link Tunnel#status} reads it: who it
 * is, whether it runs, what it moved and dropped, its health when its type checks one, and
 * its peers. Immutable; the admin endpoint's {@code GET /tunnels} prints it, and metrics read
 * it.
 *
 * <p><b>Counters</b> are an ordered map of names to values, each name lower-case words joined
 * by {@code -}, in groups joined by {@code .} ({@link StatusCounters} builds them). Every
 * tunnel has {@code packets.in}, {@code bytes.in}, {@code packets.out} and {@code bytes.out}
 * ("in" toward the core, "out" away from it; what a packet is, the type says), then one
 * {@code drops.REASON} per reason its type drops for (its drop enum in lower-case kebab:
 * {@code IN_SOURCE_NOT_ALLOWED} is {@code drops.in-source-not-allowed}), each present even
 * while zero, then the type's own. A value only grows while the tunnel lives, and each is
 * read on its own: two values of one status need not be from the same instant.
 *
 * <p>Nothing secret is ever part of a status: no key, no preshared key, no password.
 *
 * @param name the tunnel's configured name
 * @param type its ingress type, as in the configuration ({@code wireguard}, {@code gre}, ...)
 * @param site the site it serves
 * @param running whether it was started and is not closed
 * @param counters its counters, in the order above
 * @param health its health, for types that check it; empty otherwise
 * @param peers its peers, in the order of the configuration; empty for types without
 */
public record TunnelStatus(String name, String type, String site, boolean running, Map<String, Long> counters,
    Optional<Health> health, List<Peer> peers) {

  /** Lower-case words joined by {@code -}, groups of them by {@code .}. */
  private static final Pattern COUNTER_NAME = Pattern.compile("[a-z0-9]+(-[a-z0-9]+)*(\\.[a-z0-9]+(-[a-z0-9]+)*)*");
  /** Lower-case words joined by {@code -}: {@code healthy}, {@code degraded}, {@code down}. */
  private static final Pattern STATE_WORD = Pattern.compile("[a-z]+(-[a-z]+)*");

  public TunnelStatus {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(site, "site");
    counters = orderedCopy(counters);
    Objects.requireNonNull(health, "health");
    peers = List.copyOf(peers);
  }

  /** A status of {@code context}'s tunnel. */
  public static TunnelStatus of(TunnelContext context, boolean running, Map<String, Long> counters,
      Optional<Health> health, List<Peer> peers) {
    return new TunnelStatus(context.name(), context.type(), context.site(), running, counters, health, peers);
  }

  /**
   * What a tunnel whose type reports nothing of itself shows: its name, type and site, as not
   * running, with no counters, health or peers. Every type this build ships reports more.
   */
  public static TunnelStatus identityOnly(TunnelContext context) {
    return of(context, false, Map.of(), Optional.empty(), List.of());
  }

  /**
   * One peer of a tunnel: a WireGuard peer, say.
   *
   * @param name its configured name, or what names it instead (the start of its public key)
   * @param endpoint where it was last heard from, or where it is configured to be; empty if neither
   * @param latestHandshakeEpochMillis when its latest handshake completed, in milliseconds since
   *     1970 UTC; empty if none did (or the type has no handshakes)
   * @param counters its counters, named as the tunnel's are
   */
  public record Peer(String name, Optional<InetSocketAddress> endpoint, OptionalLong latestHandshakeEpochMillis,
      Map<String, Long> counters) {

    public Peer {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(endpoint, "endpoint");
      Objects.requireNonNull(latestHandshakeEpochMillis, "latestHandshakeEpochMillis");
      counters = orderedCopy(counters);
    }
  }

  /**
   * A tunnel's health as its own checks judge it (GRE's probes toward the site, say).
   *
   * @param state one lower-case word, or words joined by {@code -}: the type's own states
   *     ({@code healthy}, {@code degraded}, {@code down})
   * @param sinceEpochMillis when the tunnel entered {@code state}, in milliseconds since 1970 UTC
   * @param history the states before, each with when it began, oldest first; at most
   *     {@link #HISTORY_LIMIT}, the latest kept when more are given
   */
  public record Health(String state, long sinceEpochMillis, List<HealthChange> history) {
    /** How many earlier states a health keeps. */
    public static final int HISTORY_LIMIT = 16;

    public Health {
      checkState(state);
      history = List.copyOf(history.subList(Math.max(0, history.size() - HISTORY_LIMIT), history.size()));
      long previous = Long.MIN_VALUE;
      for (HealthChange change : history) {
        if (change.sinceEpochMillis() < previous || change.sinceEpochMillis() > sinceEpochMillis) {
          throw new IllegalArgumentException("health history must run oldest first and end before the current"
              + " state's start, got " + change + " in " + history + " before " + sinceEpochMillis);
        }
        previous = change.sinceEpochMillis();
      }
    }
  }

  /**
   * One earlier state of a tunnel's health.
   *
   * @param state the state, as {@link Health#state} spells states
   * @param sinceEpochMillis when the tunnel entered it, in milliseconds since 1970 UTC
   */
  public record HealthChange(String state, long sinceEpochMillis) {
    public HealthChange {
      checkState(state);
    }
  }

  private static void checkState(String state) {
    Objects.requireNonNull(state, "state");
    if (!STATE_WORD.matcher(state).matches()) {
      throw new IllegalArgumentException("a health state is lower-case words joined by '-', got \"" + state + "\"");
    }
  }

  /** An unmodifiable copy that keeps the order, with every name checked. */
  private static Map<String, Long> orderedCopy(Map<String, Long> counters) {
    Map<String, Long> copy = new LinkedHashMap<>();
    counters.forEach((name, value) -> {
      if (!COUNTER_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("a counter name is lower-case words joined by '-' in groups joined by"
            + " '.', got \"" + name + "\"");
      }
      copy.put(name, Objects.requireNonNull(value, name));
    });
    return Collections.unmodifiableMap(copy);
  }
}
