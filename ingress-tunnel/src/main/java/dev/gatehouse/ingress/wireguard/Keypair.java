package dev.gatehouse.ingress.wireguard;

import dev.gatehouse.ingress.wireguard.crypto.ChaChaPoly;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One session's transport keys (whitepaper §5.4.5): the send and receive ciphers, our index
 * (what the peer writes as receiver) and the peer's, the send counter and the replay window.
 *
 * <p>Thread-safety: a keypair, its ciphers included, is confined to the loop that owns its
 * peer ({@link WireGuardTunnel} gives each peer to one loop, whole), so a peer's packets are
 * sealed and opened one at a time, in order. The send counter and the replay window are
 * thread-safe nonetheless (an {@link AtomicLong} and a locked {@link ReplayWindow}): they are
 * the only pieces a split of one peer's crypto over threads would share, which would also
 * need a cipher per thread (a JDK {@code Cipher} is not thread-safe) and a reordering step
 * before delivery.
 */
final class Keypair {
  final ChaChaPoly sender;
  final ChaChaPoly receiver;
  final int localIndex;
  final int remoteIndex;
  final long createdNanos;
  /** Whitepaper §6.2: only the initiator of a keypair rekeys it because of its age. */
  final boolean weInitiated;
  final AtomicLong sendCounter = new AtomicLong();
  final ReplayWindow replay = new ReplayWindow();

  Keypair(byte[] sendKey, byte[] receiveKey, int localIndex, int remoteIndex, long createdNanos,
      boolean weInitiated) {
    this.sender = new ChaChaPoly(sendKey);
    this.receiver = new ChaChaPoly(receiveKey);
    this.localIndex = localIndex;
    this.remoteIndex = remoteIndex;
    this.createdNanos = createdNanos;
    this.weInitiated = weInitiated;
  }

  long ageNanos(long nowNanos) {
    return nowNanos - createdNanos;
  }

  /** §6.1: neither sent nor received under once REJECT-AFTER-TIME old. */
  boolean isExpired(long nowNanos) {
    return ageNanos(nowNanos) >= WireGuardProtocol.REJECT_AFTER_TIME_NANOS;
  }

  /** True while a packet may still be sent: not expired, counter below REJECT-AFTER-MESSAGES. */
  boolean canSend(long nowNanos) {
    return !isExpired(nowNanos) && Long.compareUnsigned(sendCounter.get(),
        WireGuardProtocol.REJECT_AFTER_MESSAGES) < 0;
  }
}
