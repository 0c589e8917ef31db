// `node bench/request-pipeline.mjs`: what each layer of POST /api/v1/tasks costs in CPU per
// request, measured in-process without a socket or a database, so the figures hold on a busy
// machine: each is the least of several runs. Layers that only act on an error (the problem
// filter) cost nothing on a 201. The database write is measured end to end by
// bench/reference-fastify.mjs (server CPU per request, batched or not).
import 'reflect-metadata';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { Body, Controller, Module, Post } from '@nestjs/common';
import { APP_GUARD, NestFactory, Reflector } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import Fastify from 'fastify';
import helmet from 'helmet';
import { lastValueFrom, of } from 'rxjs';
import { ensureBuild } from '../scripts/ensure-build.mjs';

ensureBuild();
const dist = (path) => import(`../dist/${path}`);
const { loadConfig } = await dist('libs/config/src/index.js');
const { TASK_HANDLERS, TaskRegistry } = await dist('libs/tasks/src/index.js');
const { MetricsService } = await dist('libs/observability/src/index.js');
const { TaskInputValidator } = await dist('apps/api/src/tasks/validation/task-input.validator.js');
const { CreateTaskDto } = await dist('apps/api/src/tasks/dto/create-task.dto.js');
const { HELMET_OPTIONS, securityHeaders } = await dist('apps/api/src/http/security-headers.js');
const { ApiKeyGuard } = await dist('apps/api/src/security/api-key.guard.js');
const { CorrelationInterceptor } = await dist('apps/api/src/http/correlation.interceptor.js');
const { createValidationPipe } = await dist('apps/api/src/http/validation.js');
const { ProblemFilter } = await dist('apps/api/src/problems/problem.filter.js');

const BODY = { title: 'bench', priority: 'LOW' };
const KEY = 'bench-key-0123456789abcdef';
const config = loadConfig({ API_KEYS: KEY });

/** CPU microseconds per call of `fn` (sync or async), the least of `runs` runs of `n` calls. */
async function cpuPerCall(fn, n = 20_000, runs = 5) {
  let best = Infinity;
  for (let run = 0; run < runs; run++) {
    const start = process.cpuUsage();
    for (let i = 0; i < n; i++) await fn();
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / n);
  }
  return best;
}

const rows = [];
const row = (layer, before, after = null) => rows.push({ layer, before, after });

// Validation of the body.
const validator = new TaskInputValidator(new TaskRegistry(TASK_HANDLERS));
const fullCheck = () => {
  const { errors } = validator['shape'](CreateTaskDto, BODY);
  return [...errors, ...validator['typeAndPayload'](BODY, '')];
};
row('body validation (class-transformer + class-validator -> hand-read fast path)', await cpuPerCall(fullCheck), await cpuPerCall(() => validator.one(BODY)));

// Security headers.
const response = () => new ServerResponse(new IncomingMessage(new Socket()));
const headers = securityHeaders(HELMET_OPTIONS);
const bareResponse = await cpuPerCall(response);
row(
  'helmet headers (middleware built per request -> computed once)',
  (await cpuPerCall(() => helmet(HELMET_OPTIONS)(response().req, response(), () => undefined))) - 2 * bareResponse,
  (await cpuPerCall(() => {
    const res = response();
    for (const [name, value] of headers) res.setHeader(name, value);
  })) - bareResponse,
);

// The API-key guard, with one key configured.
const reflector = new Reflector();
class Handlers {}
const handler = function create() {};
const context = (request) => ({
  getHandler: () => handler,
  getClass: () => Handlers,
  switchToHttp: () => ({ getRequest: () => request }),
});
const guard = new ApiKeyGuard(config, reflector);
row('API-key guard (SHA-256 + timingSafeEqual)', await cpuPerCall(() => guard.canActivate(context({ headers: { authorization: `Bearer ${KEY}` } }))));

// The correlation interceptor (AsyncLocalStorage + an Observable).
const interceptor = new CorrelationInterceptor();
row('correlation interceptor', await cpuPerCall(() => lastValueFrom(interceptor.intercept(context({ id: 'r' }), { handle: () => of(1) }))));

// Metrics: the created-tasks counter.
const metrics = new MetricsService();
row('metrics (tasks_created_total inc)', await cpuPerCall(() => metrics.tasksCreated.inc({ type: 'noop', priority: 'LOW' })));

// Routing: a bare Fastify route against the same route through Nest, then with each of the
// API's global guard, interceptor, filter and pipe, then all four, then the rate limiter. Every
// app is built first and they are measured in turns, so a burst of other work on the machine
// does not fall on one of them only.
const inject = (fastify) => () => fastify.inject({ method: 'POST', url: '/api/v1/tasks', payload: BODY, headers: { authorization: `Bearer ${KEY}` } });
const bare = Fastify({ logger: false });
bare.post('/api/v1/tasks', async (request) => ({ title: request.body.title }));
await bare.ready();

async function nestApp({ guard = false, interceptor = false, filter = false, pipe = false, rateLimit = false } = {}) {
  class TasksController {
    create(body) {
      return { title: body.title };
    }
  }
  Reflect.defineMetadata('design:paramtypes', [Object], TasksController.prototype, 'create');
  Body()(TasksController.prototype, 'create', 0);
  Reflect.decorate([Post()], TasksController.prototype, 'create', Object.getOwnPropertyDescriptor(TasksController.prototype, 'create'));
  Reflect.decorate([Controller('tasks')], TasksController);
  const imports = [];
  const providers = [];
  if (rateLimit) {
    const { ThrottlerGuard, ThrottlerModule } = await import('@nestjs/throttler');
    imports.push(ThrottlerModule.forRoot({ throttlers: [{ ttl: 60_000, limit: 1e9 }] }));
    providers.push({ provide: APP_GUARD, useClass: ThrottlerGuard });
  }
  if (guard) providers.push({ provide: APP_GUARD, useFactory: (r) => new ApiKeyGuard(config, r), inject: [Reflector] });
  class AppModule {}
  Reflect.decorate([Module({ imports, controllers: [TasksController], providers })], AppModule);
  const app = await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false });
  app.setGlobalPrefix('api/v1');
  if (filter) app.useGlobalFilters(new ProblemFilter());
  if (interceptor) app.useGlobalInterceptors(new CorrelationInterceptor());
  if (pipe) app.useGlobalPipes(createValidationPipe());
  await app.init();
  const fastify = app.getHttpAdapter().getInstance();
  await fastify.ready();
  return fastify;
}
const everything = { guard: true, interceptor: true, filter: true, pipe: true };
const apps = {
  bare,
  nest: await nestApp(),
  guard: await nestApp({ guard: true }),
  interceptor: await nestApp({ interceptor: true }),
  filter: await nestApp({ filter: true }),
  pipe: await nestApp({ pipe: true }),
  all: await nestApp(everything),
  throttled: await nestApp({ ...everything, rateLimit: true }),
};
const best = {};
for (let turn = 0; turn < 7; turn++) {
  for (const [name, app] of Object.entries(apps)) best[name] = Math.min(best[name] ?? Infinity, await cpuPerCall(inject(app), 2000, 1));
}
row('Fastify: routing, JSON body parse, reply (a bare route, through inject)', best.bare);
row('Nest routing (router, param binding, rxjs), over bare Fastify', best.nest - best.bare);
row('Nest + the API-key guard as APP_GUARD (guard pipeline + the guard)', best.guard - best.nest);
row('Nest + the correlation interceptor (interceptor pipeline + rxjs)', best.interceptor - best.nest);
row('Nest + the problem filter (global filter; acts on errors only)', best.filter - best.nest);
row('Nest + the global ValidationPipe (on the @Body of type Object)', best.pipe - best.nest);
row("Nest + all four (the API's set)", best.all - best.nest);
row('rate limiter (@nestjs/throttler, in memory; only with RATE_LIMIT_MAX > 0)', best.throttled - best.all);

console.log('CPU per POST /tasks request, microseconds (least of 5 runs)\n');
console.log(`${'layer'.padEnd(84)} ${'before'.padStart(8)} ${'after'.padStart(8)}`);
for (const { layer, before, after } of rows) {
  console.log(`${layer.padEnd(84)} ${before.toFixed(1).padStart(8)} ${(after ?? before).toFixed(1).padStart(8)}`);
}
