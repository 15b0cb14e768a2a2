package dev.gatehouse.ingress.wireguard.config;

import dev.gatehouse.core.config.ConfigErrors;
import dev.gatehouse.core.config.ConfigNode;
import dev.gatehouse.core.config.IpPrefix;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;

/**
 * Refuses allowed IPs that two peers share, whole or nested. WireGuard itself would take
 * such a file (the later peer takes an identical prefix; a nested one wins by longest
 * match), and then the wider peer silently loses part of its range: its packets from there
 * fail the source check, and replies to there go to the other peer. The appliance's
 * configuration is meant to give each inner address to one peer, so it says so instead.
 * Prefixes nested within one peer are harmless and allowed.
 */
final class PeerOverlaps {

  /**
   * One allowed-IPs entry of one peer.
   *
   * @param peerIndex the peer's place in the list, which orders claims as the file does
   * @param peer how messages name the peer
   * @param prefix a network prefix, no host bits
   * @param node the entry, for its path and line
   */
  record Claim(int peerIndex, String peer, IpPrefix prefix, ConfigNode node) {
    byte[] network() {
      return prefix.address().getAddress();
    }

    boolean encloses(Claim other) {
      return network().length == other.network().length
          && prefix.length() <= other.prefix.length()
          && prefix.contains(other.prefix.address());
    }
  }

  /** Family, then network address, then the wider prefix first: an enclosing prefix sorts before. */
  private static final Comparator<Claim> ORDER = Comparator
      .comparingInt((Claim c) -> c.network().length)
      .thenComparing(Claim::network, Arrays::compareUnsigned)
      .thenComparingInt(c -> c.prefix().length());

  private PeerOverlaps() {}

  /**
   * Records one error for each prefix that another peer's prefix encloses or equals, at
   * whichever of the two comes later in the file.
   *
   * @return whether no two peers overlap
   */
  static boolean check(List<Claim> claims, ConfigErrors errors) {
    // Two prefixes either nest or do not meet. So in this order the stack is a chain, each
    // claim enclosing the one above it, and a top that does not enclose a claim encloses no
    // later claim either: it leaves the stack for good.
    List<Claim> sorted = claims.stream().sorted(ORDER).toList();
    Deque<Claim> enclosing = new ArrayDeque<>();
    boolean ok = true;
    for (Claim claim : sorted) {
      while (!enclosing.isEmpty() && !enclosing.peek().encloses(claim)) {
        enclosing.pop();
      }
      Claim other = innermostOfAnotherPeer(enclosing, claim);
      if (other != null) {
        report(claim, other, errors);
        ok = false;
      }
      enclosing.push(claim);
    }
    return ok;
  }

  private static Claim innermostOfAnotherPeer(Deque<Claim> enclosing, Claim claim) {
    for (Claim outer : enclosing) {
      if (outer.peerIndex() != claim.peerIndex()) {
        return outer;
      }
    }
    return null;
  }

  private static void report(Claim a, Claim b, ConfigErrors errors) {
    Claim later = a.peerIndex() > b.peerIndex() ? a : b;
    Claim earlier = later == a ? b : a;
    errors.add(later.node(), later.peer() + "'s " + later.prefix() + " overlaps " + earlier.peer()
        + "'s " + earlier.prefix() + " (line " + earlier.node().line() + "): an inner address must"
        + " belong to one peer only");
  }
}
