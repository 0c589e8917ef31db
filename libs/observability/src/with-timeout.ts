/**
 * `promise`, or a rejection "no answer within `ms` ms" once that much time has passed: for the
 * checks and scrape-time reads that must answer a probe or a scrape quickly. The work itself is
 * not cancelled; its late answer is dropped.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
