package dev.gatehouse.appliance.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gatehouse.appliance.reload.ReloadOutcome;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The body of {@code POST /policies/reload} for outcomes a running server is slow to reach. */
class PolicyEndpointsAnswerTest {

  @Test
  void listsWhatTunnelsAppliedInPlaceBeforeWhatNeedsARestart() {
    PolicyEndpoints.Answer answer = PolicyEndpoints.answer(new ReloadOutcome.Reloaded(2,
        List.of("tunnels.sites.private-key"), List.of("sites: peer lyon added")));

    assertEquals(200, answer.status().code());
    assertEquals("{\"status\":\"reloaded\",\"policies\":2,\"tunnels-applied\":[\"sites: peer lyon added\"],"
        + "\"restart-needed\":[\"tunnels.sites.private-key\"]}", answer.json());
  }
}
