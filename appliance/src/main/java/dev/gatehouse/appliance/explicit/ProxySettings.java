package dev.gatehouse.appliance.explicit;

import dev.gatehouse.core.log.ActivityLog;
import io.netty.channel.socket.SocketChannel;
import java.time.Duration;
import java.util.concurrent.Executor;

/**
 * What every client connection of one listener shares.
 *
 * @param listenerName the {@code tunnel} field of the activity records
 * @param activityLog where flow records go
 * @param connectTimeout bound on one dial to an origin, name lookup included
 * @param socketChannelType the origin channel class matching the event loops
 * @param resolver runs blocking name lookups off the event loops
 */
record ProxySettings(
    String listenerName,
    ActivityLog activityLog,
    Duration connectTimeout,
    Class<? extends SocketChannel> socketChannelType,
    Executor resolver) {}
