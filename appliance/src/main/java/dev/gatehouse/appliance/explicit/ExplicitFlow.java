package dev.gatehouse.appliance.explicit;

import dev.gatehouse.core.log.ActivityEvent;
import dev.gatehouse.core.log.ActivityLog;
import dev.gatehouse.core.log.ActivityRecord;
import dev.gatehouse.core.log.CloseReason;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One proxied flow and its activity records: a CONNECT tunnel, or one client
 * connection's run of plain requests to one origin. It writes a start record once the
 * origin connected and exactly one end record, whatever ends it.
 *
 * <p>The close reason is decided by the first event that explains the end (the first FIN,
 * reset or error); {@link #endForcibly} overrides it for ends the proxy imposes (idle
 * timeout, shutdown). Lives on the client's event loop, like everything about the flow.
 */
final class ExplicitFlow {

  private static final Logger LOG = LoggerFactory.getLogger(ExplicitFlow.class);

  static final String TRANSPORT = "tcp";
  static final String TUNNEL_TYPE = "explicit-proxy";
  /** Explicit proxying has no virtual networks; everything is in the default one. */
  static final int VIRTUAL_NETWORK = 0;
  /** The activity log's value for a duration that was not measured. */
  static final long NOT_MEASURED = -1;

  private final ActivityLog activityLog;
  private final String listenerName;
  private final String sessionId;
  private final Instant startTime;
  private final InetSocketAddress source;
  private final OriginAddress origin;

  private InetSocketAddress destination;
  private InetSocketAddress egress;
  private TrafficCounter counter;
  private long originHandshakeMillis = NOT_MEASURED;
  private CloseReason closeReason;
  private boolean ended;

  ExplicitFlow(ActivityLog activityLog, String listenerName, InetSocketAddress source,
      OriginAddress origin) {
    this.activityLog = activityLog;
    this.listenerName = listenerName;
    this.sessionId = newSessionId();
    this.startTime = Instant.now();
    this.source = source;
    this.origin = origin;
    this.destination = InetSocketAddress.createUnresolved(origin.host(), origin.port());
  }

  String sessionId() {
    return sessionId;
  }

  boolean ended() {
    return ended;
  }

  /** The origin connected: remembers where and how fast, and writes the start record. */
  void established(DialOutcome.Connected connected) {
    Channel channel = connected.channel();
    destination = connected.address();
    egress = (InetSocketAddress) channel.localAddress();
    counter = channel.pipeline().get(TrafficCounter.class);
    originHandshakeMillis = TimeUnit.NANOSECONDS.toMillis(connected.dialNanos());
    LOG.debug("flow={} event=established origin={} destination={} egress={} dialMillis={}",
        sessionId, origin, destination, egress, originHandshakeMillis);
    activityLog.record(toRecord(ActivityEvent.SESSION_START, null, null));
  }

  /** No origin answered: the flow ends before it started. */
  void failed(DialOutcome.Failed failed) {
    destination = failed.lastAddress();
    end(failed.failure().closeReason());
  }

  /** Keeps {@code reason} if no earlier event decided why the flow ends. */
  void noteCloseReason(CloseReason reason) {
    if (closeReason == null) {
      closeReason = reason;
    }
  }

  /** Ends the flow, with {@code reason} unless an earlier event decided otherwise. */
  void end(CloseReason reason) {
    noteCloseReason(reason);
    writeEnd();
  }

  /** Ends the flow for a reason the proxy imposes, whatever happened before. */
  void endForcibly(CloseReason reason) {
    if (!ended) {
      closeReason = reason;
    }
    writeEnd();
  }

  private void writeEnd() {
    if (ended) {
      return;
    }
    ended = true;
    LOG.debug("flow={} event=end origin={} reason={}", sessionId, origin, closeReason);
    activityLog.record(toRecord(ActivityEvent.SESSION_END, Instant.now(), closeReason));
  }

  private ActivityRecord toRecord(ActivityEvent event, Instant endTime, CloseReason reason) {
    boolean counted = counter != null;
    return new ActivityRecord(
        event,
        sessionId,
        startTime,
        endTime,
        TRANSPORT,
        source,
        // the client socket's address is all the proxy sees of where the client is
        source.getAddress(),
        destination,
        origin.hostNameOrNull(),
        // the proxy reads no ClientHello, and its request target is in DestinationHost
        null,
        null,
        egress,
        listenerName,
        TUNNEL_TYPE,
        null, // a listener serves no site
        VIRTUAL_NETWORK,
        counted ? counter.bytesToOrigin() : 0,
        counted ? counter.bytesFromOrigin() : 0,
        counted ? counter.writesToOrigin() : 0,
        counted ? counter.readsFromOrigin() : 0,
        // The client's handshake was completed by the kernel before the proxy saw the
        // connection: its duration is not observable from a socket.
        NOT_MEASURED,
        originHandshakeMillis,
        // TODO(#9): decide explicit-proxy flows by the same policies (Host, SNI from the
        // CONNECT stream, addresses); until then there is no verdict to record.
        null,
        null,
        NOT_MEASURED,
        null,
        reason,
        null);
  }

  /** 128 random bits in hex: unique enough for a log key, not a secret. */
  private static String newSessionId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    HexFormat hex = HexFormat.of();
    return hex.toHexDigits(random.nextLong()) + hex.toHexDigits(random.nextLong());
  }
}
