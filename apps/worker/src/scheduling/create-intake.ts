import { type AppConfig, queuePriorityRank } from '#config';
import { type AmqpConnectionService, type Delivery, QueueConsumer } from '#messaging';
import { type MessageIntake, PullIntake, SubscribedIntake, type Slots } from './intake.js';
import { type PriorityPolicy, StrictPolicy, WeightedPolicy } from './priority-policy.js';

/** Rank of a work queue by its own priority: 0 for tasks.high (and any group's `.high`). */
export const queueRank = (queue: string): number => queuePriorityRank(queue);

/** The policy WORKER_PRIORITY_MODE names, for the queues of WORKER_QUEUES. */
export function priorityPolicy(worker: AppConfig['worker'], now: number = Date.now()): PriorityPolicy {
  const { queues, priority } = worker;
  if (priority.mode === 'weighted') return new WeightedPolicy(queues, priority.weights, priority.agingMs, queueRank, now);
  return new StrictPolicy(queues);
}

/**
 * How a worker takes its messages: with one queue, a subscription with a prefetch of
 * WORKER_PREFETCH; with several, a {@link PullIntake} that asks the queues for no more messages
 * than it has free slots. `parks`: some task type has a concurrency limit, so a message may wait
 * in the scheduler without a slot; a subscription's prefetch would count it and stop the queue,
 * so one queue is then taken by asking too (see PriorityScheduler).
 */
export function createIntake(amqp: AmqpConnectionService, worker: AppConfig['worker'], slots: Slots, parks = false): MessageIntake {
  const offer = (delivery: Delivery) => {
    if (!slots.offer(delivery)) delivery.nack(true);
  };
  if (worker.queues.length === 1 && !parks) {
    return new SubscribedIntake(new QueueConsumer(amqp, worker.queues[0], worker.prefetch, offer));
  }
  // The consumers call back into the intake built right after them.
  let intake: PullIntake | undefined;
  const consumers = worker.queues.map(
    (queue) =>
      new QueueConsumer(
        amqp,
        queue,
        1,
        (delivery) => intake!.watched(delivery),
        () => intake?.slotFreed(),
      ),
  );
  // Strict mode keeps one slot for the top queue while lower work runs (see PullIntake); with two
  // slots that would halve what the lower queues run at once, so only from three.
  const express = worker.expressSlot && worker.priority.mode === 'strict' && worker.prefetch >= 3;
  intake = new PullIntake(consumers, priorityPolicy(worker), slots, Date.now, { express });
  return intake;
}
