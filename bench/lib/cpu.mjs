// Where a step's CPU went: CPU seconds per process group (each app, PostgreSQL, RabbitMQ, Redis,
// the benchmark process itself), read from /proc on Linux. On a machine where every part shares
// the same cores, this is what bounds a figure such as create-to-complete: the parts' CPU per
// task, added up, against the cores there are.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Fields of /proc/<pid>/stat, or null when the process is gone. The name may hold spaces. */
function stat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    const rest = text.slice(close + 2).split(' ');
    return {
      comm: text.slice(text.indexOf('(') + 1, close),
      ppid: Number(rest[1]),
      own: (Number(rest[11]) + Number(rest[12])) / TICKS,
      reaped: (Number(rest[13]) + Number(rest[14])) / TICKS,
    };
  } catch {
    return null;
  }
}

const SERVICES = { postgres: 'postgres', 'beam.smp': 'rabbitmq', 'redis-server': 'redis' };

/**
 * CPU seconds so far, by group. `apps` lists [name, pid] pairs (the apps this run started; two
 * processes of one name add up). A
 * service's total is every process of that name plus, for its parent process, the children it
 * has reaped: PostgreSQL's backends come and go with their connections, and an exited backend's
 * CPU is in its postmaster's counters from then on.
 */
export function cpuSnapshot(apps) {
  const groups = {};
  const add = (group, seconds) => (groups[group] = (groups[group] ?? 0) + seconds);
  const byPid = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(entry);
    if (s) byPid.set(Number(entry), s);
  }
  for (const s of byPid.values()) {
    const group = SERVICES[s.comm];
    if (!group) continue;
    const parent = byPid.get(s.ppid);
    add(group, s.own + (parent?.comm === s.comm ? 0 : s.reaped));
  }
  for (const [app, pid] of apps) {
    const s = byPid.get(pid);
    if (s) add(app, s.own);
  }
  const self = process.cpuUsage();
  add('bench', (self.user + self.system) / 1e6);
  return { at: performance.now(), groups };
}

/** CPU seconds by group between two snapshots, and the wall-clock seconds between them. */
export function cpuDelta(before, after) {
  const groups = {};
  for (const [group, seconds] of Object.entries(after.groups)) {
    if (group in before.groups) groups[group] = Math.max(0, seconds - before.groups[group]);
  }
  return { wallSeconds: (after.at - before.at) / 1000, groups };
}
