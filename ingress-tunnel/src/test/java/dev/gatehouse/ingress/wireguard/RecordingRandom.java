package dev.gatehouse.ingress.wireguard;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/** A seeded random source that remembers every byte array it filled (ephemerals among them). */
final class RecordingRandom implements RandomGenerator {
  private final SplittableRandom random;
  final List<byte[]> filled = new ArrayList<>();

  RecordingRandom(long seed) {
    this.random = new SplittableRandom(seed);
  }

  @Override
  public long nextLong() {
    return random.nextLong();
  }

  @Override
  public void nextBytes(byte[] bytes) {
    random.nextBytes(bytes);
    filled.add(bytes.clone());
  }

  /** The last 32-byte array filled, clamped as a private key. */
  byte[] lastPrivateKey() {
    for (int i = filled.size() - 1; i >= 0; i--) {
      if (filled.get(i).length == 32) {
        byte[] k = filled.get(i).clone();
        k[0] &= (byte) 248;
        k[31] &= 127;
        k[31] |= 64;
        return k;
      }
    }
    throw new AssertionError("no 32-byte array was drawn");
  }
}
