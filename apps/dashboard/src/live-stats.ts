import { call, type Stats } from './api.js';
import { poll } from './poll.js';
import { StatsHistory } from './stats-history.js';

export const STATS_POLL_MS = 3000;
export const STATS_WINDOW_MS = 5 * 60_000;

/** One poll's outcome: the stats, or why they could not be had. */
export type StatsUpdate = { at: number; stats: Stats; error?: undefined } | { at: number; stats?: undefined; error: unknown };

/**
 * GET /tasks/stats every few seconds for as long as the dashboard is open with a key, whatever
 * the view, so the overview's charts cover the whole session and not only the time it was shown.
 */
export const history = new StatsHistory(STATS_WINDOW_MS);
const listeners = new Set<(update: StatsUpdate) => void>();
let stopPolling: (() => void) | null = null;

export function startLiveStats(): void {
  if (stopPolling) return;
  stopPolling = poll(async () => {
    try {
      const stats = await call<Stats>('GET', '/tasks/stats');
      const at = Date.now();
      history.add({ at, stats });
      for (const listener of listeners) listener({ at, stats });
    } catch (error) {
      for (const listener of listeners) listener({ at: Date.now(), error });
      throw error;
    }
  }, STATS_POLL_MS);
}

export function stopLiveStats(): void {
  stopPolling?.();
  stopPolling = null;
}

/** Calls `listener` after each poll; returns the function that stops calling it. */
export function onStats(listener: (update: StatsUpdate) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
