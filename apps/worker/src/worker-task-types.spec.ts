import { checkBatchSizes, selectWorkerTaskTypes, WorkerBatchSizeError, WorkerTaskTypesError } from './worker-task-types.js';

const TYPES = [{ type: 'noop' }, { type: 'sleep' }, { type: 'report.build', queueGroup: 'reports' }, { type: 'report.mail', queueGroup: 'reports' }];
const DEFAULT_QUEUES = ['tasks.high', 'tasks.medium', 'tasks.low'];
const REPORT_QUEUES = ['reports.high', 'reports.medium', 'reports.low'];

function problemsOf(queues: string[], taskTypes: string[] | null): string[] {
  try {
    selectWorkerTaskTypes(TYPES, queues, taskTypes);
  } catch (error) {
    if (error instanceof WorkerTaskTypesError) return error.problems;
    throw error;
  }
  throw new Error('selectWorkerTaskTypes accepted the configuration');
}

describe(selectWorkerTaskTypes.name, () => {
  it('registers every type when WORKER_TASK_TYPES is empty', () => {
    expect(selectWorkerTaskTypes(TYPES, DEFAULT_QUEUES, null)).toEqual(['noop', 'sleep', 'report.build', 'report.mail']);
  });

  it('registers only the named types of a pool that serves their group alone', () => {
    expect(selectWorkerTaskTypes(TYPES, REPORT_QUEUES, ['report.build', 'report.mail'])).toEqual(['report.build', 'report.mail']);
  });

  it('lets a default worker leave out the types of a group it does not serve', () => {
    expect(selectWorkerTaskTypes(TYPES, DEFAULT_QUEUES, ['noop', 'sleep'])).toEqual(['noop', 'sleep']);
  });

  it('refuses a pool whose group queues carry a type it leaves out, naming the type and the queues', () => {
    const sut = problemsOf(['reports.high', 'reports.low'], ['report.build']);

    expect(sut).toEqual([
      expect.stringContaining('WORKER_QUEUES carries task types that WORKER_TASK_TYPES leaves out: report.mail (on reports.high, reports.low)'),
    ]);
  });

  it('refuses a worker on the default queues that leaves out a default type', () => {
    const sut = problemsOf(['tasks.medium'], ['noop']);

    expect(sut).toEqual([expect.stringContaining('sleep (on tasks.medium)')]);
  });

  it('refuses a type no handler registers and a queue of no group, with every problem at once', () => {
    const sut = problemsOf(['tasks.high', 'repots.high'], ['noop', 'sleep', 'report.bild']);

    expect(sut).toEqual([
      'WORKER_TASK_TYPES names report.bild, which no handler registers (types: noop, report.build, report.mail, sleep)',
      'WORKER_QUEUES names repots.high, a queue of no queue group a task type declares (groups: reports, tasks)',
    ]);
  });

  it('puts every problem in the error message', () => {
    expect(() => selectWorkerTaskTypes(TYPES, REPORT_QUEUES, ['report.build'])).toThrow(
      /cannot start with this WORKER_QUEUES and WORKER_TASK_TYPES:\n {2}- .*report\.mail/,
    );
  });
});

describe(checkBatchSizes.name, () => {
  const types = [{ type: 'noop' }, { type: 'rows.insert', batch: { size: 50 } }];

  it('accepts a batch size up to WORKER_PREFETCH', () => {
    expect(() => checkBatchSizes(types, 50)).not.toThrow();
  });

  it('refuses a batch size above WORKER_PREFETCH, naming the type, both numbers and the fix', () => {
    const sut = () => checkBatchSizes(types, 20);

    expect(sut).toThrow(WorkerBatchSizeError);
    expect(sut).toThrow(
      'task type rows.insert gathers batches of up to 50 tasks (batch.size) but WORKER_PREFETCH is 20: a batch is gathered from tasks that hold a slot each. ' +
        'Set WORKER_PREFETCH to at least 50, or lower batch.size',
    );
  });
});
