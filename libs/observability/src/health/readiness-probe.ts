import { Inject, Injectable } from '@nestjs/common';
import { HEALTH_INDICATORS, type HealthIndicator } from './health-indicator.js';
import { withTimeout } from '../with-timeout.js';

/** How long one indicator may take before `/ready` counts it down. Well inside the probes' own time-outs (3 s in deploy/kubernetes). */
export const READINESS_CHECK_TIMEOUT_MS = 1000;
/** How long an answer serves further probes: a flood of them checks Postgres and the broker once a second. */
export const READINESS_CACHE_MS = 1000;

export interface ReadinessReport {
  ready: boolean;
  results: { name: string; up: boolean; problem?: string }[];
}

/**
 * The checks behind `/ready`: every indicator at once, each bounded by
 * {@link READINESS_CHECK_TIMEOUT_MS}. One run at a time: probes that arrive while it runs wait
 * for its answer, and that answer serves every probe for {@link READINESS_CACHE_MS} after it, so
 * the load on Postgres does not grow with the number of probes.
 */
@Injectable()
export class ReadinessProbe {
  private cached?: { until: number; report: ReadinessReport };
  private running?: Promise<ReadinessReport>;

  constructor(@Inject(HEALTH_INDICATORS) private readonly indicators: HealthIndicator[]) {}

  check(): Promise<ReadinessReport> {
    if (this.cached && Date.now() < this.cached.until) return Promise.resolve(this.cached.report);
    this.running ??= this.run()
      .then((report) => {
        this.cached = { until: Date.now() + READINESS_CACHE_MS, report };
        return report;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async run(): Promise<ReadinessReport> {
    const results = await Promise.all(
      this.indicators.map(async (indicator) => ({
        name: indicator.name,
        ...(await withTimeout(indicator.check(), READINESS_CHECK_TIMEOUT_MS).catch((error: Error) => ({ up: false, problem: error.message }))),
      })),
    );
    return { ready: results.every((r) => r.up), results };
  }
}
