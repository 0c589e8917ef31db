import { Injectable } from '@nestjs/common';
import { IsIn, IsObject } from 'class-validator';
import { TASK_HANDLERS, TaskHandler, type TaskHandlerClass, type TaskHandlerContract } from '#tasks';

/** What {@link BadOutputHandler} hands back. */
export const BAD_OUTPUTS = ['nul-in-string', 'nul-in-key', 'lone-surrogate', 'bigint', 'cycle', 'too-big', 'error-with-nul'] as const;
export type BadOutput = (typeof BAD_OUTPUTS)[number];

export class BadOutputPayload {
  @IsIn(BAD_OUTPUTS)
  kind!: BadOutput;
}

/**
 * Test only (never in the deployment's list): returns a result Postgres cannot store, or throws
 * an error whose text it cannot store as it is.
 */
@Injectable()
@TaskHandler({ type: 'test.bad-output', payload: BadOutputPayload, description: 'Test only: a result or error Postgres cannot store as it is.' })
export class BadOutputHandler implements TaskHandlerContract<BadOutputPayload, unknown> {
  async run(payload: BadOutputPayload): Promise<unknown> {
    switch (payload.kind) {
      case 'nul-in-string':
        return { text: 'before\u0000after' };
      case 'nul-in-key':
        return { nested: { ['key\u0000']: 1 } };
      case 'lone-surrogate':
        return { text: 'half a pair: \uD83D' };
      case 'bigint':
        return { n: 2n ** 70n };
      case 'cycle': {
        const node: Record<string, unknown> = { name: 'loop' };
        node.self = node;
        return node;
      }
      case 'too-big':
        return { blob: 'x'.repeat(5000) };
      case 'error-with-nul':
        throw new Error('broken\u0000 text with half a pair \uDC00 inside');
    }
  }
}

/**
 * Holds handlers until the test opens it: {@link GatedHandler}s that are waiting all go on in
 * the same turn of the event loop, so their outcomes are ready together. Opening releases only
 * the handlers waiting then; a later one waits for the next opening.
 */
export class Gate {
  private waiters: (() => void)[] = [];

  /** Handlers waiting now. */
  get waiting(): number {
    return this.waiters.length;
  }

  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  open(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}

/** The gate every {@link GatedHandler} of this process waits at. */
export const TEST_GATE = new Gate();

export class GatedPayload {
  @IsObject()
  result!: Record<string, unknown>;
}

/** Test only: waits at {@link TEST_GATE}, then returns `payload.result`. */
@Injectable()
@TaskHandler({ type: 'test.gated', payload: GatedPayload, description: 'Test only: waits until the test opens the gate, then returns payload.result.' })
export class GatedHandler implements TaskHandlerContract<GatedPayload, unknown> {
  async run(payload: GatedPayload): Promise<unknown> {
    await TEST_GATE.wait();
    return payload.result;
  }
}

/** The deployment's handlers plus the test-only ones. */
export const TEST_HANDLERS: TaskHandlerClass[] = [...TASK_HANDLERS, BadOutputHandler, GatedHandler];
