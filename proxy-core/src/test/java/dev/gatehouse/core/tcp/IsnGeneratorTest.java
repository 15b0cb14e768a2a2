package dev.gatehouse.core.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class IsnGeneratorTest {

  @Test
  void computesSipHash24AsTheReferenceVectorSays() {
    // SipHash reference vectors_sip64[40]: key 00..0f, message 00 01 .. 27 (40 bytes)
    long k0 = 0x0706050403020100L;
    long k1 = 0x0F0E0D0C0B0A0908L;
    long hash = IsnGenerator.sipHash24(k0, k1, 0x0706050403020100L, 0x0F0E0D0C0B0A0908L,
        0x1716151413121110L, 0x1F1E1D1C1B1A1918L, 0x2726252423222120L);
    assertEquals(0x0E3EA96B5304A7D0L, hash);
  }

  @Test
  void advancesOneEveryFourMicrosecondsForTheSameTuple() {
    IsnGenerator generator = new IsnGenerator(new Random(1));
    int first = generator.isn(0, 0xC6120001L, 443, 0, 0xC6120002L, 40000, 1_000_000);
    int later = generator.isn(0, 0xC6120001L, 443, 0, 0xC6120002L, 40000, 1_000_000 + 4_000 * 7);
    assertEquals(7, later - first);
  }

  @Test
  void differsBetweenTuplesAndBetweenKeys() {
    IsnGenerator generator = new IsnGenerator(new Random(1));
    int isn = generator.isn(0, 0xC6120001L, 443, 0, 0xC6120002L, 40000, 0);
    assertNotEquals(isn, generator.isn(0, 0xC6120001L, 443, 0, 0xC6120002L, 40001, 0));
    assertNotEquals(isn, generator.isn(0, 0xC6120001L, 443, 0, 0xC6120003L, 40000, 0));
    assertNotEquals(isn,
        new IsnGenerator(new Random(2)).isn(0, 0xC6120001L, 443, 0, 0xC6120002L, 40000, 0));
  }
}
