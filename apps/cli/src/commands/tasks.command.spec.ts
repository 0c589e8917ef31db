import type { CliDependencies } from '../context.js';
import { runCli } from '../program.js';

const TASK_ID = '4f6c0a52-5d0e-4c57-9a0e-0a4b1f1e3c2d';

/** The command line against one fixed answer of the API. */
function answering(status: number, body: unknown) {
  const out: string[] = [];
  const deps: CliDependencies = {
    env: { TASK_SERVICE_URL: 'http://api.test:3000' },
    stdout: (t) => out.push(t),
    stderr: () => undefined,
    runApp: async () => 0,
    fetch: async () => new Response(JSON.stringify(body), { status }),
  };
  return { deps, stdout: () => out.join('') };
}

describe('tasks cancel', () => {
  it.each([
    [200, 'CANCELLED', false, `cancelled: ${TASK_ID} is CANCELLED`],
    [202, 'IN_PROGRESS', true, `cancellation requested: ${TASK_ID} is running and will end CANCELLED`],
  ])('reads a %i answer (the task %s) as accepted: %s', async (status, taskStatus, accepted, line) => {
    const task = { id: TASK_ID, status: taskStatus };

    const json = answering(status, task);
    expect(await runCli(['tasks', 'cancel', TASK_ID, '--json'], json.deps)).toBe(0);
    expect(JSON.parse(json.stdout())).toEqual({ accepted, task });

    const human = answering(status, task);
    expect(await runCli(['tasks', 'cancel', TASK_ID], human.deps)).toBe(0);
    expect(human.stdout()).toBe(`${line}\n`);
  });
});
