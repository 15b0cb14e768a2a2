package dev.gatehouse.ingress.wireguard.routing;

import dev.gatehouse.core.config.IpPrefix;
import io.netty.buffer.ByteBuf;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The allowed-IPs table of one WireGuard interface: IPv4 and IPv6 prefixes, each owned by
 * one peer, searched by longest prefix match. This is the whitepaper's cryptokey routing
 * (§2): sending, the inner packet's destination picks the peer it is encrypted to;
 * receiving, a decrypted packet is accepted only when its inner source looks up to the
 * peer that sent it.
 *
 * <p>Rules the whitepaper sets and this table keeps:
 * <ul>
 *   <li>a prefix belongs to at most one peer: {@link #put} of a prefix another peer holds
 *       moves it to the new peer;
 *   <li>a prefix is a network: the bits past its length are ignored, so
 *       {@code 198.18.51.7/24} is stored and listed as {@code 198.18.51.0/24};
 *   <li>the longest matching prefix decides, so {@code 0.0.0.0/0} on one peer and a /32 on
 *       another send that one address to the second.
 * </ul>
 *
 * <p>Why a trie and not one hash table per prefix length (as the policy index does): a
 * lookup costs at most one step per stored prefix on the address's path, with no hashing
 * and no boxing of 128-bit keys, so it allocates nothing; and a path-compressed trie can be
 * updated by copying only the path it changes, which gives the data path lock-free reads
 * while a reload adds and removes peers. Each family has its own trie of 128-bit keys held
 * in two {@code long}s (an IPv4 address in the top 32 bits of the first); nodes sit only at
 * stored prefixes and at the points where two prefixes part, so every node without a peer
 * has two children.
 *
 * <p>Threads: lookups run on any thread without locking and see the table as it was after
 * some completed update; updates are serialised on the table. Nodes are never changed once
 * published: an update builds new nodes along its path and publishes a new root.
 *
 * @param <T> the peer; compared with {@link Object#equals}
 */
public final class AllowedIps<T> {
  static final int IPV4_BITS = 32;
  static final int IPV6_BITS = 128;
  private static final int IPV4_BYTES = 4;
  private static final int IPV6_BYTES = 16;

  private volatile Node<T> rootV4;
  private volatile Node<T> rootV6;
  private int size;

  /**
   * Gives {@code prefix} to {@code peer}, taking it from the peer that held it, if any.
   *
   * @return the peer that held exactly this prefix before, or {@code null}
   */
  public synchronized T put(IpPrefix prefix, T peer) {
    Objects.requireNonNull(peer, "peer");
    Key key = Key.of(prefix);
    T previous = exact(root(key.ipv4), key);
    setRoot(key.ipv4, insert(root(key.ipv4), key, peer));
    if (previous == null) {
      size++;
    }
    return previous;
  }

  /**
   * Removes exactly {@code prefix} (host bits ignored); a longer or shorter prefix that
   * contains or is contained in it stays.
   *
   * @return the peer that held it, or {@code null} when it was not in the table
   */
  public synchronized T remove(IpPrefix prefix) {
    Key key = Key.of(prefix);
    T previous = exact(root(key.ipv4), key);
    if (previous != null) {
      setRoot(key.ipv4, delete(root(key.ipv4), key));
      size--;
    }
    return previous;
  }

  /**
   * Removes every prefix {@code peer} holds, as when the peer leaves the configuration.
   *
   * @return how many prefixes were removed
   */
  public synchronized int removePeer(T peer) {
    int before = size;
    setRoot(true, prune(rootV4, peer));
    setRoot(false, prune(rootV6, peer));
    size = count(rootV4) + count(rootV6);
    return before - size;
  }

  /**
   * The peer whose prefix is the longest to contain the IPv4 address in the four bytes at
   * {@code offset} of {@code buffer} (an absolute index: the reader index is not used or
   * moved), or {@code null} when no prefix does. The caller has checked that the four bytes
   * are there. Allocates nothing.
   */
  public T lookupV4(ByteBuf buffer, int offset) {
    long high = (buffer.getInt(offset) & 0xFFFF_FFFFL) << IPV4_BITS;
    return longestMatch(rootV4, high, 0L);
  }

  /**
   * The peer whose prefix is the longest to contain the IPv6 address in the sixteen bytes at
   * {@code offset} of {@code buffer}, or {@code null}; as {@link #lookupV4}.
   */
  public T lookupV6(ByteBuf buffer, int offset) {
    return longestMatch(rootV6, buffer.getLong(offset), buffer.getLong(offset + Long.BYTES));
  }

  /** The peer for {@code address} by longest prefix match, or {@code null}; for the control plane. */
  public T lookup(InetAddress address) {
    Key key = Key.of(new IpPrefix(address, address.getAddress().length * Byte.SIZE));
    return longestMatch(root(key.ipv4), key.high, key.low);
  }

  /** The prefixes {@code peer} holds, as networks: IPv4 before IPv6, each in address order. */
  public List<IpPrefix> prefixesOf(T peer) {
    List<IpPrefix> out = new ArrayList<>();
    collect(rootV4, true, peer, out);
    collect(rootV6, false, peer, out);
    return out;
  }

  /** How many prefixes the table holds, over all peers and both families. */
  public synchronized int size() {
    return size;
  }

  /** The nodes of both tries, prefixes and branch points; for tests of the compaction. */
  int nodeCount() {
    return nodes(rootV4) + nodes(rootV6);
  }

  private Node<T> root(boolean ipv4) {
    return ipv4 ? rootV4 : rootV6;
  }

  private void setRoot(boolean ipv4, Node<T> root) {
    if (ipv4) {
      rootV4 = root;
    } else {
      rootV6 = root;
    }
  }

  private static <T> T longestMatch(Node<T> root, long high, long low) {
    T best = null;
    Node<T> node = root;
    while (node != null && node.covers(high, low)) {
      if (node.peer != null) {
        best = node.peer;
      }
      if (node.length == IPV6_BITS) {
        break;
      }
      node = bit(high, low, node.length) == 0 ? node.zero : node.one;
    }
    return best;
  }

  private static <T> T exact(Node<T> root, Key key) {
    Node<T> node = root;
    while (node != null && node.length <= key.length && node.covers(key.high, key.low)) {
      if (node.length == key.length) {
        return node.peer;
      }
      node = bit(key.high, key.low, node.length) == 0 ? node.zero : node.one;
    }
    return null;
  }

  /** The subtree {@code node} with {@code key} given to {@code peer}; nodes off the path are shared. */
  private static <T> Node<T> insert(Node<T> node, Key key, T peer) {
    if (node == null) {
      return new Node<>(key.high, key.low, key.length, peer, null, null);
    }
    int common = Math.min(commonBits(node.high, node.low, key.high, key.low),
        Math.min(node.length, key.length));

    if (common == node.length && common == key.length) {
      return new Node<>(node.high, node.low, node.length, peer, node.zero, node.one);
    }
    if (common == node.length) {
      return bit(key.high, key.low, node.length) == 0
          ? node.withChildren(insert(node.zero, key, peer), node.one)
          : node.withChildren(node.zero, insert(node.one, key, peer));
    }

    // the new prefix sits above node, or the two part at bit `common`
    if (common == key.length) {
      return bit(node.high, node.low, common) == 0
          ? new Node<>(key.high, key.low, key.length, peer, node, null)
          : new Node<>(key.high, key.low, key.length, peer, null, node);
    }
    Node<T> leaf = new Node<>(key.high, key.low, key.length, peer, null, null);
    long branchHigh = key.high & highMask(common);
    long branchLow = key.low & lowMask(common);
    return bit(key.high, key.low, common) == 0
        ? new Node<>(branchHigh, branchLow, common, null, leaf, node)
        : new Node<>(branchHigh, branchLow, common, null, node, leaf);
  }

  /** The subtree {@code node} without {@code key}, which it holds; compacted on the way back. */
  private static <T> Node<T> delete(Node<T> node, Key key) {
    if (node.length == key.length) {
      return compact(node.high, node.low, node.length, null, node.zero, node.one);
    }
    boolean zero = bit(key.high, key.low, node.length) == 0;
    Node<T> child = delete(zero ? node.zero : node.one, key);
    return zero
        ? compact(node.high, node.low, node.length, node.peer, child, node.one)
        : compact(node.high, node.low, node.length, node.peer, node.zero, child);
  }

  private static <T> Node<T> prune(Node<T> node, T peer) {
    if (node == null) {
      return null;
    }
    Node<T> zero = prune(node.zero, peer);
    Node<T> one = prune(node.one, peer);
    T kept = peer.equals(node.peer) ? null : node.peer;
    if (zero == node.zero && one == node.one && kept == node.peer) {
      return node;
    }
    return compact(node.high, node.low, node.length, kept, zero, one);
  }

  /** A node, unless it holds no peer: then its one child takes its place, or nothing does. */
  private static <T> Node<T> compact(long high, long low, int length, T peer, Node<T> zero, Node<T> one) {
    if (peer == null && (zero == null || one == null)) {
      return zero == null ? one : zero;
    }
    return new Node<>(high, low, length, peer, zero, one);
  }

  private static <T> void collect(Node<T> node, boolean ipv4, T peer, List<IpPrefix> out) {
    if (node == null) {
      return;
    }
    if (peer.equals(node.peer)) {
      out.add(node.toPrefix(ipv4));
    }
    collect(node.zero, ipv4, peer, out);
    collect(node.one, ipv4, peer, out);
  }

  private static int count(Node<?> node) {
    return node == null ? 0 : (node.peer == null ? 0 : 1) + count(node.zero) + count(node.one);
  }

  private static int nodes(Node<?> node) {
    return node == null ? 0 : 1 + nodes(node.zero) + nodes(node.one);
  }

  /** Bit {@code index} of a 128-bit key, counted from the most significant. */
  static int bit(long high, long low, int index) {
    return (int) (index < Long.SIZE
        ? high >>> (Long.SIZE - 1 - index)
        : low >>> (IPV6_BITS - 1 - index)) & 1;
  }

  static int commonBits(long high1, long low1, long high2, long low2) {
    long differ = high1 ^ high2;
    if (differ != 0) {
      return Long.numberOfLeadingZeros(differ);
    }
    return Long.SIZE + Long.numberOfLeadingZeros(low1 ^ low2);
  }

  static long highMask(int length) {
    return length == 0 ? 0L : length >= Long.SIZE ? -1L : -1L << (Long.SIZE - length);
  }

  static long lowMask(int length) {
    return length <= Long.SIZE ? 0L : length == IPV6_BITS ? -1L : -1L << (IPV6_BITS - length);
  }

  /** A prefix as a masked 128-bit key and its length. */
  private record Key(boolean ipv4, long high, long low, int length) {
    static Key of(IpPrefix prefix) {
      byte[] bytes = prefix.address().getAddress();
      long high = 0;
      long low = 0;
      for (int i = 0; i < bytes.length; i++) {
        long b = bytes[i] & 0xFFL;
        if (i < Long.BYTES) {
          high |= b << (Long.SIZE - Byte.SIZE * (i + 1));
        } else {
          low |= b << (Long.SIZE - Byte.SIZE * (i + 1 - Long.BYTES));
        }
      }
      int length = prefix.length();
      return new Key(bytes.length == IPV4_BYTES, high & highMask(length), low & lowMask(length), length);
    }
  }

  /**
   * One trie node: a prefix, its peer ({@code null} at a point where two prefixes part) and
   * the subtrees whose next bit is 0 and 1. Immutable, so readers need no lock.
   */
  private static final class Node<T> {
    final long high;
    final long low;
    final long highMask;
    final long lowMask;
    final int length;
    final T peer;
    final Node<T> zero;
    final Node<T> one;

    Node(long high, long low, int length, T peer, Node<T> zero, Node<T> one) {
      this.high = high;
      this.low = low;
      this.highMask = AllowedIps.highMask(length);
      this.lowMask = AllowedIps.lowMask(length);
      this.length = length;
      this.peer = peer;
      this.zero = zero;
      this.one = one;
    }

    Node<T> withChildren(Node<T> newZero, Node<T> newOne) {
      return new Node<>(high, low, length, peer, newZero, newOne);
    }

    /** Whether this node's prefix contains the 128-bit address. */
    boolean covers(long addressHigh, long addressLow) {
      return ((addressHigh ^ high) & highMask) == 0 && ((addressLow ^ low) & lowMask) == 0;
    }

    IpPrefix toPrefix(boolean ipv4) {
      byte[] bytes = new byte[ipv4 ? IPV4_BYTES : IPV6_BYTES];
      for (int i = 0; i < bytes.length; i++) {
        long word = i < Long.BYTES ? high : low;
        bytes[i] = (byte) (word >>> (Long.SIZE - Byte.SIZE * (i % Long.BYTES + 1)));
      }
      try {
        // Inet6Address keeps an IPv4-mapped address (::ffff:0:0/96) an IPv6 one.
        InetAddress address = ipv4
            ? InetAddress.getByAddress(bytes)
            : Inet6Address.getByAddress(null, bytes, -1);
        return new IpPrefix(address, length);
      } catch (UnknownHostException e) {
        throw new AssertionError("an address of " + bytes.length + " bytes is always valid", e);
      }
    }
  }
}
