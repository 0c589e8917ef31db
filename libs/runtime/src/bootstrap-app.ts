import 'reflect-metadata';
import { setFlagsFromString } from 'node:v8';
import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type AppConfig, ConfigError, loadConfig, loadDotEnv, productionWarning } from '#config';
import { AppLogger } from '#observability';

export interface AppDefinition {
  /** `api`, `relay` or `worker`: used in log lines. */
  name: string;
  module: (config: AppConfig) => Type<unknown> | DynamicModule | Promise<DynamicModule>;
  port: (config: AppConfig) => number;
  /** Extra set-up of the HTTP app before it listens (the API's pipes, filters, body limit). */
  configure?: (app: NestFastifyApplication, config: AppConfig) => void | Promise<void>;
  /** Options of the Fastify instance. */
  fastify?: (config: AppConfig) => ConstructorParameters<typeof FastifyAdapter>[0];
  /** True for the API: it warns about an empty API_KEYS in production. */
  servesApi?: boolean;
}

/** The logger of the app this process started, once it has one. */
let started: { logger: AppLogger } | undefined;

/**
 * Reads `.env` when there is one (variables already set win), then parses the configuration:
 * a bad value prints every problem and exits with code 1 before anything connects.
 */
export function loadConfigOrExit(): AppConfig {
  loadDotEnv();
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\nSee .env.example for every variable and its default.\n`);
      process.exit(1);
    }
    throw error;
  }
}

/**
 * Builds and starts one app over Fastify. SIGTERM and SIGINT close it gracefully (each
 * module's shutdown hooks drain their own work) and exit 0; a second signal exits at once.
 */
export async function bootstrapApp(definition: AppDefinition): Promise<INestApplication> {
  const config = loadConfigOrExit();
  const logger = appLogger(config, definition.name);
  started = { logger };
  const warning = productionWarning(config, { servesApi: definition.servesApi === true });
  if (warning) logger.warn(warning, 'Security');
  const app = await NestFactory.create<NestFastifyApplication>(await definition.module(config), new FastifyAdapter(definition.fastify?.(config)), {
    logger,
    bufferLogs: false,
  });
  await definition.configure?.(app, config);
  await app.listen(definition.port(config), '0.0.0.0');
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : definition.port(config);
  // Tests, the soak and the benchmarks wait for "listening on port N" in this line's message.
  logger.log(`${definition.name} listening on port ${port}`, 'Bootstrap');

  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) {
      logger.warn(`${signal} again: exiting now`, 'Bootstrap');
      process.exit(1);
    }
    closing = true;
    logger.log(`${signal} received: shutting down gracefully`, 'Bootstrap');
    app.close().then(
      () => {
        logger.log(`${definition.name} stopped`, 'Bootstrap');
        process.exit(0);
      },
      (error: Error) => {
        logger.error(`shutdown failed: ${error.message}`, error, 'Bootstrap');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  return app;
}

/**
 * The logger of one app: JSON lines on standard output at LOG_LEVEL (pretty with
 * LOG_FORMAT=pretty), each with `app`, and the API keys scrubbed from every line.
 */
export function appLogger(config: AppConfig, app: string): AppLogger {
  return new AppLogger({ level: config.logLevel, format: config.logFormat, app, secrets: config.api.keys });
}

/** Starts an app and turns a start-up failure into one line and exit code 1. */
export function runApp(definition: AppDefinition): void {
  limitOldGenerationGrowth();
  bootstrapApp(definition).catch((error: Error) => {
    if (started) started.logger.error(`${definition.name} failed to start: ${error.message}`, error, 'Bootstrap');
    else process.stderr.write(`${definition.name} failed to start: ${error.message}\n`);
    process.exit(1);
  });
}

/** What every app's old generation may grow to between major collections, in percent of what survived the last one. */
export const HEAP_GROWING_PERCENT = 50;

/**
 * V8 lets the old generation grow to up to four times what survived the last major collection
 * before it collects again. Each app keeps little (a live heap of 25 to 45 MB, mostly code), but
 * the objects of a request, a delivery or a relay batch live across a round trip, long enough to
 * be promoted, and with the default growth that promoted garbage took the api to 270 MB, the
 * worker to 170 and the relay to 155 under load with nothing leaking. At 50 % a major collection
 * comes about once a second under load (a few ms each) and the peaks fell to about 175, 110 and
 * 115 MB (documents/architecture.md, "Memory"). V8 reads the flag at every collection, so setting
 * it here, before the app starts, holds; `node --heap-growing-percent=N` on the command line wins
 * (V8 does not take it from NODE_OPTIONS).
 */
function limitOldGenerationGrowth(): void {
  if (process.execArgv.some((arg) => arg.startsWith('--heap-growing-percent'))) return;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
