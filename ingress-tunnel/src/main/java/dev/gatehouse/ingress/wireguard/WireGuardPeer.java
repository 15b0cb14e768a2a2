package dev.gatehouse.ingress.wireguard;

import dev.gatehouse.ingress.wireguard.crypto.Blake2s;
import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * One peer of a {@link WireGuardDevice}, known by its static public key: its handshake, its
 * keypairs (whitepaper §5.4.5, "current", "previous" and the responder's unconfirmed
 * "next"), its timers (§6), its queue of packets waiting for a session and its counters.
 *
 * <p>Thread-safety: confined to the device's thread, like the device. {@link #counters()}
 * may be read from any thread. Nothing here prints a key but the public one.
 */
public final class WireGuardPeer {

  /** No time: a timer that is not running, an event that never happened. */
  static final long NONE = Long.MIN_VALUE;

  enum HandshakeState { NONE, INITIATION_SENT }

  private final byte[] publicKey;
  final byte[] presharedKey;
  /** DH(our static private, the peer's static public), computed once (§5.4.2). */
  final byte[] staticStatic;
  /** §5.4.4: mac1 of messages we send to this peer: HASH(LABEL-MAC1 ‖ its public key). */
  final byte[] mac1Key;
  /** §5.4.7: key of this peer's cookie replies: HASH(LABEL-COOKIE ‖ its public key). */
  final byte[] cookieKey;
  final WireGuardCounters counters = new WireGuardCounters();
  final ArrayDeque<ByteBuf> queue = new ArrayDeque<>();

  InetSocketAddress endpoint;
  long persistentKeepaliveNanos;
  boolean removed;

  // the handshake in flight, when we initiated one (§5.4.2)
  HandshakeState handshakeState = HandshakeState.NONE;
  int handshakeIndex;
  Noise.State noise;
  byte[] ephemeralPrivate;
  /** §5.1: the greatest TAI64N timestamp of an initiation accepted from this peer. */
  byte[] greatestTimestamp = new byte[Noise.TIMESTAMP_BYTES];
  /** §5.4.7: mac1 of our last handshake message, the AD its cookie reply must carry. */
  byte[] lastSentMac1;
  byte[] cookie;
  long cookieReceivedNanos = NONE;

  Keypair current;
  Keypair previous;
  Keypair next;

  // timers, §6: each NONE while not running
  long latestHandshakeNanos = NONE;
  long lastKeypairNanos = NONE;
  long lastSentNanos = NONE;
  long lastReceivedNanos = NONE;
  long attemptStartNanos = NONE;
  long lastInitiationNanos = NONE;
  long retransmitAtNanos = NONE;
  long keepaliveAtNanos = NONE;
  long newHandshakeAtNanos = NONE;

  WireGuardPeer(byte[] publicKey, byte[] presharedKey, byte[] staticStatic) {
    this.publicKey = publicKey.clone();
    this.presharedKey = presharedKey.clone();
    this.staticStatic = staticStatic;
    this.mac1Key = Blake2s.hash(WireGuardProtocol.LABEL_MAC1, publicKey);
    this.cookieKey = Blake2s.hash(WireGuardProtocol.LABEL_COOKIE, publicKey);
  }

  /** The peer's static public key (a copy). */
  public byte[] publicKey() {
    return publicKey.clone();
  }

  byte[] publicKeyNoCopy() {
    return publicKey;
  }

  /** Where the peer was last seen, or where it was configured to be; null if unknown. */
  public InetSocketAddress endpoint() {
    return endpoint;
  }

  /** Sets the endpoint, as configuration does; authenticated packets move it later (§2.1). */
  public void setEndpoint(InetSocketAddress endpoint) {
    this.endpoint = endpoint;
  }

  /** Persistent keepalive interval in seconds, 0 when off. */
  public int persistentKeepaliveSeconds() {
    return (int) (persistentKeepaliveNanos / 1_000_000_000L);
  }

  /** Sets the persistent keepalive interval in seconds, 0 to turn it off. */
  public void setPersistentKeepaliveSeconds(int seconds) {
    if (seconds < 0 || seconds > 65535) {
      throw new IllegalArgumentException("persistent keepalive is 0 to 65535 s, got " + seconds);
    }
    this.persistentKeepaliveNanos = seconds * 1_000_000_000L;
  }

  /** Packets, bytes and drops of this peer. */
  public WireGuardCounters counters() {
    return counters;
  }

  /**
   * When the latest handshake completed, on the {@code nowNanos} clock the device is driven
   * with; {@link Long#MIN_VALUE} if none did.
   */
  public long latestHandshakeNanos() {
    return latestHandshakeNanos;
  }

  /** True if a keypair we may send with exists and is not expired at {@code nowNanos}. */
  public boolean hasSession(long nowNanos) {
    return current != null && current.canSend(nowNanos);
  }

  /** Packets waiting for a handshake. */
  public int queuedPackets() {
    return queue.size();
  }

  @Override
  public String toString() {
    return "WireGuardPeer[publicKey=" + WireGuardKeys.toBase64(publicKey) + ", endpoint="
        + endpoint + "]";
  }
}
