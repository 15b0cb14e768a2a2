package dev.gatehouse.core.tcp;

import java.security.SecureRandom;

/**
 * Initial sequence numbers as RFC 6528 §3 asks: ISN = M + F(localip, localport, remoteip,
 * remoteport, secretkey), where M is a clock ticking every 4 microseconds and F is
 * SipHash-2-4 (Aumasson and Bernstein, 2012) keyed with 128 random bits per instance.
 * Addresses are given as two longs each (an IPv4 address in the low 32 bits of the second).
 * Allocates nothing per call; stateless after construction, so safe to share.
 */
public final class IsnGenerator {

  /** RFC 6528 §3 (and RFC 9293 §3.4.1): M ticks every 4 microseconds. */
  private static final long CLOCK_TICK_NANOS = 4_000;
  private static final int MESSAGE_WORDS = 5;

  private final long k0;
  private final long k1;

  /** A generator with a fresh random key. */
  public IsnGenerator() {
    this(new SecureRandom());
  }

  /** A generator keyed from {@code random} (tests pass a seeded one). */
  public IsnGenerator(java.util.Random random) {
    this(random.nextLong(), random.nextLong());
  }

  IsnGenerator(long k0, long k1) {
    this.k0 = k0;
    this.k1 = k1;
  }

  /** The ISN for our side of a connection at {@code nowNanos}. */
  public int isn(long localHigh, long localLow, int localPort,
      long remoteHigh, long remoteLow, int remotePort, long nowNanos) {
    long ports = (long) (localPort & 0xFFFF) << 16 | (remotePort & 0xFFFF);
    long hash = sipHash24(k0, k1, localHigh, localLow, remoteHigh, remoteLow, ports);
    int clock = (int) (nowNanos / CLOCK_TICK_NANOS);
    return clock + (int) hash;
  }

  /** SipHash-2-4 of a 40-byte message given as five 64-bit little-endian words. */
  static long sipHash24(long k0, long k1, long w0, long w1, long w2, long w3, long w4) {
    long v0 = k0 ^ 0x736f6d6570736575L;
    long v1 = k1 ^ 0x646f72616e646f6dL;
    long v2 = k0 ^ 0x6c7967656e657261L;
    long v3 = k1 ^ 0x7465646279746573L;
    // six compressions (five words, then the length block with no tail bytes), then
    // finalization: 2 rounds per compression, 4 at the end
    for (int block = 0; block <= MESSAGE_WORDS; block++) {
      long m = switch (block) {
        case 0 -> w0;
        case 1 -> w1;
        case 2 -> w2;
        case 3 -> w3;
        case 4 -> w4;
        default -> (long) (MESSAGE_WORDS * Long.BYTES) << 56;
      };
      v3 ^= m;
      for (int round = 0; round < 2; round++) {
        v0 += v1; v1 = Long.rotateLeft(v1, 13) ^ v0; v0 = Long.rotateLeft(v0, 32);
        v2 += v3; v3 = Long.rotateLeft(v3, 16) ^ v2;
        v0 += v3; v3 = Long.rotateLeft(v3, 21) ^ v0;
        v2 += v1; v1 = Long.rotateLeft(v1, 17) ^ v2; v2 = Long.rotateLeft(v2, 32);
      }
      v0 ^= m;
    }
    v2 ^= 0xff;
    for (int round = 0; round < 4; round++) {
      v0 += v1; v1 = Long.rotateLeft(v1, 13) ^ v0; v0 = Long.rotateLeft(v0, 32);
      v2 += v3; v3 = Long.rotateLeft(v3, 16) ^ v2;
      v0 += v3; v3 = Long.rotateLeft(v3, 21) ^ v0;
      v2 += v1; v1 = Long.rotateLeft(v1, 17) ^ v2; v2 = Long.rotateLeft(v2, 32);
    }
    return v0 ^ v1 ^ v2 ^ v3;
  }
}
