package dev.gatehouse.ingress.wireguard;

import static dev.gatehouse.ingress.wireguard.DevicePair.A_ENDPOINT;
import static dev.gatehouse.ingress.wireguard.DevicePair.packet;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.ingress.wireguard.wire.MessageType;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The engine's behaviour between two devices, by concern. */
class DeviceBehaviourTest {

  private final DevicePair pair = new DevicePair(11, null);

  @Nested
  class Handshake {
    @Test
    void completesAndCarriesThePacketThatStartedIt() {
      pair.handshake();
      assertEquals(1, pair.bOut.delivered.size());
      assertArrayEquals(packet(40), Arrays.copyOf(pair.bOut.delivered.getFirst().bytes(), 40));
      assertEquals(pair.aAtB, pair.bOut.delivered.getFirst().peer());
      assertTrue(pair.bAtA.hasSession(pair.now));
      assertTrue(pair.aAtB.hasSession(pair.now));
      assertEquals(A_ENDPOINT, pair.aAtB.endpoint());
    }

    @Test
    void dropsAReplayedInitiationAsStaleAndAnswersNothing() {
      pair.a.send(pair.bAtA, Unpooled.wrappedBuffer(packet(40)), pair.now);
      byte[] initiation = pair.aOut.take().bytes();
      assertEquals(ReceiveResult.HANDSHAKE_ANSWERED, pair.toB(initiation));
      pair.bOut.sent.clear();
      assertEquals(ReceiveResult.DROPPED, pair.toB(initiation));
      assertEquals(1, pair.aAtB.counters().drops(WireGuardDropReason.STALE_TIMESTAMP));
      assertTrue(pair.bOut.sent.isEmpty());
    }

    @Test
    void answersNothingToAnUnknownStaticKey() {
      DevicePair stranger = new DevicePair(12, null);
      // the stranger knows B's public key but B does not know the stranger
      WireGuardPeer bAtStranger = stranger.a.addPeer(pair.b.publicKey(), null,
          DevicePair.B_ENDPOINT, 0);
      stranger.a.send(bAtStranger, Unpooled.wrappedBuffer(packet(40)), pair.now);
      assertEquals(ReceiveResult.DROPPED, pair.toB(stranger.aOut.take().bytes()));
      assertEquals(1, pair.b.counters().drops(WireGuardDropReason.UNKNOWN_PEER));
      assertTrue(pair.bOut.sent.isEmpty());
    }

    @Test
    void dropsBadMac1BeforeAnythingElse() {
      pair.a.send(pair.bAtA, Unpooled.wrappedBuffer(packet(40)), pair.now);
      byte[] initiation = pair.aOut.take().bytes();
      initiation[120] ^= 1;
      assertEquals(ReceiveResult.DROPPED, pair.toB(initiation));
      assertEquals(1, pair.b.counters().drops(WireGuardDropReason.BAD_MAC1));
      assertTrue(pair.bOut.sent.isEmpty());
      assertNull(pair.aAtB.endpoint());
    }

    @Test
    void dropsATamperedResponseAndKeepsWaitingForTheRealOne() {
      pair.a.send(pair.bAtA, Unpooled.wrappedBuffer(packet(40)), pair.now);
      pair.aToB();
      byte[] response = pair.bOut.take().bytes();
      byte[] forged = response.clone();
      forged[50] ^= 1;
      // recompute nothing: mac1 now fails, so the forgery is dropped before any DH
      assertEquals(ReceiveResult.DROPPED, pair.toA(forged));
      assertEquals(ReceiveResult.HANDSHAKE_COMPLETED, pair.toA(response));
    }

    @Test
    void dropsMalformedDatagramsWithTheirReason() {
      assertEquals(ReceiveResult.DROPPED, pair.toB(new byte[0]));
      assertEquals(ReceiveResult.DROPPED, pair.toB(new byte[] {9, 0, 0, 0}));
      assertEquals(ReceiveResult.DROPPED, pair.toB(new byte[147]));
      byte[] shortInit = new byte[100];
      shortInit[0] = 1;
      assertEquals(ReceiveResult.DROPPED, pair.toB(shortInit));
      byte[] reserved = new byte[148];
      reserved[0] = 1;
      reserved[2] = 1;
      assertEquals(ReceiveResult.DROPPED, pair.toB(reserved));
      byte[] data = new byte[32];
      data[0] = 4;
      assertEquals(ReceiveResult.DROPPED, pair.toB(data));
      WireGuardCounters c = pair.b.counters();
      assertEquals(2, c.drops(WireGuardDropReason.BAD_LENGTH));
      assertEquals(2, c.drops(WireGuardDropReason.BAD_TYPE));
      assertEquals(1, c.drops(WireGuardDropReason.BAD_RESERVED));
      assertEquals(1, c.drops(WireGuardDropReason.UNKNOWN_INDEX));
      assertTrue(pair.bOut.sent.isEmpty());
    }

    @Test
    void survivesRandomGarbageOfEveryType() {
      SplittableRandom random = new SplittableRandom(3);
      for (int i = 0; i < 2000; i++) {
        byte[] junk = new byte[random.nextInt(0, 200)];
        random.nextBytes(junk);
        if (junk.length > 0) {
          junk[0] = (byte) random.nextInt(0, 6);
        }
        if (junk.length > 3 && random.nextBoolean()) {
          junk[1] = junk[2] = junk[3] = 0;
        }
        assertEquals(ReceiveResult.DROPPED, pair.toB(junk));
      }
      assertTrue(pair.bOut.sent.isEmpty());
      assertEquals(2000, pair.b.counters().totalDrops());
    }
  }

  @Nested
  class Cookies {
    @Test
    void underLoadAnswersWithACookieAndAcceptsTheRetryWithMac2() {
      pair.b.setUnderLoad(true);
      pair.a.send(pair.bAtA, Unpooled.wrappedBuffer(packet(40)), pair.now);
      assertEquals(List.of(ReceiveResult.COOKIE_SENT), pair.aToB());
      assertEquals(1, pair.b.counters().drops(WireGuardDropReason.COOKIE_REQUIRED));
      RecordingOutput.Sent reply = pair.bOut.sent.peekFirst();
      assertEquals(MessageType.COOKIE_REPLY, reply.type());
      assertEquals(A_ENDPOINT, reply.endpoint());
      assertNull(reply.peer());
      assertEquals(List.of(ReceiveResult.COOKIE_STORED), pair.bToA());

      // §5.4.7: the initiator does not resend at once; its retry timer does, with mac2
      pair.advanceSeconds(5.4);
      pair.a.tick(pair.now);
      assertEquals(List.of(ReceiveResult.HANDSHAKE_ANSWERED), pair.aToB());
      assertEquals(List.of(ReceiveResult.HANDSHAKE_COMPLETED), pair.bToA());
      pair.aToB();
      assertEquals(1, pair.bOut.delivered.size());
    }

    @Test
    void underLoadAWrongMac2IsCountedAndAnsweredWithACookie() {
      pair.b.setUnderLoad(true);
      pair.a.send(pair.bAtA, Unpooled.wrappedBuffer(packet(40)), pair.now);
      byte[] initiation = pair.aOut.take().bytes();
      initiation[140] = 1;
      assertEquals(ReceiveResult.COOKIE_SENT, pair.toB(initiation));
      assertEquals(1, pair.b.counters().drops(WireGuardDropReason.BAD_MAC2));
    }

    @Test
    void aCookieReplyThatDoesNotAuthenticateIsDropped() {
      pair.b.setUnderLoad(true);
      pair.a.send(pair.bAtA, Unpooled.wrappedBuffer(packet(40)), pair.now);
      pair.aToB();
      byte[] reply = pair.bOut.take().bytes();
      reply[40] ^= 1;
      assertEquals(ReceiveResult.DROPPED, pair.toA(reply));
      assertEquals(1, pair.bAtA.counters().drops(WireGuardDropReason.DECRYPT_FAILED));
    }

    @Test
    void aBurstOfHandshakesPutsTheDeviceUnderLoadUntilItPasses() {
      pair.b.setHandshakesPerSecondUnderLoad(2);
      // strangers' initiations carry a valid mac1 (B's public key is all it takes): they
      // count towards the load though B answers none of them
      for (long seed = 20; seed < 22; seed++) {
        DevicePair stranger = new DevicePair(seed, null);
        WireGuardPeer bAtStranger = stranger.a.addPeer(pair.b.publicKey(), null, DevicePair.B_ENDPOINT, 0);
        stranger.a.send(bAtStranger, Unpooled.wrappedBuffer(packet(40)), pair.now);
        assertEquals(ReceiveResult.DROPPED, pair.toB(stranger.aOut.take().bytes()));
      }
      assertFalse(pair.b.isUnderLoad(pair.now));

      // the third in the same second tips it over: a peer's initiation without mac2 gets a cookie
      pair.a.send(pair.bAtA, Unpooled.wrappedBuffer(packet(40)), pair.now);
      assertEquals(List.of(ReceiveResult.COOKIE_SENT), pair.aToB());
      assertEquals(1, pair.b.counters().drops(WireGuardDropReason.COOKIE_REQUIRED));
      assertTrue(pair.b.isUnderLoad(pair.now + 1_500_000_000L));
      pair.bOut.sent.clear();

      // two quiet seconds later, the retry (still without a cookie: A never got the reply) is answered
      pair.advanceSeconds(5.4);
      assertFalse(pair.b.isUnderLoad(pair.now));
      pair.a.tick(pair.now);
      assertEquals(List.of(ReceiveResult.HANDSHAKE_ANSWERED), pair.aToB());
    }

    @Test
    void notUnderLoadMac2IsNotRequired() {
      pair.handshake();
      assertEquals(0, pair.b.counters().drops(WireGuardDropReason.COOKIE_REQUIRED));
    }
  }

  @Nested
  class Transport {
    @Test
    void dropsAReplayedCounter() {
      pair.handshake();
      pair.a.send(pair.bAtA, Unpooled.wrappedBuffer(packet(60)), pair.now);
      byte[] data = pair.aOut.take().bytes();
      assertEquals(ReceiveResult.DATA, pair.toB(data));
      assertEquals(ReceiveResult.DROPPED, pair.toB(data));
      assertEquals(1, pair.aAtB.counters().drops(WireGuardDropReason.REPLAYED));
    }

    @Test
    void acceptsOutOfOrderOnceAndDropsBeyondTheWindow() {
      pair.handshake();
      List<byte[]> sent = new ArrayList<>();
      for (int i = 0; i < ReplayWindow.WINDOW_SIZE + 10; i++) {
        pair.a.send(pair.bAtA, Unpooled.wrappedBuffer(packet(20)), pair.now);
        sent.add(pair.aOut.take().bytes());
      }
      byte[] newest = sent.getLast();
      byte[] older = sent.get(sent.size() - 5);
      byte[] tooOld = sent.get(2);
      assertEquals(ReceiveResult.DATA, pair.toB(newest));
      assertEquals(ReceiveResult.DATA, pair.toB(older));
      assertEquals(ReceiveResult.DROPPED, pair.toB(older));
      assertEquals(ReceiveResult.DROPPED, pair.toB(tooOld));
      assertEquals(2, pair.aAtB.counters().drops(WireGuardDropReason.REPLAYED));
    }

    @Test
    void dropsATamperedPacketWithoutMovingTheWindow() {
      pair.handshake();
      pair.a.send(pair.bAtA, Unpooled.wrappedBuffer(packet(60)), pair.now);
      byte[] data = pair.aOut.take().bytes();
      byte[] forged = data.clone();
      forged[30] ^= 1;
      assertEquals(ReceiveResult.DROPPED, pair.toB(forged));
      assertEquals(1, pair.aAtB.counters().drops(WireGuardDropReason.DECRYPT_FAILED));
      assertEquals(ReceiveResult.DATA, pair.toB(data));
    }

    @Test
    void keepaliveIsAnEmptyTransportMessage() {
      pair.handshake();
      // the initiator's confirming keepalive was not needed: the queued packet confirmed
      pair.b.send(pair.aAtB, Unpooled.wrappedBuffer(packet(100)), pair.now);
      pair.bToA();
      pair.advanceSeconds(10);
      pair.a.tick(pair.now);
      RecordingOutput.Sent keepalive = pair.aOut.take();
      assertEquals(32, keepalive.bytes().length);
      assertEquals(ReceiveResult.KEEPALIVE, pair.toB(keepalive.bytes()));
      assertEquals(1, pair.bOut.delivered.size());
    }

    @Test
    void countsBytesAndPacketsEachWay() {
      pair.handshake();
      WireGuardCounters atA = pair.bAtA.counters();
      assertEquals(2, atA.packetsOut());
      assertEquals(148 + 16 + 48 + 16, atA.bytesOut());
      assertEquals(1, atA.packetsIn());
      assertEquals(92, atA.bytesIn());
      assertEquals(2, pair.aAtB.counters().packetsIn());
    }
  }

  @Nested
  class Timers {
    @Test
    void rekeysAfterRekeyAfterTimeWithoutLosingAPacket() {
      pair.handshake();
      pair.advanceSeconds(121);
      pair.a.send(pair.bAtA, Unpooled.wrappedBuffer(packet(44)), pair.now);
      RecordingOutput.Sent dataUnderOld = pair.aOut.take();
      RecordingOutput.Sent initiation = pair.aOut.take();
      assertEquals(MessageType.TRANSPORT_DATA, dataUnderOld.type());
      assertEquals(MessageType.HANDSHAKE_INITIATION, initiation.type());

      // the initiation overtakes the data packet; B answers, A switches to the new keypair
      assertEquals(ReceiveResult.HANDSHAKE_ANSWERED, pair.toB(initiation.bytes()));
      // B's previous keypair is still current for B until A speaks under the new one
      assertEquals(ReceiveResult.DATA, pair.toB(dataUnderOld.bytes()));
      assertEquals(List.of(ReceiveResult.HANDSHAKE_COMPLETED), pair.bToA());
      pair.a.send(pair.bAtA, Unpooled.wrappedBuffer(packet(45)), pair.now);
      // the confirming keepalive, then the data, both under the new keypair
      assertEquals(List.of(ReceiveResult.KEEPALIVE, ReceiveResult.DATA), pair.aToB());
      assertEquals(3, pair.bOut.delivered.size());

      // B now sends under the new keypair, and A still decrypts a late one under the old
      pair.b.send(pair.aAtB, Unpooled.wrappedBuffer(packet(46)), pair.now);
      assertEquals(List.of(ReceiveResult.DATA), pair.bToA());
    }

    @Test
    void previousKeypairStillDecryptsInFlightPacketsAfterTheSwitch() {
      pair.handshake();
      pair.b.send(pair.aAtB, Unpooled.wrappedBuffer(packet(30)), pair.now);
      byte[] late = pair.bOut.take().bytes();
      pair.advanceSeconds(121);
      pair.a.send(pair.bAtA, Unpooled.wrappedBuffer(packet(44)), pair.now);
      pair.aToB();
      pair.bToA();
      assertEquals(ReceiveResult.DATA, pair.toA(late));
    }

    @Test
    void rejectsAfterRejectAfterTime() {
      pair.handshake();
      pair.b.send(pair.aAtB, Unpooled.wrappedBuffer(packet(30)), pair.now);
      byte[] data = pair.bOut.take().bytes();
      pair.advanceSeconds(180);
      assertEquals(ReceiveResult.DROPPED, pair.toA(data));
      assertEquals(1, pair.bAtA.counters().drops(WireGuardDropReason.EXPIRED_KEY));
      assertFalse(pair.bAtA.hasSession(pair.now));
      // a packet now waits for a new handshake instead of leaving under the dead keypair
      assertEquals(SendResult.QUEUED,
          pair.a.send(pair.bAtA, Unpooled.wrappedBuffer(packet(30)), pair.now));
      assertEquals(MessageType.HANDSHAKE_INITIATION, pair.aOut.take().type());
    }

    @Test
    void sendsKeepaliveAfterKeepaliveTimeoutWhenDataCameAndNothingWent() {
      pair.handshake();
      pair.bOut.sent.clear();
      pair.advanceSeconds(9.9);
      pair.b.tick(pair.now);
      assertTrue(pair.bOut.sent.isEmpty());
      pair.advanceSeconds(0.2);
      pair.b.tick(pair.now);
      assertEquals(32, pair.bOut.take().bytes().length);
      pair.advanceSeconds(20);
      pair.b.tick(pair.now);
      assertTrue(pair.bOut.sent.isEmpty(), "one keepalive per data received");
    }

    @Test
    void sendsPersistentKeepalives() {
      pair.handshake();
      pair.bAtA.setPersistentKeepaliveSeconds(25);
      pair.aOut.sent.clear();
      // B acknowledges A's data with its passive keepalive, so A presumes no dead session
      pair.advanceSeconds(10);
      pair.b.tick(pair.now);
      assertEquals(List.of(ReceiveResult.KEEPALIVE), pair.bToA());
      pair.advanceSeconds(14);
      pair.a.tick(pair.now);
      assertTrue(pair.aOut.sent.isEmpty());
      pair.advanceSeconds(1);
      pair.a.tick(pair.now);
      assertEquals(ReceiveResult.KEEPALIVE, pair.toB(pair.aOut.take().bytes()));
      pair.advanceSeconds(25);
      pair.a.tick(pair.now);
      assertEquals(32, pair.aOut.take().bytes().length);
    }

    @Test
    void retriesAnUnansweredInitiationWithJitterThenGivesUp() {
      pair.a.send(pair.bAtA, Unpooled.wrappedBuffer(packet(40)), pair.now);
      long start = pair.now;
      pair.aOut.take();
      List<Long> sentAt = new ArrayList<>();
      List<byte[]> initiations = new ArrayList<>();
      while (pair.now - start < 100_000_000_000L) {
        pair.now += 10_000_000L;
        pair.a.tick(pair.now);
        while (!pair.aOut.sent.isEmpty()) {
          sentAt.add(pair.now);
          initiations.add(pair.aOut.take().bytes());
        }
      }
      long previous = start;
      for (long t : sentAt) {
        long gap = t - previous;
        assertTrue(gap >= 5_000_000_000L && gap <= 5_343_000_000L, "gap " + gap);
        previous = t;
      }
      assertTrue(sentAt.getLast() - start < 90_000_000_000L + 5_343_000_000L);
      assertTrue(sentAt.size() >= 16 && sentAt.size() <= 18, "retries " + sentAt.size());
      // every retry is a new initiation with its own ephemeral key
      assertFalse(Arrays.equals(Arrays.copyOfRange(initiations.get(0), 8, 40),
          Arrays.copyOfRange(initiations.get(1), 8, 40)));
      assertEquals(0, pair.bAtA.queuedPackets());
      assertEquals(1, pair.bAtA.counters().drops(WireGuardDropReason.OUT_HANDSHAKE_GAVE_UP));
    }

    @Test
    void sendsNoMoreThanOneInitiationPerRekeyTimeout() {
      for (int i = 0; i < 10; i++) {
        pair.a.send(pair.bAtA, Unpooled.wrappedBuffer(packet(40)), pair.now);
        pair.advanceSeconds(0.4);
      }
      assertEquals(1, pair.aOut.sent.size());
      assertEquals(10, pair.bAtA.queuedPackets());
    }

    @Test
    void erasesSessionsAfterThreeTimesRejectAfterTime() {
      pair.handshake();
      pair.advanceSeconds(539);
      pair.a.tick(pair.now);
      pair.aOut.sent.clear();
      pair.b.send(pair.aAtB, Unpooled.wrappedBuffer(packet(30)), pair.now);
      pair.bOut.sent.clear();
      pair.advanceSeconds(1);
      pair.a.tick(pair.now);
      pair.b.tick(pair.now);
      assertNull(pair.bAtA.current);
      assertNull(pair.bAtA.previous);
      assertNull(pair.aAtB.current);
    }

    @Test
    void nextDeadlineNamesTheRetry() {
      pair.a.send(pair.bAtA, Unpooled.wrappedBuffer(packet(40)), pair.now);
      long deadline = pair.a.nextDeadlineNanos() - pair.now;
      assertTrue(deadline >= 5_000_000_000L && deadline <= 5_333_000_000L);
    }
  }

  @Nested
  class PeersAndEndpoints {
    @Test
    void endpointFollowsOnlyAuthenticatedPackets() {
      pair.handshake();
      InetSocketAddress roamed = new InetSocketAddress("198.18.252.9", 1234);
      pair.a.send(pair.bAtA, Unpooled.wrappedBuffer(packet(60)), pair.now);
      byte[] data = pair.aOut.take().bytes();
      byte[] forged = data.clone();
      forged[20] ^= 1;
      assertEquals(ReceiveResult.DROPPED, pair.b.receive(Unpooled.wrappedBuffer(forged), roamed,
          pair.now));
      assertEquals(A_ENDPOINT, pair.aAtB.endpoint());
      assertEquals(ReceiveResult.DATA, pair.b.receive(Unpooled.wrappedBuffer(data), roamed,
          pair.now));
      assertEquals(roamed, pair.aAtB.endpoint());
      assertEquals(List.of(A_ENDPOINT, roamed), pair.bOut.endpointChanges);
      pair.b.send(pair.aAtB, Unpooled.wrappedBuffer(packet(30)), pair.now);
      assertEquals(roamed, pair.bOut.take().endpoint());
    }

    @Test
    void removingAPeerDropsOnlyItsSessionsAndIndices() {
      pair.handshake();
      // a third device C with its own session at B
      SplittableRandom keys = new SplittableRandom(77);
      RecordingOutput cOut = new RecordingOutput();
      WireGuardDevice c = new WireGuardDevice(WireGuardKeys.generatePrivateKey(keys), cOut,
          ByteBufAllocator.DEFAULT, new SplittableRandom(78), 0, 1420);
      WireGuardPeer bAtC = c.addPeer(pair.b.publicKey(), null, DevicePair.B_ENDPOINT, 0);
      WireGuardPeer cAtB = pair.b.addPeer(c.publicKey(), null, null, 0);
      InetSocketAddress cEndpoint = new InetSocketAddress("198.18.251.3", 5000);
      c.send(bAtC, Unpooled.wrappedBuffer(packet(40)), pair.now);
      pair.b.receive(Unpooled.wrappedBuffer(cOut.take().bytes()), cEndpoint, pair.now);
      c.receive(Unpooled.wrappedBuffer(pair.bOut.take().bytes()), DevicePair.B_ENDPOINT, pair.now);
      assertEquals(ReceiveResult.DATA, pair.b.receive(Unpooled.wrappedBuffer(cOut.take().bytes()),
          cEndpoint, pair.now));

      pair.a.send(pair.bAtA, Unpooled.wrappedBuffer(packet(60)), pair.now);
      byte[] fromA = pair.aOut.take().bytes();
      pair.b.removePeer(pair.aAtB);
      assertNull(pair.b.peer(pair.a.publicKey()));
      assertEquals(ReceiveResult.DROPPED, pair.toB(fromA));
      assertEquals(1, pair.b.counters().drops(WireGuardDropReason.UNKNOWN_INDEX));

      c.send(bAtC, Unpooled.wrappedBuffer(packet(50)), pair.now);
      assertEquals(ReceiveResult.DATA, pair.b.receive(Unpooled.wrappedBuffer(cOut.take().bytes()),
          cEndpoint, pair.now));
      assertTrue(cAtB.hasSession(pair.now));
    }

    @Test
    void removingAPeerReleasesItsQueue() {
      pair.a.send(pair.bAtA, Unpooled.directBuffer(64).writeZero(64), pair.now);
      pair.a.send(pair.bAtA, ByteBufAllocator.DEFAULT.buffer(64).writeZero(64), pair.now);
      pair.a.removePeer(pair.bAtA);
      assertEquals(2, pair.bAtA.counters().drops(WireGuardDropReason.OUT_PEER_REMOVED));
      assertEquals(0, pair.bAtA.queuedPackets());
    }

    @Test
    void refusesSmallOrderAndDuplicatePeerKeys() {
      org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
          () -> pair.a.addPeer(new byte[32], null, null, 0));
      org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
          () -> pair.a.addPeer(pair.b.publicKey(), null, null, 0));
    }

    @Test
    void peerPrintsNoSecret() {
      DevicePair withPsk = new DevicePair(13, new byte[] {
          1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
          17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32});
      String text = withPsk.bAtA.toString();
      assertTrue(text.contains(WireGuardKeys.toBase64(withPsk.b.publicKey())));
      assertFalse(text.contains(WireGuardKeys.toBase64(withPsk.bPrivate)));
      assertFalse(text.contains("AQIDBAUG"));
    }
  }
}
