package dev.gatehouse.core.config;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.util.Optional;

/**
 * An address prefix ({@code 198.18.40.0/31}, {@code 2001:2::/48}). The address keeps the
 * host bits the user wrote, because an interface address such as {@code 198.18.40.1/31}
 * names both the address and its network.
 *
 * @param address the address as written
 * @param length the prefix length in bits
 */
public record IpPrefix(InetAddress address, int length) {

  public IpPrefix {
    int bits = address.getAddress().length * 8;
    if (length < 0 || length > bits) {
      throw new IllegalArgumentException("prefix length " + length + " outside 0.." + bits);
    }
  }

  /** Parses {@code ADDRESS/LENGTH}; anything else is empty. */
  public static Optional<IpPrefix> parse(String text) {
    int slash = text.indexOf('/');
    if (slash <= 0 || slash == text.length() - 1 || text.length() - slash > 4) {
      return Optional.empty();
    }
    InetAddress address = NetUtil.createInetAddressFromIpAddressString(text.substring(0, slash));
    String lengthText = text.substring(slash + 1);
    if (address == null || !lengthText.chars().allMatch(Character::isDigit)) {
      return Optional.empty();
    }
    int length = Integer.parseInt(lengthText);
    if (length > address.getAddress().length * 8) {
      return Optional.empty();
    }
    return Optional.of(new IpPrefix(address, length));
  }

  /** Whether {@code candidate} lies inside this prefix (same family only). */
  public boolean contains(InetAddress candidate) {
    byte[] net = address.getAddress();
    byte[] other = candidate.getAddress();
    if (net.length != other.length) {
      return false;
    }
    int full = length / 8;
    for (int i = 0; i < full; i++) {
      if (net[i] != other[i]) {
        return false;
      }
    }
    int rest = length % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xff << (8 - rest)) & 0xff;
    return (net[full] & mask) == (other[full] & mask);
  }

  @Override
  public String toString() {
    return NetUtil.toAddressString(address) + "/" + length;
  }
}
