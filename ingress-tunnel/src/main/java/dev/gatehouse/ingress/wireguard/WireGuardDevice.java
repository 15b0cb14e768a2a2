package dev.gatehouse.ingress.wireguard;

import static dev.gatehouse.ingress.wireguard.WireGuardPeer.NONE;
import static dev.gatehouse.ingress.wireguard.WireGuardProtocol.COOKIE_LIFETIME_NANOS;
import static dev.gatehouse.ingress.wireguard.WireGuardProtocol.COOKIE_SECRET_LIFETIME_NANOS;
import static dev.gatehouse.ingress.wireguard.WireGuardProtocol.KEEPALIVE_TIMEOUT_NANOS;
import static dev.gatehouse.ingress.wireguard.WireGuardProtocol.REJECT_AFTER_TIME_NANOS;
import static dev.gatehouse.ingress.wireguard.WireGuardProtocol.REKEY_AFTER_MESSAGES;
import static dev.gatehouse.ingress.wireguard.WireGuardProtocol.REKEY_AFTER_TIME_NANOS;
import static dev.gatehouse.ingress.wireguard.WireGuardProtocol.REKEY_ATTEMPT_TIME_NANOS;
import static dev.gatehouse.ingress.wireguard.WireGuardProtocol.REKEY_TIMEOUT_JITTER_MAX_NANOS;
import static dev.gatehouse.ingress.wireguard.WireGuardProtocol.REKEY_TIMEOUT_NANOS;

import dev.gatehouse.ingress.wireguard.crypto.Blake2s;
import dev.gatehouse.ingress.wireguard.crypto.ChaChaPoly;
import dev.gatehouse.ingress.wireguard.wire.CookieReply;
import dev.gatehouse.ingress.wireguard.wire.HandshakeInitiation;
import dev.gatehouse.ingress.wireguard.wire.HandshakeResponse;
import dev.gatehouse.ingress.wireguard.wire.MessageType;
import dev.gatehouse.ingress.wireguard.wire.TransportData;
import dev.gatehouse.ingress.wireguard.wire.WireCheck;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.util.collection.IntObjectHashMap;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * A user-space WireGuard endpoint's protocol engine: one static key pair, many peers, pure.
 * Datagrams and {@code nowNanos} go in through {@link #receive}, inner packets and {@code
 * nowNanos} through {@link #send}, the time alone through {@link #tick}; datagrams to send,
 * inner packets to deliver and endpoint changes come out through {@link WireGuardOutput}.
 * No socket, thread or clock: the caller owns them, and calls {@link #tick} by {@link
 * #nextDeadlineNanos()}.
 *
 * <p>The specification is Jason A. Donenfeld's whitepaper, "WireGuard: Next Generation
 * Kernel Network Tunnel" (sections cited as §), built on the Noise Protocol Framework's
 * Noise_IKpsk2 pattern (rev. 34, §7.5 and §9):
 *
 * <ul>
 *   <li>§5.4.2–§5.4.5: the handshake, in {@link Noise}; §5.4.4 mac1 and mac2;
 *   <li>§5.4.6: transport messages, counters and the replay window ({@link ReplayWindow});
 *   <li>§5.4.7 and §5.3: cookies under load;
 *   <li>§6.1–§6.5: rekeying, retries, keepalives and key erasure, in {@link #tick};
 *   <li>§2.1: endpoints follow authenticated packets (roaming).
 * </ul>
 *
 * <p><b>Demultiplexing.</b> An initiation finds its peer by the static key it carries once
 * decrypted; every other message by its receiver index, which this device chose at random
 * and keeps unique among all its sessions and handshakes. Peers are added and removed at
 * run time; removing one drops its sessions, indices and queued packets only.
 *
 * <p><b>Failed authentication answers nothing</b>: such a datagram is dropped, counted by
 * {@link WireGuardDropReason} on the device (and on the peer once known), and reported to
 * {@link WireGuardOutput#dropped}. Malformed input never throws.
 *
 * <p><b>Threading.</b> A device, its peers and their handshakes are confined to one thread:
 * every method is called from it, and {@link WireGuardOutput} is called back on it. Counters
 * may be read from anywhere. Keypairs keep the two pieces that parallel encryption would
 * share (send counter, replay window) thread-safe already, see {@link Keypair}.
 */
public final class WireGuardDevice {

  /** Implementation choice: packets queued per peer while no session exists. */
  public static final int MAX_QUEUED_PACKETS = 128;
  /**
   * Implementation choice: above this many handshake messages with a valid mac1 in one
   * second, demand cookies (§5.3) for the rest of that second and the next. Responding to
   * an initiation costs four X25519 operations, about a third of a millisecond here, so
   * one loop spends under a third of its time on handshakes below this rate.
   */
  public static final int DEFAULT_HANDSHAKES_PER_SECOND_UNDER_LOAD = 1000;
  private static final long LOAD_WINDOW_NANOS = 1_000_000_000L;

  /** A default inner MTU: 1500 less IPv6 (40), UDP (8) and WireGuard's overhead (32). */
  public static final int DEFAULT_MTU_BYTES = 1420;

  private final byte[] privateKey;
  private final byte[] publicKey;
  /** §5.4.4: the key that authenticates mac1 of messages sent to us. */
  private final byte[] mac1Key;
  /** §5.4.7: the key of cookie replies we send. */
  private final byte[] cookieKey;
  private final WireGuardOutput output;
  private final ByteBufAllocator allocator;
  private final RandomGenerator random;
  private final long wallClockOffsetNanos;
  private final int mtuBytes;
  /** This device's indices leave this remainder when divided by {@link #indexClasses}. */
  private final int indexClass;
  private final int indexClasses;
  private final WireGuardCounters counters = new WireGuardCounters();

  private final Map<ByteBuffer, WireGuardPeer> peers = new HashMap<>();
  /** Receiver index to what it names; int keys, so that a lookup boxes nothing. */
  private final IntObjectHashMap<IndexEntry> indices = new IntObjectHashMap<>();

  private final HandshakeInitiation initiationView = new HandshakeInitiation();
  private final HandshakeResponse responseView = new HandshakeResponse();
  private final CookieReply cookieView = new CookieReply();
  private final TransportData transportView = new TransportData();

  /**
   * Where transport messages are sealed and opened in place: the JDK's cipher works on an
   * array without copying, where on a direct buffer it would copy each packet into a new
   * array. Grown, rarely, for a datagram larger than any before.
   */
  private byte[] scratch;
  private boolean underLoad;
  private int handshakesPerSecondUnderLoad = DEFAULT_HANDSHAKES_PER_SECOND_UNDER_LOAD;
  /** Start of the one-second window {@link #handshakesInWindow} counts, or NONE. */
  private long loadWindowStartNanos = NONE;
  private int handshakesInWindow;
  /** Until when the device stays under load once a window overflowed. */
  private long loadedUntilNanos = NONE;
  private byte[] cookieSecret;
  private long cookieSecretNanos = NONE;

  /** What a receiver index names: a peer's handshake in flight, or one of its keypairs. */
  private record IndexEntry(WireGuardPeer peer, Keypair keypair) {}

  /**
   * A device with {@code privateKey} (32 bytes, copied).
   *
   * @param random the source of ephemeral keys, indices, cookie secrets and jitter: a {@code
   *     SecureRandom} in production; tests pass a seeded one to fix ephemerals
   * @param wallClockOffsetNanos added to {@code nowNanos} gives nanoseconds since 1970, for
   *     the TAI64N timestamps of initiations (§5.1); for example {@code
   *     System.currentTimeMillis() * 1_000_000 - System.nanoTime()} taken once
   * @param mtuBytes the inner MTU, which padding does not exceed (§5.4.6)
   */
  public WireGuardDevice(byte[] privateKey, WireGuardOutput output, ByteBufAllocator allocator,
      RandomGenerator random, long wallClockOffsetNanos, int mtuBytes) {
    this(privateKey, output, allocator, random, wallClockOffsetNanos, mtuBytes, 0, 1);
  }

  /**
   * A device that is one of {@code indexClasses} sharing a private key, each with its own
   * peers: every receiver index it chooses leaves the remainder {@code indexClass} when
   * divided (unsigned) by {@code indexClasses}, so that whoever reads a datagram can tell
   * from its receiver index alone which device it is for ({@link #indexClassOf}). The rest
   * of each index is random.
   */
  public WireGuardDevice(byte[] privateKey, WireGuardOutput output, ByteBufAllocator allocator,
      RandomGenerator random, long wallClockOffsetNanos, int mtuBytes, int indexClass,
      int indexClasses) {
    if (indexClasses < 1 || indexClass < 0 || indexClass >= indexClasses) {
      throw new IllegalArgumentException("index class " + indexClass + " of " + indexClasses);
    }
    this.indexClass = indexClass;
    this.indexClasses = indexClasses;
    this.privateKey = privateKey.clone();
    this.publicKey = WireGuardKeys.publicKey(this.privateKey);
    this.mac1Key = Blake2s.hash(WireGuardProtocol.LABEL_MAC1, publicKey);
    this.cookieKey = Blake2s.hash(WireGuardProtocol.LABEL_COOKIE, publicKey);
    this.output = output;
    this.allocator = allocator;
    this.random = random;
    this.wallClockOffsetNanos = wallClockOffsetNanos;
    this.mtuBytes = mtuBytes;
    this.scratch = new byte[TransportData.MIN_LENGTH_BYTES + mtuBytes + 16];
  }

  /** Which of {@code indexClasses} devices chose {@code receiverIndex}. */
  public static int indexClassOf(int receiverIndex, int indexClasses) {
    return Integer.remainderUnsigned(receiverIndex, indexClasses);
  }

  /**
   * The static public key an initiation carries (§5.4.2), once its mac1 verified (§5.4.4)
   * and the key decrypted under this device's private key; null for anything else. Changes
   * nothing and counts nothing: it is for a caller that must learn which of several devices
   * owns the initiating peer before handing the datagram over, and costs one DH.
   */
  public byte[] initiatorOf(ByteBuf datagram) {
    int offset = datagram.readerIndex();
    int length = datagram.readableBytes();
    HandshakeInitiation view = new HandshakeInitiation();
    if (MessageType.typeOf(datagram, offset, length) != MessageType.HANDSHAKE_INITIATION
        || view.wrap(datagram, offset, length) != WireCheck.OK) {
      return null;
    }
    byte[] msg = ByteBufUtil.getBytes(datagram, offset, length);
    byte[] mac1 = Blake2s.mac(mac1Key, msg, 0, HandshakeInitiation.MAC1_OFFSET);
    if (!regionEquals(mac1, msg, HandshakeInitiation.MAC1_OFFSET)) {
      return null;
    }
    Noise.State s = Noise.start(publicKey);
    byte[] initiatorStatic = Noise.readInitiationStatic(s, msg, privateKey);
    s.wipe();
    return initiatorStatic != null && initiatorStatic.length == 32 ? initiatorStatic : null;
  }

  /** This device's static public key (a copy). */
  public byte[] publicKey() {
    return publicKey.clone();
  }

  /** Drops of datagrams no peer could be held to, and every peer's drops. */
  public WireGuardCounters counters() {
    return counters;
  }

  /**
   * Forces the device under load, or lets its own measure decide again. Under load,
   * handshake messages need a valid mac2 or get a cookie reply (§5.3).
   */
  public void setUnderLoad(boolean underLoad) {
    this.underLoad = underLoad;
  }

  /**
   * Sets how many handshake messages with a valid mac1 one second may bring before the
   * device considers itself under load (§5.3 leaves the measure to the implementation).
   *
   * @throws IllegalArgumentException if {@code perSecond} is below 1
   */
  public void setHandshakesPerSecondUnderLoad(int perSecond) {
    if (perSecond < 1) {
      throw new IllegalArgumentException("handshakes per second under load must be at least 1, got " + perSecond);
    }
    this.handshakesPerSecondUnderLoad = perSecond;
  }

  /** Whether handshake messages now need mac2: forced, or too many came in the last second. */
  public boolean isUnderLoad(long nowNanos) {
    return underLoad || nowNanos < loadedUntilNanos;
  }

  // ---------------------------------------------------------------- peers

  /**
   * Adds a peer.
   *
   * @param presharedKey 32 bytes, or null for none (all zeros, §5.2)
   * @param endpoint where to send before the peer was heard from, or null
   * @throws IllegalArgumentException if the key is malformed, of small order, or known
   */
  public WireGuardPeer addPeer(byte[] peerPublicKey, byte[] presharedKey,
      InetSocketAddress endpoint, int persistentKeepaliveSeconds) {
    byte[] psk = presharedKey == null ? new byte[32] : presharedKey;
    if (peerPublicKey.length != 32 || psk.length != 32) {
      throw new IllegalArgumentException("peer public key and preshared key are 32 bytes");
    }
    ByteBuffer key = ByteBuffer.wrap(peerPublicKey.clone());
    if (peers.containsKey(key)) {
      throw new IllegalArgumentException("peer " + WireGuardKeys.toBase64(peerPublicKey)
          + " is already on this device");
    }
    byte[] staticStatic = WireGuardKeys.dh(privateKey, peerPublicKey);
    if (staticStatic == null) {
      throw new IllegalArgumentException("peer public key " + WireGuardKeys.toBase64(
          peerPublicKey) + " is of small order: no handshake with it can be secure");
    }
    WireGuardPeer peer = new WireGuardPeer(peerPublicKey, psk, staticStatic);
    peer.endpoint = endpoint;
    peer.setPersistentKeepaliveSeconds(persistentKeepaliveSeconds);
    peers.put(key, peer);
    return peer;
  }

  /** The peer with {@code peerPublicKey}, or null. */
  public WireGuardPeer peer(byte[] peerPublicKey) {
    return peers.get(ByteBuffer.wrap(peerPublicKey));
  }

  /** Every peer, in no order. */
  public List<WireGuardPeer> peers() {
    return new ArrayList<>(peers.values());
  }

  /**
   * Removes {@code peer}: its sessions, indices, handshake and queued packets go; no other
   * peer is touched. Its keys are zeroed where the JDK lets us (see {@link #wipe}).
   */
  public void removePeer(WireGuardPeer peer) {
    if (peers.remove(ByteBuffer.wrap(peer.publicKeyNoCopy())) != peer) {
      return;
    }
    wipe(peer, WireGuardDropReason.OUT_PEER_REMOVED);
    WireGuardKeys.zero(peer.presharedKey);
    WireGuardKeys.zero(peer.staticStatic);
    peer.removed = true;
  }

  // ---------------------------------------------------------------- receive

  /**
   * Handles one datagram (a whole UDP payload) from {@code source}. Takes ownership of
   * {@code datagram} and releases it. Never throws on its content.
   */
  public ReceiveResult receive(ByteBuf datagram, InetSocketAddress source, long nowNanos) {
    try {
      int offset = datagram.readerIndex();
      int length = datagram.readableBytes();
      return switch (MessageType.typeOf(datagram, offset, length)) {
        case MessageType.HANDSHAKE_INITIATION ->
            onInitiation(datagram, offset, length, source, nowNanos);
        case MessageType.HANDSHAKE_RESPONSE -> onResponse(datagram, offset, length, source, nowNanos);
        case MessageType.COOKIE_REPLY -> onCookieReply(datagram, offset, length, nowNanos);
        case MessageType.TRANSPORT_DATA -> onTransport(datagram, offset, length, source, nowNanos);
        default -> drop(null, length == 0 ? WireGuardDropReason.BAD_LENGTH
            : WireGuardDropReason.BAD_TYPE);
      };
    } finally {
      datagram.release();
    }
  }

  private ReceiveResult onInitiation(ByteBuf datagram, int offset, int length,
      InetSocketAddress source, long nowNanos) {
    WireCheck check = initiationView.wrap(datagram, offset, length);
    if (check != WireCheck.OK) {
      return drop(null, reasonOf(check));
    }
    byte[] msg = ByteBufUtil.getBytes(datagram, offset, length);
    int senderIndex = initiationView.senderIndex();

    // §5.4.4: mac1 first, cheap and keyed by our public key; then mac2 only under load
    ReceiveResult gate = checkMacs(msg, HandshakeInitiation.MAC1_OFFSET, senderIndex, source,
        nowNanos);
    if (gate != null) {
      return gate;
    }

    // §5.4.2, responder: decrypt the initiator's static key, which names the peer
    Noise.State s = Noise.start(publicKey);
    byte[] initiatorStatic = Noise.readInitiationStatic(s, msg, privateKey);
    if (initiatorStatic == null || initiatorStatic.length != 32) {
      return drop(null, WireGuardDropReason.DECRYPT_FAILED);
    }
    WireGuardPeer peer = peers.get(ByteBuffer.wrap(initiatorStatic));
    if (peer == null) {
      return drop(null, WireGuardDropReason.UNKNOWN_PEER);
    }
    byte[] timestamp = Noise.readInitiationTimestamp(s, msg, peer.staticStatic);
    if (timestamp == null) {
      return drop(peer, WireGuardDropReason.DECRYPT_FAILED);
    }

    // §5.1: "the responder keeps track of the greatest timestamp received per peer and
    // discards packets containing timestamps less than or equal to it" (replay protection)
    if (Arrays.compareUnsigned(timestamp, peer.greatestTimestamp) <= 0) {
      return drop(peer, WireGuardDropReason.STALE_TIMESTAMP);
    }
    peer.greatestTimestamp = timestamp;
    // TODO(#5): also limit how often one peer's initiations are processed (a flood of
    // fresh, valid initiations costs four DHs each)

    authenticated(peer, source, length, nowNanos);
    byte[] initiatorEphemeral = Arrays.copyOfRange(msg, HandshakeInitiation.EPHEMERAL_OFFSET,
        HandshakeInitiation.STATIC_OFFSET);
    return respond(peer, s, initiatorEphemeral, senderIndex, nowNanos);
  }

  private ReceiveResult respond(WireGuardPeer peer, Noise.State s, byte[] initiatorEphemeral,
      int initiatorIndex, long nowNanos) {
    byte[] ephemeralPrivate = WireGuardKeys.generatePrivateKey(random);
    byte[] ephemeralPublic = WireGuardKeys.publicKey(ephemeralPrivate);
    byte[] msg = new byte[HandshakeResponse.LENGTH_BYTES];
    boolean ok = Noise.writeResponse(s, msg, ephemeralPrivate, ephemeralPublic,
        initiatorEphemeral, peer.publicKeyNoCopy(), peer.presharedKey);
    WireGuardKeys.zero(ephemeralPrivate);
    if (!ok) {
      return drop(peer, WireGuardDropReason.BAD_PUBLIC_KEY);
    }

    // a handshake we initiated ourselves loses to the peer's: its keypair is coming
    clearHandshake(peer);
    peer.retransmitAtNanos = NONE;
    peer.attemptStartNanos = NONE;

    // §5.4.5: the responder's keypair waits as "next" until a transport message under it
    // arrives: only then does the responder know the initiator has it too (§6.1)
    int localIndex = allocateIndex(peer);
    byte[][] keys = Noise.transportKeys(s, false);
    Keypair keypair = new Keypair(keys[0], keys[1], localIndex, initiatorIndex, nowNanos, false);
    wipeAll(keys);
    s.wipe();
    indices.put(localIndex, new IndexEntry(peer, keypair));
    retire(peer.next);
    peer.next = keypair;
    peer.latestHandshakeNanos = nowNanos;
    peer.lastKeypairNanos = nowNanos;

    ByteBuf out = allocator.buffer(HandshakeResponse.LENGTH_BYTES);
    responseView.init(out, 0, localIndex, initiatorIndex);
    out.setBytes(HandshakeResponse.EPHEMERAL_OFFSET, msg, HandshakeResponse.EPHEMERAL_OFFSET,
        HandshakeResponse.MAC1_OFFSET - HandshakeResponse.EPHEMERAL_OFFSET);
    writeMacs(peer, out, HandshakeResponse.MAC1_OFFSET, nowNanos);
    emit(peer, out, nowNanos);
    return ReceiveResult.HANDSHAKE_ANSWERED;
  }

  private ReceiveResult onResponse(ByteBuf datagram, int offset, int length,
      InetSocketAddress source, long nowNanos) {
    WireCheck check = responseView.wrap(datagram, offset, length);
    if (check != WireCheck.OK) {
      return drop(null, reasonOf(check));
    }
    byte[] msg = ByteBufUtil.getBytes(datagram, offset, length);
    int senderIndex = responseView.senderIndex();
    int receiverIndex = responseView.receiverIndex();
    ReceiveResult gate = checkMacs(msg, HandshakeResponse.MAC1_OFFSET, senderIndex, source,
        nowNanos);
    if (gate != null) {
      return gate;
    }

    IndexEntry entry = indices.get(receiverIndex);
    if (entry == null) {
      return drop(null, WireGuardDropReason.UNKNOWN_INDEX);
    }
    WireGuardPeer peer = entry.peer();
    if (entry.keypair() != null || peer.handshakeState != WireGuardPeer.HandshakeState.INITIATION_SENT
        || peer.handshakeIndex != receiverIndex) {
      return drop(peer, WireGuardDropReason.UNEXPECTED_RESPONSE);
    }

    // §5.4.3, initiator: on a copy, so that a forged response leaves the handshake waiting
    Noise.State s = peer.noise.copy();
    if (!Noise.readResponse(s, msg, peer.ephemeralPrivate, privateKey, peer.presharedKey)) {
      return drop(peer, WireGuardDropReason.DECRYPT_FAILED);
    }
    byte[][] keys = Noise.transportKeys(s, true);
    Keypair keypair = new Keypair(keys[0], keys[1], receiverIndex, senderIndex, nowNanos, true);
    wipeAll(keys);
    s.wipe();
    indices.put(receiverIndex, new IndexEntry(peer, keypair));
    peer.handshakeState = WireGuardPeer.HandshakeState.NONE;
    forgetHandshakeSecrets(peer);

    // §5.4.5: the initiator may send at once; the old current stays to decrypt stragglers
    retire(peer.previous);
    retire(peer.next);
    peer.next = null;
    peer.previous = peer.current;
    peer.current = keypair;
    peer.retransmitAtNanos = NONE;
    peer.attemptStartNanos = NONE;
    peer.latestHandshakeNanos = nowNanos;
    peer.lastKeypairNanos = nowNanos;
    authenticated(peer, source, length, nowNanos);

    // §6.1: the responder cannot send until it hears from us under the new keypair: send
    // the queue, or a keepalive if nothing waits
    if (!flushQueue(peer, nowNanos)) {
      sendTransport(peer, keypair, null, nowNanos);
    }
    return ReceiveResult.HANDSHAKE_COMPLETED;
  }

  private ReceiveResult onCookieReply(ByteBuf datagram, int offset, int length, long nowNanos) {
    WireCheck check = cookieView.wrap(datagram, offset, length);
    if (check != WireCheck.OK) {
      return drop(null, reasonOf(check));
    }
    IndexEntry entry = indices.get(cookieView.receiverIndex());
    if (entry == null) {
      return drop(null, WireGuardDropReason.UNKNOWN_INDEX);
    }
    WireGuardPeer peer = entry.peer();
    if (peer.lastSentMac1 == null) {
      return drop(peer, WireGuardDropReason.UNEXPECTED_COOKIE);
    }

    // §5.4.7: τ = XAEAD(HASH(LABEL-COOKIE ‖ Sm_pub), nonce, cookie, M) with M our last mac1
    byte[] nonce = ByteBufUtil.getBytes(datagram, offset + CookieReply.NONCE_OFFSET,
        CookieReply.NONCE_BYTES);
    byte[] sealed = ByteBufUtil.getBytes(datagram, offset + CookieReply.COOKIE_OFFSET,
        CookieReply.ENCRYPTED_COOKIE_BYTES);
    byte[] cookie = ChaChaPoly.xopen(peer.cookieKey, nonce, sealed, peer.lastSentMac1);
    if (cookie == null) {
      return drop(peer, WireGuardDropReason.DECRYPT_FAILED);
    }
    // one cookie per message sent; the retry waits for the retransmission timer (§6.4)
    peer.cookie = cookie;
    peer.cookieReceivedNanos = nowNanos;
    peer.lastSentMac1 = null;
    peer.counters.packetIn(length);
    counters.packetIn(length);
    return ReceiveResult.COOKIE_STORED;
  }

  private ReceiveResult onTransport(ByteBuf datagram, int offset, int length,
      InetSocketAddress source, long nowNanos) {
    WireCheck check = transportView.wrap(datagram, offset, length);
    if (check != WireCheck.OK) {
      return drop(null, reasonOf(check));
    }
    IndexEntry entry = indices.get(transportView.receiverIndex());
    if (entry == null || entry.keypair() == null) {
      return drop(null, WireGuardDropReason.UNKNOWN_INDEX);
    }
    WireGuardPeer peer = entry.peer();
    Keypair keypair = entry.keypair();
    long counter = transportView.counter();

    // §6.1: nothing is accepted under a keypair REJECT-AFTER-TIME old
    if (keypair.isExpired(nowNanos)) {
      return drop(peer, WireGuardDropReason.EXPIRED_KEY);
    }
    // §5.4.6: a counter seen before, or behind the window, is dropped before decrypting
    if (!keypair.replay.mayAccept(counter)) {
      return drop(peer, WireGuardDropReason.REPLAYED);
    }

    // open in place in the scratch array; an inner buffer is taken only once it authenticated
    int plaintextBytes = transportView.plaintextLengthBytes();
    int encryptedBytes = transportView.encryptedLengthBytes();
    byte[] work = scratch(encryptedBytes);
    datagram.getBytes(transportView.packetOffset(), work, 0, encryptedBytes);
    if (!keypair.receiver.openInPlace(counter, work, 0, encryptedBytes)) {
      return drop(peer, WireGuardDropReason.DECRYPT_FAILED);
    }
    // the window is marked only after the tag verified, so forgeries cannot fill it
    if (!keypair.replay.accept(counter)) {
      return drop(peer, WireGuardDropReason.REPLAYED);
    }
    boolean confirmed = keypair == peer.next;
    if (confirmed) {
      promoteNext(peer);
    }
    authenticated(peer, source, length, nowNanos);
    peer.newHandshakeAtNanos = NONE;
    if (plaintextBytes > 0 && peer.keepaliveAtNanos == NONE) {
      // §6.5: data received and nothing sent for KEEPALIVE-TIMEOUT: send a keepalive
      peer.keepaliveAtNanos = nowNanos + KEEPALIVE_TIMEOUT_NANOS;
    }
    // the plaintext leaves the scratch array before anything below may reuse it
    ByteBuf inner = plaintextBytes == 0 ? null
        : allocator.buffer(plaintextBytes).writeBytes(work, 0, plaintextBytes);
    boolean handedOver = false;
    try {
      rekeyOnReceiveIfOld(peer, keypair, nowNanos);
      if (confirmed) {
        flushQueue(peer, nowNanos);
      }
      if (inner == null) {
        return ReceiveResult.KEEPALIVE;
      }
      handedOver = true;
      output.deliver(peer, inner);
      return ReceiveResult.DATA;
    } finally {
      if (inner != null && !handedOver) {
        inner.release();
      }
    }
  }

  private void promoteNext(WireGuardPeer peer) {
    retire(peer.previous);
    peer.previous = peer.current;
    peer.current = peer.next;
    peer.next = null;
  }

  private void rekeyOnReceiveIfOld(WireGuardPeer peer, Keypair keypair, long nowNanos) {
    // §6.2: "if the initiator receives a packet under a keypair that is REJECT-AFTER-TIME −
    // KEEPALIVE-TIMEOUT − REKEY-TIMEOUT old" it starts a handshake, so that a keypair used
    // only to receive is still replaced before it expires
    if (keypair == peer.current && keypair.weInitiated && keypair.ageNanos(nowNanos)
        >= REJECT_AFTER_TIME_NANOS - KEEPALIVE_TIMEOUT_NANOS - REKEY_TIMEOUT_NANOS) {
      initiate(peer, nowNanos, false);
    }
  }

  // ---------------------------------------------------------------- send

  /**
   * Sends an inner IP packet to {@code peer}, which the caller chose (cryptokey routing is
   * its own). Takes ownership of {@code innerPacket}. Without a usable keypair the packet
   * waits, at most {@link #MAX_QUEUED_PACKETS} per peer, and a handshake starts.
   *
   * @throws IllegalArgumentException if {@code peer} is not on this device (a caller's bug)
   */
  public SendResult send(WireGuardPeer peer, ByteBuf innerPacket, long nowNanos) {
    try {
      if (peer.removed) {
        throw new IllegalArgumentException(peer + " was removed from the device");
      }
      if (peer.endpoint == null) {
        drop(peer, WireGuardDropReason.OUT_NO_ENDPOINT);
        return SendResult.DROPPED;
      }
      Keypair keypair = peer.current;
      if (keypair != null && keypair.canSend(nowNanos)) {
        sendTransport(peer, keypair, innerPacket, nowNanos);
        rekeyOnSendIfDue(peer, keypair, nowNanos);
        return SendResult.SENT;
      }
      enqueue(peer, innerPacket.retain());
      if (!awaitingConfirmation(peer, nowNanos)) {
        initiate(peer, nowNanos, false);
      }
      return SendResult.QUEUED;
    } finally {
      innerPacket.release();
    }
  }

  /**
   * True while we answered an initiation less than REKEY-TIMEOUT ago: the initiator's first
   * transport message is due any moment and confirms our "next" keypair (§5.4.5); a
   * handshake of our own now would only replace the session it is about to confirm.
   */
  private static boolean awaitingConfirmation(WireGuardPeer peer, long nowNanos) {
    return peer.next != null && peer.next.ageNanos(nowNanos) < REKEY_TIMEOUT_NANOS;
  }

  private void rekeyOnSendIfDue(WireGuardPeer peer, Keypair keypair, long nowNanos) {
    // §6.2: after REKEY-AFTER-MESSAGES, or REKEY-AFTER-TIME for the keypair's initiator
    // only (so that both sides do not rekey at once), a new handshake starts
    boolean tooManyMessages = Long.compareUnsigned(keypair.sendCounter.get(),
        REKEY_AFTER_MESSAGES) >= 0;
    boolean tooOld = keypair.weInitiated && keypair.ageNanos(nowNanos) >= REKEY_AFTER_TIME_NANOS;
    if (tooManyMessages || tooOld) {
      initiate(peer, nowNanos, false);
    }
  }

  private void enqueue(WireGuardPeer peer, ByteBuf packet) {
    if (peer.queue.size() >= MAX_QUEUED_PACKETS) {
      // the oldest goes: a handshake that is slow to finish should carry the freshest
      peer.queue.removeFirst().release();
      drop(peer, WireGuardDropReason.OUT_QUEUE_FULL);
    }
    peer.queue.addLast(packet);
  }

  /** Sends the queue under the current keypair; true if anything was sent. */
  private boolean flushQueue(WireGuardPeer peer, long nowNanos) {
    boolean sent = false;
    while (!peer.queue.isEmpty() && peer.current != null && peer.current.canSend(nowNanos)) {
      ByteBuf packet = peer.queue.removeFirst();
      try {
        sendTransport(peer, peer.current, packet, nowNanos);
        sent = true;
      } finally {
        packet.release();
      }
    }
    return sent;
  }

  /** Encrypts {@code plain} (null for a keepalive) and emits it; {@code plain} stays the caller's. */
  private void sendTransport(WireGuardPeer peer, Keypair keypair, ByteBuf plain, long nowNanos) {
    int plainBytes = plain == null ? 0 : plain.readableBytes();
    int paddingBytes = TransportData.paddingBytes(plainBytes, mtuBytes);
    int totalBytes = TransportData.MIN_LENGTH_BYTES + plainBytes + paddingBytes;
    long counter = keypair.sendCounter.getAndIncrement();

    // seal in place in the scratch array: the packet, its zero padding, then the tag
    int sealedBytes = plainBytes + paddingBytes;
    byte[] work = scratch(sealedBytes + ChaChaPoly.TAG_BYTES);
    if (plain != null) {
      plain.getBytes(plain.readerIndex(), work, 0, plainBytes);
    }
    Arrays.fill(work, plainBytes, sealedBytes, (byte) 0);
    keypair.sender.sealInPlace(counter, work, 0, sealedBytes);

    ByteBuf out = allocator.buffer(totalBytes);
    transportView.init(out, 0, totalBytes, keypair.remoteIndex, counter);
    out.setBytes(TransportData.PACKET_OFFSET, work, 0, sealedBytes + ChaChaPoly.TAG_BYTES);
    out.writerIndex(totalBytes);
    emit(peer, out, nowNanos);
    if (plainBytes > 0 && peer.newHandshakeAtNanos == NONE) {
      // §6.2: data sent and nothing heard for KEEPALIVE-TIMEOUT + REKEY-TIMEOUT: the
      // session is presumed dead and a new handshake starts
      peer.newHandshakeAtNanos = nowNanos + KEEPALIVE_TIMEOUT_NANOS + REKEY_TIMEOUT_NANOS;
    }
  }

  // ---------------------------------------------------------------- handshakes we start

  /**
   * Starts (or, for {@code retry}, repeats) a handshake with {@code peer}, unless one is
   * already waiting for its answer, or one was sent less than REKEY-TIMEOUT ago (§6.3: "no
   * more than one initiation every REKEY-TIMEOUT").
   */
  private void initiate(WireGuardPeer peer, long nowNanos, boolean retry) {
    if (!retry && peer.retransmitAtNanos != NONE) {
      return;
    }
    if (peer.lastInitiationNanos != NONE
        && nowNanos - peer.lastInitiationNanos < REKEY_TIMEOUT_NANOS) {
      return;
    }
    if (peer.endpoint == null) {
      return;
    }
    if (!retry) {
      peer.attemptStartNanos = nowNanos;
    }
    sendInitiation(peer, nowNanos);
    // §6.4: retried after REKEY-TIMEOUT plus jitter, so that peers do not fall in step
    peer.retransmitAtNanos = nowNanos + REKEY_TIMEOUT_NANOS
        + random.nextLong(REKEY_TIMEOUT_JITTER_MAX_NANOS + 1);
  }

  private void sendInitiation(WireGuardPeer peer, long nowNanos) {
    clearHandshake(peer);
    byte[] ephemeralPrivate = WireGuardKeys.generatePrivateKey(random);
    byte[] ephemeralPublic = WireGuardKeys.publicKey(ephemeralPrivate);
    int localIndex = allocateIndex(peer);
    Noise.State s = Noise.start(peer.publicKeyNoCopy());
    byte[] msg = new byte[HandshakeInitiation.LENGTH_BYTES];
    byte[] timestamp = Noise.tai64n(wallClockOffsetNanos + nowNanos);
    if (!Noise.writeInitiation(s, msg, ephemeralPrivate, ephemeralPublic, privateKey, publicKey,
        peer.publicKeyNoCopy(), peer.staticStatic, timestamp)) {
      // cannot happen with a key addPeer accepted; nothing is sent
      WireGuardKeys.zero(ephemeralPrivate);
      return;
    }
    indices.put(localIndex, new IndexEntry(peer, null));
    peer.handshakeState = WireGuardPeer.HandshakeState.INITIATION_SENT;
    peer.handshakeIndex = localIndex;
    peer.noise = s;
    peer.ephemeralPrivate = ephemeralPrivate;

    ByteBuf out = allocator.buffer(HandshakeInitiation.LENGTH_BYTES);
    initiationView.init(out, 0, localIndex);
    out.setBytes(HandshakeInitiation.EPHEMERAL_OFFSET, msg, HandshakeInitiation.EPHEMERAL_OFFSET,
        HandshakeInitiation.MAC1_OFFSET - HandshakeInitiation.EPHEMERAL_OFFSET);
    writeMacs(peer, out, HandshakeInitiation.MAC1_OFFSET, nowNanos);
    peer.lastInitiationNanos = nowNanos;
    emit(peer, out, nowNanos);
  }

  // ---------------------------------------------------------------- timers

  /**
   * Runs every peer's timers (§6) at {@code nowNanos}: retries and gives up handshakes,
   * sends keepalives, starts handshakes for sessions presumed dead, erases old keys.
   */
  public void tick(long nowNanos) {
    for (WireGuardPeer peer : peers.values()) {
      tick(peer, nowNanos);
    }
  }

  private void tick(WireGuardPeer peer, long nowNanos) {
    // §6.4: an unanswered initiation is retried with a fresh ephemeral, until
    // REKEY-ATTEMPT-TIME has passed since the attempt began; then queued packets go
    if (due(peer.retransmitAtNanos, nowNanos)) {
      if (nowNanos - peer.attemptStartNanos >= REKEY_ATTEMPT_TIME_NANOS) {
        giveUp(peer);
      } else {
        initiate(peer, nowNanos, true);
      }
    }

    // §6.5: passive keepalive, data received and nothing sent since
    if (due(peer.keepaliveAtNanos, nowNanos)) {
      peer.keepaliveAtNanos = NONE;
      sendKeepalive(peer, nowNanos);
    }

    // §6.2: data sent, nothing received for KEEPALIVE-TIMEOUT + REKEY-TIMEOUT
    if (due(peer.newHandshakeAtNanos, nowNanos)) {
      peer.newHandshakeAtNanos = NONE;
      initiate(peer, nowNanos, false);
    }

    // §6.5: persistent keepalive, for peers behind NAT that must keep a mapping open
    if (peer.persistentKeepaliveNanos > 0 && (peer.lastSentNanos == NONE
        || nowNanos - peer.lastSentNanos >= peer.persistentKeepaliveNanos)) {
      if (!sendKeepalive(peer, nowNanos)) {
        initiate(peer, nowNanos, false);
      }
    }

    // §6.3: after 3 × REJECT-AFTER-TIME without a new keypair, every key of the peer's
    // sessions and handshake is erased
    if (peer.lastKeypairNanos != NONE
        && nowNanos - peer.lastKeypairNanos >= 3 * REJECT_AFTER_TIME_NANOS) {
      wipe(peer, WireGuardDropReason.OUT_HANDSHAKE_GAVE_UP);
    }
  }

  /**
   * The earliest time {@link #tick} has something to do, or {@link Long#MAX_VALUE}. A
   * caller may also tick on a fixed short period.
   */
  public long nextDeadlineNanos() {
    long deadline = Long.MAX_VALUE;
    for (WireGuardPeer peer : peers.values()) {
      deadline = earliest(deadline, peer.retransmitAtNanos);
      deadline = earliest(deadline, peer.keepaliveAtNanos);
      deadline = earliest(deadline, peer.newHandshakeAtNanos);
      if (peer.persistentKeepaliveNanos > 0 && peer.lastSentNanos != NONE) {
        deadline = earliest(deadline, peer.lastSentNanos + peer.persistentKeepaliveNanos);
      }
      if (peer.lastKeypairNanos != NONE) {
        deadline = earliest(deadline, peer.lastKeypairNanos + 3 * REJECT_AFTER_TIME_NANOS);
      }
    }
    return deadline;
  }

  private static long earliest(long deadline, long candidate) {
    return candidate == NONE ? deadline : Math.min(deadline, candidate);
  }

  private static boolean due(long deadlineNanos, long nowNanos) {
    return deadlineNanos != NONE && nowNanos - deadlineNanos >= 0;
  }

  private boolean sendKeepalive(WireGuardPeer peer, long nowNanos) {
    Keypair keypair = peer.current;
    if (keypair == null || !keypair.canSend(nowNanos) || peer.endpoint == null) {
      return false;
    }
    sendTransport(peer, keypair, null, nowNanos);
    return true;
  }

  private void giveUp(WireGuardPeer peer) {
    peer.retransmitAtNanos = NONE;
    peer.attemptStartNanos = NONE;
    clearHandshake(peer);
    dropQueue(peer, WireGuardDropReason.OUT_HANDSHAKE_GAVE_UP);
  }

  /**
   * Forgets every session and handshake of {@code peer}. TODO(#5): the JDK's key objects
   * inside each cipher keep a copy of the transport keys that cannot be wiped; they are
   * unreachable from here on and left to the garbage collector.
   */
  private void wipe(WireGuardPeer peer, WireGuardDropReason queueReason) {
    retire(peer.current);
    retire(peer.previous);
    retire(peer.next);
    peer.current = null;
    peer.previous = null;
    peer.next = null;
    clearHandshake(peer);
    peer.retransmitAtNanos = NONE;
    peer.attemptStartNanos = NONE;
    peer.keepaliveAtNanos = NONE;
    peer.newHandshakeAtNanos = NONE;
    peer.lastKeypairNanos = NONE;
    peer.cookie = null;
    peer.lastSentMac1 = null;
    dropQueue(peer, queueReason);
  }

  private void dropQueue(WireGuardPeer peer, WireGuardDropReason reason) {
    while (!peer.queue.isEmpty()) {
      peer.queue.removeFirst().release();
      drop(peer, reason);
    }
  }

  // ---------------------------------------------------------------- macs and cookies

  /**
   * §5.4.4 and §5.3: null if the message may go on; else the result of dropping it (bad
   * mac1) or of answering it with a cookie reply (under load, mac2 missing or wrong).
   */
  private ReceiveResult checkMacs(byte[] msg, int mac1Offset, int senderIndex,
      InetSocketAddress source, long nowNanos) {
    byte[] mac1 = Blake2s.mac(mac1Key, msg, 0, mac1Offset);
    if (!regionEquals(mac1, msg, mac1Offset)) {
      return drop(null, WireGuardDropReason.BAD_MAC1);
    }
    if (!measureLoad(nowNanos)) {
      return null;
    }
    int mac2Offset = mac1Offset + Blake2s.MAC_BYTES;
    byte[] cookie = cookieFor(source, nowNanos);
    byte[] mac2 = Blake2s.mac(cookie, msg, 0, mac2Offset);
    if (regionEquals(mac2, msg, mac2Offset)) {
      return null;
    }
    sendCookieReply(msg, mac1Offset, senderIndex, cookie, source);
    boolean absent = regionEquals(new byte[Blake2s.MAC_BYTES], msg, mac2Offset);
    drop(null, absent ? WireGuardDropReason.COOKIE_REQUIRED : WireGuardDropReason.BAD_MAC2);
    return ReceiveResult.COOKIE_SENT;
  }

  /**
   * Counts one handshake message that passed mac1 and says whether the device is under
   * load: forced, or more than {@link #handshakesPerSecondUnderLoad} in the current
   * one-second window, which keeps it so until the next window ends.
   */
  private boolean measureLoad(long nowNanos) {
    if (loadWindowStartNanos == NONE || nowNanos - loadWindowStartNanos >= LOAD_WINDOW_NANOS) {
      loadWindowStartNanos = nowNanos;
      handshakesInWindow = 0;
    }
    handshakesInWindow++;
    if (handshakesInWindow > handshakesPerSecondUnderLoad) {
      loadedUntilNanos = loadWindowStartNanos + 2 * LOAD_WINDOW_NANOS;
    }
    return isUnderLoad(nowNanos);
  }

  /** §5.4.7: τ = MAC(Rm, Am′), Rm a secret changing every two minutes, Am′ the source. */
  private byte[] cookieFor(InetSocketAddress source, long nowNanos) {
    if (cookieSecretNanos == NONE || nowNanos - cookieSecretNanos >= COOKIE_SECRET_LIFETIME_NANOS) {
      WireGuardKeys.zero(cookieSecret);
      cookieSecret = new byte[32];
      random.nextBytes(cookieSecret);
      cookieSecretNanos = nowNanos;
    }
    byte[] address = source.getAddress().getAddress();
    byte[] data = Arrays.copyOf(address, address.length + 2);
    data[address.length] = (byte) (source.getPort() >>> 8);
    data[address.length + 1] = (byte) source.getPort();
    return Blake2s.mac(cookieSecret, data, 0, data.length);
  }

  private void sendCookieReply(byte[] msg, int mac1Offset, int receiverIndex, byte[] cookie,
      InetSocketAddress source) {
    byte[] nonce = new byte[CookieReply.NONCE_BYTES];
    random.nextBytes(nonce);
    byte[] mac1 = Arrays.copyOfRange(msg, mac1Offset, mac1Offset + Blake2s.MAC_BYTES);
    byte[] sealed = ChaChaPoly.xseal(cookieKey, nonce, cookie, mac1);
    ByteBuf out = allocator.buffer(CookieReply.LENGTH_BYTES);
    cookieView.init(out, 0, receiverIndex);
    out.setBytes(CookieReply.NONCE_OFFSET, nonce);
    out.setBytes(CookieReply.COOKIE_OFFSET, sealed);
    out.writerIndex(CookieReply.LENGTH_BYTES);
    counters.packetOut(CookieReply.LENGTH_BYTES);
    output.send(null, source, out);
  }

  /** §5.4.4: mac1 to the peer's key, mac2 with its cookie if fresh, else zeros. */
  private void writeMacs(WireGuardPeer peer, ByteBuf out, int mac1Offset, long nowNanos) {
    byte[] head = new byte[mac1Offset + Blake2s.MAC_BYTES];
    out.getBytes(0, head, 0, mac1Offset);
    byte[] mac1 = Blake2s.mac(peer.mac1Key, head, 0, mac1Offset);
    out.setBytes(mac1Offset, mac1);
    peer.lastSentMac1 = mac1;
    System.arraycopy(mac1, 0, head, mac1Offset, mac1.length);
    int mac2Offset = mac1Offset + Blake2s.MAC_BYTES;
    if (peer.cookie != null && nowNanos - peer.cookieReceivedNanos < COOKIE_LIFETIME_NANOS) {
      out.setBytes(mac2Offset, Blake2s.mac(peer.cookie, head, 0, mac2Offset));
    } else {
      out.setZero(mac2Offset, Blake2s.MAC_BYTES);
    }
    out.writerIndex(mac2Offset + Blake2s.MAC_BYTES);
  }

  // ---------------------------------------------------------------- bookkeeping

  private int allocateIndex(WireGuardPeer peer) {
    // random and unique on the device, so that an index says nothing about how many
    // sessions exist and names exactly one (§5.4.2 "sender index ... chosen randomly")
    int index;
    do {
      long drawn = Integer.toUnsignedLong(random.nextInt());
      long inClass = drawn - Integer.remainderUnsigned((int) drawn, indexClasses) + indexClass;
      // the last multiple below 2^32 may leave no room for the class: take the one before
      index = (int) (inClass > 0xffff_ffffL ? inClass - indexClasses : inClass);
    } while (indices.containsKey(index));
    return index;
  }

  private void clearHandshake(WireGuardPeer peer) {
    if (peer.handshakeState == WireGuardPeer.HandshakeState.INITIATION_SENT) {
      IndexEntry entry = indices.get(peer.handshakeIndex);
      if (entry != null && entry.peer() == peer && entry.keypair() == null) {
        indices.remove(peer.handshakeIndex);
      }
    }
    peer.handshakeState = WireGuardPeer.HandshakeState.NONE;
    forgetHandshakeSecrets(peer);
  }

  private static void forgetHandshakeSecrets(WireGuardPeer peer) {
    if (peer.noise != null) {
      peer.noise.wipe();
      peer.noise = null;
    }
    WireGuardKeys.zero(peer.ephemeralPrivate);
    peer.ephemeralPrivate = null;
  }

  private void retire(Keypair keypair) {
    if (keypair != null) {
      IndexEntry entry = indices.get(keypair.localIndex);
      if (entry != null && entry.keypair() == keypair) {
        indices.remove(keypair.localIndex);
      }
    }
  }

  private void authenticated(WireGuardPeer peer, InetSocketAddress source, int lengthBytes,
      long nowNanos) {
    peer.counters.packetIn(lengthBytes);
    counters.packetIn(lengthBytes);
    peer.lastReceivedNanos = nowNanos;
    // §2.1: the endpoint is the source of the latest authenticated packet (roaming)
    if (source != null && !source.equals(peer.endpoint)) {
      peer.endpoint = source;
      output.endpointChanged(peer, source);
    }
  }

  private void emit(WireGuardPeer peer, ByteBuf datagram, long nowNanos) {
    int length = datagram.readableBytes();
    peer.counters.packetOut(length);
    counters.packetOut(length);
    peer.lastSentNanos = nowNanos;
    peer.keepaliveAtNanos = NONE;
    output.send(peer, peer.endpoint, datagram);
  }

  private ReceiveResult drop(WireGuardPeer peer, WireGuardDropReason reason) {
    counters.drop(reason);
    if (peer != null) {
      peer.counters.drop(reason);
    }
    output.dropped(peer, reason);
    return ReceiveResult.DROPPED;
  }

  private static WireGuardDropReason reasonOf(WireCheck check) {
    return switch (check) {
      case BAD_TYPE -> WireGuardDropReason.BAD_TYPE;
      case BAD_RESERVED -> WireGuardDropReason.BAD_RESERVED;
      case BAD_LENGTH, OK -> WireGuardDropReason.BAD_LENGTH;
    };
  }

  private static boolean regionEquals(byte[] expected, byte[] msg, int offset) {
    return java.security.MessageDigest.isEqual(expected,
        Arrays.copyOfRange(msg, offset, offset + expected.length));
  }

  private byte[] scratch(int bytes) {
    if (scratch.length < bytes) {
      scratch = new byte[bytes];
    }
    return scratch;
  }

  private static void wipeAll(byte[][] keys) {
    for (byte[] key : keys) {
      WireGuardKeys.zero(key);
    }
  }
}
