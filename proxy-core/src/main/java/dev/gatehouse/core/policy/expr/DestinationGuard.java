package dev.gatehouse.core.policy.expr;

import dev.gatehouse.core.config.IpPrefix;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.IntConsumer;

/**
 * What an expression needs of a flow's destination before it can match: the destination
 * address within some prefixes, the destination port within some ranges, or either
 * unconstrained. It is a superset: every flow the expression matches, or cannot decide on
 * its first packet, passes the guard; many flows that pass it still do not match. The policy
 * index files each rule under its guard, so that a packet is evaluated only against the
 * rules that could concern it.
 *
 * <p>Derived from the tree: a comparison {@code net.dst.ip in {...}} or {@code net.dst.port
 * ...} narrows, {@code and} keeps the narrowest operand, {@code or} keeps what all operands
 * narrow (their union), and {@code not} narrows nothing.
 */
public final class DestinationGuard {

  /** No constraint on the destination. */
  public static final DestinationGuard ANY = new DestinationGuard(null, null);

  private final List<IpPrefix> prefixes;
  private final IntRanges ports;

  private DestinationGuard(List<IpPrefix> prefixes, IntRanges ports) {
    this.prefixes = prefixes;
    this.ports = ports;
  }

  static DestinationGuard addresses(List<IpPrefix> prefixes) {
    return new DestinationGuard(List.copyOf(prefixes), null);
  }

  static DestinationGuard ports(IntRanges ports) {
    return new DestinationGuard(null, Objects.requireNonNull(ports));
  }

  /** Whether the destination address must lie in {@link #addressPrefixes()}. */
  public boolean constrainsAddress() {
    return prefixes != null;
  }

  /** The prefixes, of either family, that the destination address must lie in. */
  public List<IpPrefix> addressPrefixes() {
    if (prefixes == null) {
      throw new IllegalStateException("the guard does not constrain the address");
    }
    return prefixes;
  }

  /** Whether the destination port must be one of {@link #forEachPort}'s values. */
  public boolean constrainsPort() {
    return ports != null;
  }

  /** How many destination ports pass; meaningful when {@link #constrainsPort()}. */
  public long portCount() {
    return ports == null ? 65_536 : ports.valueCount();
  }

  /** Hands each destination port that passes to {@code action}, in ascending order. */
  public void forEachPort(IntConsumer action) {
    if (ports == null) {
      throw new IllegalStateException("the guard does not constrain the port");
    }
    ports.forEach(value -> action.accept((int) value));
  }

  /** For {@code and}: both guards hold, so each dimension keeps the narrower constraint. */
  DestinationGuard narrowest(DestinationGuard other) {
    List<IpPrefix> address = prefixes == null ? other.prefixes
        : other.prefixes == null || prefixes.size() <= other.prefixes.size() ? prefixes : other.prefixes;
    IntRanges port = ports == null ? other.ports
        : other.ports == null || ports.valueCount() <= other.ports.valueCount() ? ports : other.ports;
    return address == prefixes && port == ports ? this : new DestinationGuard(address, port);
  }

  /** For {@code or}: either guard may hold, so a dimension stays constrained only in both. */
  DestinationGuard union(DestinationGuard other) {
    List<IpPrefix> address = null;
    if (prefixes != null && other.prefixes != null) {
      address = new ArrayList<>(prefixes);
      address.addAll(other.prefixes);
      address = List.copyOf(address);
    }
    IntRanges port = ports != null && other.ports != null ? ports.union(other.ports) : null;
    return address == null && port == null ? ANY : new DestinationGuard(address, port);
  }
}
