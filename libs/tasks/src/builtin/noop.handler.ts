import { Injectable } from '@nestjs/common';
import { TaskHandler } from '../registry/task-handler.decorator.js';
import type { TaskHandlerContract } from '../registry/task-handler.interface.js';

/** `noop` takes no fields. */
export class NoopPayload {}

/** Returns `{}` at once: the cheapest way to watch a task go end to end. */
@Injectable()
@TaskHandler({ type: 'noop', payload: NoopPayload, description: 'Does nothing and returns {} at once.' })
export class NoopHandler implements TaskHandlerContract<NoopPayload, Record<string, never>> {
  async run(): Promise<Record<string, never>> {
    return {};
  }
}
