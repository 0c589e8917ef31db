import { execFileSync } from 'node:child_process';
import type { Server } from 'node:http';
import type { DynamicModule, INestApplication, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import amqplib, { type Channel, type ChannelModel, type GetMessage } from 'amqplib';
import pg from 'pg';
import { type AppConfig, loadConfig, postgresConnectionOptions } from '#config';
import { migrate } from '#database';
import { AppLogger } from '#observability';
import { MIGRATIONS } from '../../../migrations/index.js';
import type { TaskHandlerClass } from '#tasks';
import { ApiModule } from '../../../apps/api/src/api.module.js';
import { apiFastifyOptions, configureHttp } from '../../../apps/api/src/http/configure-http.js';
import type { RouteTable } from '../../../apps/api/src/http/route-table.js';
import type { OpenAPIObject } from '@nestjs/swagger';
import { type AppName, AppProcess } from './app-process.js';
import { RelayModule } from '../../../apps/relay/src/relay.module.js';
import { WorkerModule } from '../../../apps/worker/src/worker.module.js';

/** The in-process API: supertest takes `getHttpServer()`. */
export interface ApiUnderTest {
  app: INestApplication;
  routes: RouteTable;
  document: OpenAPIObject;
  getHttpServer(): Server;
}

/**
 * One integration suite's own world: a database `tasks_test_<name>` migrated from scratch and a
 * RabbitMQ vhost `tasks_test_<name>`, both dropped again at the end, so suites run side by side
 * and twice in a row. Apps run in-process on the real Postgres and RabbitMQ.
 */
export class Suite {
  readonly database: string;
  readonly vhost: string;
  readonly amqpUrl: string;
  /** Plain pg connection for the test's own assertions. */
  sql!: pg.Pool;
  private broker?: ChannelModel;
  private readonly apps: INestApplicationContext[] = [];
  private readonly processes: AppProcess[] = [];

  private constructor(
    readonly name: string,
    private readonly suiteEnv: Record<string, string>,
    private readonly migrated: boolean,
  ) {
    // The pid keeps two runs of one suite (two terminals, two CI jobs) apart.
    this.database = `tasks_test_${name}_${process.pid}`;
    this.vhost = this.database;
    this.amqpUrl = `amqp://guest:guest@127.0.0.1:5672/${this.vhost}`;
  }

  /** `migrate: false` leaves the database empty (created, no schema), for a suite that migrates it its own way. */
  static async create(name: string, env: Record<string, string> = {}, options: { migrate?: boolean } = {}): Promise<Suite> {
    const suite = new Suite(name, env, options.migrate !== false);
    await suite.setUp();
    return suite;
  }

  /** The suite's configuration: the environment, its database and vhost, its env, then `overrides`. */
  config(overrides: Record<string, string> = {}): AppConfig {
    return loadConfig({ ...process.env, ...this.env({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error', ...overrides }) });
  }

  private async setUp(): Promise<void> {
    await dropLeftovers();
    await dropDatabase(this.database);
    rabbitmqctl('delete_vhost', this.vhost, { ignoreFailure: true });
    rabbitmqctl('add_vhost', this.vhost);
    rabbitmqctl('set_permissions', '-p', this.vhost, 'guest', '.*', '.*', '.*');
    if (this.migrated) await migrate(this.config(), MIGRATIONS);
    else await createDatabase(this.database);
    this.sql = new pg.Pool({ ...postgresConnectionOptions(this.config().postgres, this.database), max: 4 });
    // An idle connection that ends (a test restarting or cutting off Postgres) is dropped by the
    // pool; a test that needs it fails on its next query. Unheard, the event would end the run.
    this.sql.on('error', () => undefined);
  }

  /** Kills every process this suite started (SIGKILL), e.g. between tests. */
  async killProcesses(): Promise<void> {
    await Promise.all(this.processes.splice(0).map((p) => p.kill()));
  }

  async teardown(): Promise<void> {
    await this.killProcesses();
    for (const app of this.apps.splice(0).reverse()) await app.close().catch(() => undefined);
    await this.broker?.close().catch(() => undefined);
    await this.sql?.end();
    await dropDatabase(this.database);
    rabbitmqctl('delete_vhost', this.vhost, { ignoreFailure: true });
  }

  /** The API over Fastify, ready for supertest: `request(api.getHttpServer())`. */
  /**
   * The API in-process (no Swagger UI files: see configureHttp), with its route table and
   * OpenAPI document. Suites that need the real process use {@link startApiProcess}. `handlers`
   * replaces the deployment's handler list (for test-only task types).
   */
  async startApi(overrides: Record<string, string> = {}, handlers?: readonly TaskHandlerClass[]): Promise<ApiUnderTest> {
    const config = this.config(overrides);
    const module = await ApiModule.forRoot(config, handlers);
    const app = await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter(apiFastifyOptions(config)), {
      logger: new AppLogger({ level: config.logLevel, format: config.logFormat, out: process.stderr }),
    });
    const { routes, document } = await configureHttp(app, config, { serveDocs: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    this.apps.push(app);
    return { app, routes, document, getHttpServer: () => app.getHttpServer() };
  }

  /** The relay in-process; `handlers` replaces the deployment's handler list (its retry policies' delay queues, its queue groups). */
  async startRelay(overrides: Record<string, string> = {}, handlers?: readonly TaskHandlerClass[]): Promise<INestApplicationContext> {
    return this.startContext((config) => RelayModule.forRoot(config, handlers), overrides);
  }

  /** A worker in-process; `handlers` replaces the deployment's handler list (for test-only task types). */
  async startWorker(overrides: Record<string, string> = {}, handlers?: readonly TaskHandlerClass[]): Promise<INestApplicationContext> {
    return this.startContext((config) => WorkerModule.forRoot(config, handlers), overrides);
  }

  /** Relay or worker in-process, without HTTP (their health endpoints are checked on real processes). */
  private async startContext(module: (config: AppConfig) => DynamicModule, overrides: Record<string, string>): Promise<INestApplicationContext> {
    const config = this.config(overrides);
    const app = await NestFactory.createApplicationContext(module(config), {
      logger: new AppLogger({ level: config.logLevel, format: config.logFormat, out: process.stderr }),
    });
    await app.init();
    this.apps.push(app);
    return app;
  }

  /** The environment a real process of this suite runs with. */
  env(overrides: Record<string, string> = {}): Record<string, string> {
    return {
      POSTGRES_DB: this.database,
      RABBITMQ_URL: this.amqpUrl,
      OUTBOX_POLL_INTERVAL: '200',
      RETRY_DELAYS_SECONDS: '1',
      ...this.suiteEnv,
      ...overrides,
    };
  }

  /** api, relay or worker as a real process on this suite's database and vhost; killed at teardown. */
  async startProcess(name: AppName, overrides: Record<string, string> = {}, timeoutMs?: number): Promise<AppProcess> {
    const app = await AppProcess.start(name, this.env(overrides), timeoutMs);
    this.processes.push(app);
    return app;
  }

  /** Stops one app the way SIGTERM would, and forgets it. */
  async stop(app: INestApplicationContext): Promise<void> {
    const index = this.apps.indexOf(app);
    if (index >= 0) this.apps.splice(index, 1);
    await app.close();
  }

  /** A channel on the suite's vhost, for looking into queues. */
  async channel(): Promise<Channel> {
    this.broker ??= await amqplib.connect(this.amqpUrl);
    return this.broker.createChannel();
  }

  async queueDepth(queue: string): Promise<number> {
    const channel = await this.channel();
    try {
      return (await channel.checkQueue(queue)).messageCount;
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  /** A connected client of its own on the suite's database (for LISTEN); the caller ends it. */
  async pgClient(): Promise<pg.Client> {
    const client = new pg.Client(postgresConnectionOptions(this.config().postgres, this.database));
    await client.connect();
    return client;
  }

  /** Takes every message out of `queue` (acknowledged) and returns them. */
  async drainQueue(queue: string): Promise<GetMessage[]> {
    const channel = await this.channel();
    const messages: GetMessage[] = [];
    try {
      for (;;) {
        const message = await channel.get(queue, { noAck: true });
        if (!message) return messages;
        messages.push(message);
      }
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  async taskStatus(id: string): Promise<string | undefined> {
    const { rows } = await this.sql.query<{ status: string }>('SELECT status FROM tasks WHERE id = $1', [id]);
    return rows[0]?.status;
  }
}

/** Databases and vhosts of runs whose process is gone (killed before its teardown). */
async function dropLeftovers(): Promise<void> {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const admin = new pg.Client(postgresConnectionOptions(loadConfig(process.env).postgres, 'postgres'));
  await admin.connect();
  try {
    // Only databases nobody is connected to: a pid that looks gone may belong to a run this
    // process cannot see (another container or pid namespace on the same PostgreSQL).
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT d.datname FROM pg_database d
        WHERE d.datname ~ '^tasks_test_.*_[0-9]+$'
          AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)`,
    );
    for (const { datname } of rows) {
      const pid = Number(/_(\d+)$/.exec(datname)![1]);
      if (alive(pid)) continue;
      await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      rabbitmqctl('delete_vhost', datname, { ignoreFailure: true });
    }
  } finally {
    await admin.end();
  }
}

async function createDatabase(name: string): Promise<void> {
  const admin = new pg.Client(postgresConnectionOptions(loadConfig(process.env).postgres, 'postgres'));
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
}

async function dropDatabase(name: string): Promise<void> {
  const admin = new pg.Client(postgresConnectionOptions(loadConfig(process.env).postgres, 'postgres'));
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

function rabbitmqctl(...args: [string, ...(string | { ignoreFailure: boolean })[]]): void {
  const options = args.find((a): a is { ignoreFailure: boolean } => typeof a === 'object');
  const argv = args.filter((a): a is string => typeof a === 'string');
  try {
    execFileSync('rabbitmqctl', ['-q', ...argv], { stdio: 'pipe' });
  } catch (error) {
    if (!options?.ignoreFailure)
      throw new Error(`rabbitmqctl ${argv.join(' ')} failed: ${(error as { stderr?: Buffer }).stderr?.toString() ?? (error as Error).message}`);
  }
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
