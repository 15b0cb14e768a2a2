package dev.gatehouse.core.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SeqNumTest {

  @Test
  void comparesAcrossTheWrapAt2To32() {
    int beforeWrap = 0xFFFF_FFF0;
    int afterWrap = 0x0000_0010;
    assertTrue(SeqNum.lt(beforeWrap, afterWrap));
    assertTrue(SeqNum.gt(afterWrap, beforeWrap));
    assertTrue(SeqNum.le(beforeWrap, beforeWrap));
    assertTrue(SeqNum.ge(afterWrap, afterWrap));
    assertFalse(SeqNum.lt(afterWrap, beforeWrap));
    assertEquals(0x20, afterWrap - beforeWrap);
  }

  @Test
  void ordersNumbersLessThanHalfTheSpaceApart() {
    assertTrue(SeqNum.lt(0, 0x7FFF_FFFF));
    assertFalse(SeqNum.lt(0, 0x8000_0001), "more than 2^31 ahead reads as behind");
    assertTrue(SeqNum.lt(0x8000_0000, 0x8000_0001), "the sign bit is no boundary");
  }

  @Test
  void testsWindowsThatWrap() {
    assertTrue(SeqNum.inWindow(0xFFFF_FFFF, 0xFFFF_FFF0, 0x10));
    assertTrue(SeqNum.inWindow(0x0, 0xFFFF_FFF0, 0x10));
    assertFalse(SeqNum.inWindow(0x10, 0xFFFF_FFF0, 0x10), "the high edge is outside");
    assertTrue(SeqNum.inWindow(0xFFFF_FFF0, 0xFFFF_FFF0, 0x10), "the low edge is inside");
    assertFalse(SeqNum.inWindow(5, 5, 5), "an empty window holds nothing");
  }

  @Test
  void picksTheLaterAndEarlierAcrossTheWrap() {
    assertEquals(0x5, SeqNum.max(0xFFFF_FFFB, 0x5));
    assertEquals(0xFFFF_FFFB, SeqNum.min(0xFFFF_FFFB, 0x5));
  }
}
