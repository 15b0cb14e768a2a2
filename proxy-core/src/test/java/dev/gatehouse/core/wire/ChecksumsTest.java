package dev.gatehouse.core.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChecksumsTest {

  private static final int ROUNDS = 2_000;

  @Test
  void sumsTheRfc1071NumericalExample() {
    // RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2.
    ByteBuf buffer = Buffers.hex("0001f203f4f5f6f7");
    try {
      assertEquals(0xDDF2, Checksums.sum(buffer, 0, 8));
      assertEquals(0x220D, Checksums.checksum(buffer, 0, 8));
    } finally {
      buffer.release();
    }
  }

  @Test
  void padsAnOddLastByteWithZero() {
    ByteBuf buffer = Buffers.hex("0001f203f4");
    try {
      assertEquals(0x0001 + 0xF203 + 0xF400 - 0xFFFF, Checksums.sum(buffer, 0, 5));
    } finally {
      buffer.release();
    }
  }

  @Test
  void sumOfEvenSplitRangesEqualsSumOfWhole() {
    Random random = new Random(1071);
    for (int round = 0; round < ROUNDS; round++) {
      byte[] bytes = new byte[1 + random.nextInt(300)];
      random.nextBytes(bytes);
      int split = 2 * random.nextInt(bytes.length / 2 + 1);
      int whole = Buffers.with(bytes, buffer -> Checksums.sum(buffer, 0, bytes.length));
      int parts = Buffers.with(bytes, buffer -> Checksums.add(
          Checksums.sum(buffer, 0, split), Checksums.sum(buffer, split, bytes.length - split)));
      assertEquals(whole, parts, "split at " + split + " of " + bytes.length);
      assertEquals(naiveSum(bytes), whole);
    }
  }

  @Test
  void dataWithItsChecksumVerifiesAndAnyFlippedBitDoesNot() {
    Random random = new Random(791);
    for (int round = 0; round < ROUNDS; round++) {
      byte[] bytes = new byte[2 + 2 * random.nextInt(100)];
      random.nextBytes(bytes);
      bytes[0] = 0;
      bytes[1] = 0;
      Buffers.with(bytes, buffer -> {
        buffer.setShort(0, Checksums.checksum(buffer, 0, bytes.length));
        assertTrue(Checksums.verifies(buffer, 0, bytes.length, 0));
        int bit = random.nextInt(bytes.length * 8);
        buffer.setByte(bit / 8, buffer.getByte(bit / 8) ^ (1 << (bit % 8)));
        assertFalse(Checksums.verifies(buffer, 0, bytes.length, 0));
        return null;
      });
    }
  }

  @Test
  void allZeroDataWithZeroChecksumDoesNotVerify() {
    Buffers.with(new byte[20], buffer -> {
      assertFalse(Checksums.verifies(buffer, 0, 20, 0));
      assertEquals(0xFFFF, Checksums.checksum(buffer, 0, 20));
      return null;
    });
  }

  @Test
  void sumWithoutChecksumFieldIgnoresTheField() {
    Random random = new Random(9293);
    for (int round = 0; round < ROUNDS; round++) {
      byte[] bytes = new byte[4 + random.nextInt(100)];
      random.nextBytes(bytes);
      int field = 2 * random.nextInt((bytes.length - 2) / 2 + 1);
      byte[] zeroed = bytes.clone();
      zeroed[field] = 0;
      zeroed[field + 1] = 0;
      int expected = naiveSum(zeroed);
      int actual = Buffers.with(bytes,
          buffer -> Checksums.sumWithoutChecksumField(buffer, 0, bytes.length, field));
      assertEquals(expected, actual);
    }
  }

  @Test
  void ipv4PseudoHeaderSumMatchesItsTwelveBytes() {
    Random random = new Random(768);
    for (int round = 0; round < ROUNDS; round++) {
      int source = random.nextInt();
      int destination = random.nextInt();
      int protocol = random.nextInt(256);
      int length = random.nextInt(0x10000);
      byte[] pseudo = new byte[12];
      putInt(pseudo, 0, source);
      putInt(pseudo, 4, destination);
      pseudo[9] = (byte) protocol;
      pseudo[10] = (byte) (length >>> 8);
      pseudo[11] = (byte) length;
      assertEquals(naiveSum(pseudo),
          Checksums.ipv4PseudoHeaderSum(source, destination, protocol, length));
    }
  }

  @Test
  void ipv6PseudoHeaderSumMatchesItsFortyBytes() {
    Random random = new Random(8200);
    for (int round = 0; round < ROUNDS; round++) {
      byte[] addresses = new byte[32];
      random.nextBytes(addresses);
      int nextHeader = random.nextInt(256);
      long length = random.nextLong() & 0xFFFFFFFFL;
      byte[] pseudo = new byte[40];
      System.arraycopy(addresses, 0, pseudo, 0, 32);
      putInt(pseudo, 32, (int) length);
      pseudo[39] = (byte) nextHeader;
      int actual = Buffers.with(addresses,
          buffer -> Checksums.ipv6PseudoHeaderSum(buffer, 0, 16, nextHeader, length));
      assertEquals(naiveSum(pseudo), actual);
    }
  }

  @Test
  void incrementalUpdateOfTheRfc1624ExampleGivesZeroNotAllOnes() {
    // RFC 1624 §3: other fields sum to 0xCD7A, m = 0x5555 becomes m' = 0x3285. A full
    // recompute gives 0x0000; eqn. 2 would give 0xFFFF, eqn. 3 must not.
    int checksum = Checksums.complement(Checksums.add(0xCD7A, 0x5555));
    assertEquals(0xDD2F, checksum);
    assertEquals(0x0000, Checksums.update16(checksum, 0x5555, 0x3285));
  }

  @Test
  void incrementalUpdateOf16BitWordEqualsFullRecompute() {
    Random random = new Random(1624);
    for (int round = 0; round < 20 * ROUNDS; round++) {
      byte[] bytes = randomData(random);
      int word = 2 * random.nextInt(bytes.length / 2);
      int newWord = pickWord(random, bytes, word);
      assertIncrementalMatchesRecompute(bytes, word, 2, newWord, 0);
    }
  }

  @Test
  void incrementalUpdateOf32BitValueEqualsFullRecompute() {
    Random random = new Random(16240);
    for (int round = 0; round < 20 * ROUNDS; round++) {
      byte[] bytes = randomData(random);
      int field = 2 * random.nextInt(bytes.length / 2 - 1);
      int newValue = switch (random.nextInt(4)) {
        case 0 -> 0;
        case 1 -> -1;
        case 2 -> pickWord(random, bytes, field) << 16 | pickWord(random, bytes, field + 2);
        default -> random.nextInt();
      };
      assertIncrementalMatchesRecompute(bytes, field, 4, 0, newValue);
    }
  }

  /**
   * Data of even length whose words are often 0x0000 or 0xFFFF, the values around which
   * one's complement arithmetic has two zeros (RFC 1624 §3).
   */
  private static byte[] randomData(Random random) {
    byte[] bytes = new byte[4 + 2 * random.nextInt(30)];
    random.nextBytes(bytes);
    for (int i = 0; i < bytes.length; i += 2) {
      int choice = random.nextInt(6);
      if (choice == 0) {
        bytes[i] = 0;
        bytes[i + 1] = 0;
      } else if (choice == 1) {
        bytes[i] = (byte) 0xFF;
        bytes[i + 1] = (byte) 0xFF;
      }
    }
    return bytes;
  }

  /**
   * A new value for the word at {@code index}: often one that makes the data sum to 0xFFFF
   * (so the checksum is 0x0000), or 0x0000, or 0xFFFF.
   */
  private static int pickWord(Random random, byte[] bytes, int index) {
    return switch (random.nextInt(4)) {
      case 0 -> {
        byte[] others = bytes.clone();
        others[index] = 0;
        others[index + 1] = 0;
        yield ~naiveSum(others) & 0xFFFF;
      }
      case 1 -> 0x0000;
      case 2 -> 0xFFFF;
      default -> random.nextInt(0x10000);
    };
  }

  private static void assertIncrementalMatchesRecompute(
      byte[] bytes, int field, int fieldLength, int newWord, int newValue) {
    int oldChecksum = ~naiveSum(bytes) & 0xFFFF;
    byte[] changed = bytes.clone();
    int updated;
    if (fieldLength == 2) {
      int oldWord = (bytes[field] & 0xFF) << 8 | bytes[field + 1] & 0xFF;
      changed[field] = (byte) (newWord >>> 8);
      changed[field + 1] = (byte) newWord;
      updated = Checksums.update16(oldChecksum, oldWord, newWord);
    } else {
      int oldValue = getInt(bytes, field);
      putInt(changed, field, newValue);
      updated = Checksums.update32(oldChecksum, oldValue, newValue);
    }
    if (naiveSum(changed) == 0) {
      // All-zero data, the one case where one's complement's two zeros part: a full
      // recompute sums to +0 and gives 0xFFFF, eqn. 3 reaches -0 and gives 0x0000. Of the
      // checksums the views keep, only an ICMPv4 Echo Reply with zero identifier, sequence
      // number and data can cover all-zero bytes.
      assertEquals(0x0000, updated);
    } else {
      assertEquals(~naiveSum(changed) & 0xFFFF, updated,
          () -> "field at " + field + " of " + bytes.length + " bytes");
    }
  }

  /** The RFC 1071 sum the slow, obvious way, as a reference. */
  static int naiveSum(byte[] bytes) {
    long sum = 0;
    for (int i = 0; i < bytes.length; i += 2) {
      int high = bytes[i] & 0xFF;
      int low = i + 1 < bytes.length ? bytes[i + 1] & 0xFF : 0;
      sum += high << 8 | low;
      sum = (sum & 0xFFFF) + (sum >>> 16);
    }
    return (int) sum;
  }

  private static void putInt(byte[] bytes, int index, int value) {
    bytes[index] = (byte) (value >>> 24);
    bytes[index + 1] = (byte) (value >>> 16);
    bytes[index + 2] = (byte) (value >>> 8);
    bytes[index + 3] = (byte) value;
  }

  private static int getInt(byte[] bytes, int index) {
    return (bytes[index] & 0xFF) << 24 | (bytes[index + 1] & 0xFF) << 16
        | (bytes[index + 2] & 0xFF) << 8 | bytes[index + 3] & 0xFF;
  }
}
