import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;

interface Report {
  seed: number;
  created: number;
  faults: Record<string, number>;
  checks: { name: string; count: number; ok: boolean; examples: string[] }[];
}

/**
 * A short run of `npm run soak`: about a minute of faults (SIGKILL of any app, a RabbitMQ and a
 * PostgreSQL restart, connections closed by the broker, a worker paused, a queue purged) on a private broker and
 * database, then the audit. Every check must come out at zero. The seed is printed; set
 * SOAK_SEED to run the same schedule again.
 */
describe('soak', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'soak-spec-'));
    const build = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.soak.json')], { encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`building the soak failed:\n${build.stdout}${build.stderr}`);
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses nothing, finishes nothing twice, never runs one task twice at once, and keeps the ladder under a minute of faults', async () => {
    const reportFile = join(dir, 'report.json');
    const args = [
      '--minutes',
      '1',
      '--settle-seconds',
      '40',
      '--rate',
      '4',
      '--report',
      reportFile,
      ...(process.env.SOAK_SEED ? ['--seed', process.env.SOAK_SEED] : []),
    ];
    const output: string[] = [];
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [join(ROOT, 'dist/test/soak/soak.js'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      child.once('exit', resolve);
    });
    process.stdout.write(output.join(''));
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report;

    expect(report.created).toBeGreaterThan(50);
    // Each kind of fault happened at least once (the schedule plays every kind first).
    expect(Object.keys(report.faults).sort()).toEqual(['close-connections', 'kill', 'pause-worker', 'purge', 'restart-postgres', 'restart-rabbitmq']);
    expect(report.checks.filter((c) => !c.ok).map((c) => ({ check: c.name, count: c.count, examples: c.examples }))).toEqual([]);
    expect(code).toBe(0);
  }, 240_000);
});
