import type { Type } from '@nestjs/common';

/** What one indicator reports: up or down, and when down, why (shown in `/ready`'s detail). */
export interface HealthIndicatorResult {
  up: boolean;
  problem?: string;
}

/**
 * One dependency `/ready` checks, in the manner of @nestjs/terminus: the lib that owns the
 * dependency provides the indicator (the database lib its Postgres ping, the messaging lib its
 * RabbitMQ connection) and the app lists them in {@link ObservabilityModule.forRoot}, so this
 * lib imports neither. A class matches by shape; it does not need to import this interface.
 */
export interface HealthIndicator {
  /** The key in `/ready`'s `checks` and `failed`: `postgres`, `rabbitmq`. */
  readonly name: string;
  check(): Promise<HealthIndicatorResult>;
}

/** The injection token of the app's indicators, in the order `/ready` reports them. */
export const HEALTH_INDICATORS = Symbol('HEALTH_INDICATORS');

/** The indicator classes an app registers; each must be a provider of a module the app imports. */
export type HealthIndicatorClass = Type<HealthIndicator>;
