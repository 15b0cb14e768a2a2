package dev.gatehouse.testbed;

import com.github.dockerjava.api.command.InspectContainerResponse;
import java.time.Duration;
import org.testcontainers.containers.ContainerLaunchException;
import org.testcontainers.containers.wait.strategy.AbstractWaitStrategy;

/**
 * Waits until Docker reports the container healthy, and fails at once when it exits, with
 * its exit code. Testcontainers' own health-check wait keeps polling an exited container
 * until its timeout, so an appliance that refuses its configuration would cost a minute.
 */
final class HealthyOrExitedWait extends AbstractWaitStrategy {
  private static final Duration POLL_INTERVAL = Duration.ofMillis(200);

  HealthyOrExitedWait() {
    withStartupTimeout(Duration.ofSeconds(60));
  }

  @Override
  protected void waitUntilReady() {
    long deadlineNanos = System.nanoTime() + startupTimeout.toNanos();
    while (System.nanoTime() < deadlineNanos) {
      InspectContainerResponse.ContainerState state = waitStrategyTarget.getCurrentContainerInfo().getState();
      if (!Boolean.TRUE.equals(state.getRunning())) {
        throw new ContainerLaunchException("container exited with code " + state.getExitCodeLong()
            + " before it became healthy");
      }
      if (state.getHealth() != null && "healthy".equals(state.getHealth().getStatus())) {
        return;
      }
      try {
        Thread.sleep(POLL_INTERVAL);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ContainerLaunchException("interrupted while waiting for the container to become healthy", e);
      }
    }
    throw new ContainerLaunchException("container not healthy within " + startupTimeout);
  }
}
