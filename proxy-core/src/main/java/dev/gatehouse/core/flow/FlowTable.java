package dev.gatehouse.core.flow;

import dev.gatehouse.core.log.CloseReason;
import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The flows one event loop owns, by key. A plain map: only the owning loop touches it,
 * which every method asserts, so no lock is taken on the data path.
 */
public final class FlowTable {

  private final EventLoop owner;
  private final Map<FlowKey, Flow> flows = new HashMap<>();

  FlowTable(EventLoop owner) {
    this.owner = owner;
  }

  /** The flow with {@code key}, or {@code null}. */
  public Flow get(FlowKey key) {
    assert owner.inEventLoop() : "flow table touched off its loop";
    return flows.get(key);
  }

  void put(FlowKey key, Flow flow) {
    assert owner.inEventLoop() : "flow table touched off its loop";
    flows.put(key, flow);
  }

  /**
   * Puts {@code next} in the place of {@code flow}, if that is still the one under
   * {@code key}: a flow that becomes another kind once decided hands its key over.
   */
  public void replace(FlowKey key, Flow flow, Flow next) {
    assert owner.inEventLoop() : "flow table touched off its loop";
    flows.replace(key, flow, next);
  }

  /** Forgets {@code flow}, if it is still the one under {@code key}. */
  public void remove(FlowKey key, Flow flow) {
    assert owner.inEventLoop() : "flow table touched off its loop";
    flows.remove(key, flow);
  }

  /** How many flows are open on this loop. */
  public int size() {
    assert owner.inEventLoop() : "flow table touched off its loop";
    return flows.size();
  }

  /** Closes, for {@code reason}, every flow {@code ends} picks; each leaves the table as it closes. */
  public int closeIf(Predicate<Flow> ends, CloseReason reason) {
    assert owner.inEventLoop() : "flow table touched off its loop";
    List<Flow> ending = flows.values().stream().filter(ends).toList();
    for (Flow flow : ending) {
      flow.close(reason);
    }
    return ending.size();
  }

  /** Closes every flow for {@code reason}; each leaves the table as it closes. */
  void closeAll(CloseReason reason) {
    assert owner.inEventLoop() : "flow table touched off its loop";
    List<Flow> open = new ArrayList<>(flows.values());
    for (Flow flow : open) {
      flow.close(reason);
    }
    flows.clear();
  }
}
