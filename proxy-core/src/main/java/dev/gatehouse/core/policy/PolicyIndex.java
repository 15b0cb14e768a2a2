package dev.gatehouse.core.policy;

import dev.gatehouse.core.config.IpPrefix;
import dev.gatehouse.core.policy.expr.DestinationGuard;
import io.netty.util.concurrent.FastThreadLocal;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Finds, for a flow's destination, the rules that could concern it, so that deciding costs
 * a few hash probes plus the evaluation of those rules rather than a scan of all of them.
 *
 * <p>Each rule is filed once, under its {@link DestinationGuard}: by destination prefix when
 * the guard narrows the address; else by destination port when it narrows the port to at
 * most {@link #MAX_INDEXED_PORTS} values; else in the list every flow is checked against.
 * A lookup probes one table per prefix length in use and returns the candidates in rule
 * order, which keeps first-match semantics.
 */
final class PolicyIndex {

  /** A port guard wider than this is cheaper to scan than to file under each port. Chosen. */
  static final int MAX_INDEXED_PORTS = 1024;

  private static final int PORTS = 65_536;

  /** Per-thread room for candidate ids; event loops decide concurrently. */
  private static final FastThreadLocal<int[][]> SCRATCH = new FastThreadLocal<>() {
    @Override
    protected int[][] initialValue() {
      return new int[][] {new int[64]};
    }
  };

  private final int[] v4Lengths;
  private final PrefixTable[] v4Tables;
  private final int[] v6Lengths;
  private final PrefixTable[] v6Tables;
  private final int[][] byPort;
  private final int[] scanned;

  PolicyIndex(List<DestinationGuard> guards) {
    Map<Integer, Map<Key, List<Integer>>> v4 = new TreeMap<>();
    Map<Integer, Map<Key, List<Integer>>> v6 = new TreeMap<>();
    List<List<Integer>> ports = null;
    List<Integer> scan = new ArrayList<>();
    for (int id = 0; id < guards.size(); id++) {
      DestinationGuard guard = guards.get(id);
      if (guard.constrainsAddress()) {
        for (IpPrefix prefix : guard.addressPrefixes()) {
          boolean isV4 = prefix.address() instanceof Inet4Address;
          Key key = Key.masked(prefix.address().getAddress(), prefix.length());
          (isV4 ? v4 : v6).computeIfAbsent(prefix.length(), l -> new LinkedHashMap<>())
              .computeIfAbsent(key, k -> new ArrayList<>()).add(id);
        }
      } else if (guard.constrainsPort() && guard.portCount() <= MAX_INDEXED_PORTS) {
        if (ports == null) {
          ports = new ArrayList<>(PORTS);
          for (int p = 0; p < PORTS; p++) {
            ports.add(null);
          }
        }
        List<List<Integer>> filed = ports;
        int rule = id;
        guard.forEachPort(port -> {
          if (filed.get(port) == null) {
            filed.set(port, new ArrayList<>());
          }
          filed.get(port).add(rule);
        });
      } else {
        scan.add(id);
      }
    }
    this.v4Lengths = lengths(v4);
    this.v4Tables = tables(v4);
    this.v6Lengths = lengths(v6);
    this.v6Tables = tables(v6);
    this.byPort = ports == null ? null : ports.stream().map(PolicyIndex::ids).toArray(int[][]::new);
    this.scanned = ids(scan);
  }

  /**
   * Writes the ids of the rules that could match a flow to {@code address} and {@code port}
   * into a per-thread array, ascending, and returns it; its first element is the count, the
   * ids follow. A port below 0 (ICMP) matches no port-filed rule.
   */
  int[] candidates(InetAddress address, int port) {
    int[][] holder = SCRATCH.get();
    int[] out = holder[0];
    int count = 0;
    int sources = 0; // each source is ascending: a single one needs no sort
    if (scanned.length > 0) {
      out = append(holder, out, count, scanned);
      count += scanned.length;
      sources++;
    }
    if (byPort != null && port >= 0 && port < PORTS && byPort[port] != null) {
      out = append(holder, out, count, byPort[port]);
      count += byPort[port].length;
      sources++;
    }
    if (address instanceof Inet4Address) {
      long value = Integer.toUnsignedLong(address.hashCode()); // Inet4Address: the address itself
      for (int i = 0; i < v4Lengths.length; i++) {
        int length = v4Lengths[i];
        long masked = length == 0 ? 0 : value & (0xffff_ffffL << (32 - length)) & 0xffff_ffffL;
        int[] ids = v4Tables[i].get(0, masked);
        if (ids != null) {
          out = append(holder, out, count, ids);
          count += ids.length;
          sources++;
        }
      }
    } else if (v6Lengths.length > 0) {
      byte[] bytes = address.getAddress();
      long hi = Key.readLong(bytes, 0);
      long lo = Key.readLong(bytes, 8);
      for (int i = 0; i < v6Lengths.length; i++) {
        int length = v6Lengths[i];
        long mHi = length >= 64 ? hi : hi & Key.mask(length);
        long mLo = length <= 64 ? 0 : lo & Key.mask(length - 64);
        int[] ids = v6Tables[i].get(mHi, mLo);
        if (ids != null) {
          out = append(holder, out, count, ids);
          count += ids.length;
          sources++;
        }
      }
    }
    if (sources > 1) {
      Arrays.sort(out, 1, count + 1);
    }
    out[0] = count;
    return out;
  }

  private static int[] append(int[][] holder, int[] out, int count, int[] ids) {
    if (count + ids.length + 1 > out.length) {
      out = Arrays.copyOf(out, Math.max(out.length * 2, count + ids.length + 1));
      holder[0] = out;
    }
    System.arraycopy(ids, 0, out, count + 1, ids.length);
    return out;
  }

  private static int[] lengths(Map<Integer, Map<Key, List<Integer>>> byLength) {
    return byLength.keySet().stream().mapToInt(Integer::intValue).toArray();
  }

  private static PrefixTable[] tables(Map<Integer, Map<Key, List<Integer>>> byLength) {
    List<PrefixTable> tables = new ArrayList<>();
    for (Map<Key, List<Integer>> filed : byLength.values()) {
      int count = filed.size();
      long[] hi = new long[count];
      long[] lo = new long[count];
      int[][] ids = new int[count][];
      int i = 0;
      for (Map.Entry<Key, List<Integer>> entry : filed.entrySet()) {
        hi[i] = entry.getKey().hi();
        lo[i] = entry.getKey().lo();
        ids[i] = ids(entry.getValue());
        i++;
      }
      tables.add(PrefixTable.of(hi, lo, ids, count));
    }
    return tables.toArray(PrefixTable[]::new);
  }

  private static int[] ids(List<Integer> list) {
    return list == null ? null : list.stream().mapToInt(Integer::intValue).toArray();
  }

  /** A masked address as two longs; IPv4 in the low 32 bits of {@code lo}. */
  private record Key(long hi, long lo) {

    static Key masked(byte[] address, int length) {
      if (address.length == 4) {
        long value = Integer.toUnsignedLong((address[0] & 0xff) << 24 | (address[1] & 0xff) << 16
            | (address[2] & 0xff) << 8 | address[3] & 0xff);
        return new Key(0, length == 0 ? 0 : value & (0xffff_ffffL << (32 - length)) & 0xffff_ffffL);
      }
      long hi = readLong(address, 0);
      long lo = readLong(address, 8);
      return new Key(length >= 64 ? hi : hi & mask(length), length <= 64 ? 0 : lo & mask(length - 64));
    }

    /** The top {@code bits} bits set, 0..64. */
    static long mask(int bits) {
      return bits == 0 ? 0 : -1L << (64 - bits);
    }

    static long readLong(byte[] bytes, int at) {
      long value = 0;
      for (int i = at; i < at + 8; i++) {
        value = value << 8 | (bytes[i] & 0xff);
      }
      return value;
    }
  }
}
