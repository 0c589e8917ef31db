/**
 * Runs `tick` now and then `intervalMs` after each run ends (never two at once, so a slow API
 * is not asked again before it answered). Returns the function that stops it.
 */
export function poll(tick: () => Promise<void>, intervalMs: number): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = async () => {
    try {
      await tick();
    } catch {
      // Each view shows its own errors; the next tick tries again.
    }
    if (!stopped) timer = setTimeout(() => void run(), intervalMs);
  };
  void run();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
