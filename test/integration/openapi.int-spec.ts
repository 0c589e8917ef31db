import { readFileSync } from 'node:fs';
import request from 'supertest';
import { CLIENT_TYPES_FILE, DOCUMENT_FILE, clientTypesSource, documentText, lintDocument } from '../../scripts/openapi.mjs';
import { type ApiUnderTest, Suite } from './support/suite.js';

/** A real api process may take long to start on a machine busy with other suites; this waits, it decides nothing. */
const START_TIMEOUT_MS = 45_000;

/**
 * The OpenAPI document the api serves, through Redocly's recommended rules (what client
 * generators trip on), and the two files made from it: documents/openapi.json and the typed
 * client's generated types. `npm run openapi` rewrites both when a decorator changes.
 */
describe('the OpenAPI document', () => {
  let suite: Suite;
  let api: ApiUnderTest;

  beforeAll(async () => {
    suite = await Suite.create('openapi');
    api = await suite.startApi();
  });

  afterAll(async () => {
    await suite?.teardown();
  });

  it('has no error under Redocly’s recommended rules, and no warning but the accepted ones', async () => {
    const problems = await lintDocument(api.document);
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(problems.filter((p) => !p.accepted)).toEqual([]);
  });

  it('the linter finds what a generator stops at: a schema referenced and never defined, empty servers, a public route without security', async () => {
    const broken = structuredClone(api.document) as unknown as {
      servers: unknown[];
      components: { schemas: Record<string, unknown> };
      paths: Record<string, any>;
    };
    broken.servers = [];
    delete broken.components.schemas.CountByPriority;
    delete broken.paths['/health'].get.security;
    const errors = (await lintDocument(broken)).filter((p) => p.severity === 'error').map((p) => `${p.ruleId} ${p.pointer}`);
    expect(errors).toEqual(
      expect.arrayContaining([
        'no-empty-servers #/servers',
        expect.stringMatching(/^no-unresolved-refs #\/components\/schemas\/TaskCountsView\/properties\/NEW/),
        'security-defined #/paths/~1health/get',
      ]),
    );
  });

  it('documents the public routes as public (security: []) and every /api/v1 operation behind the bearer key', () => {
    const operations = Object.entries(api.document.paths).flatMap(([path, item]) =>
      Object.entries(item as Record<string, { security?: unknown[] }>)
        .filter(([method]) => ['get', 'post', 'delete', 'put', 'patch'].includes(method))
        .map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, security: op.security })),
    );
    for (const { route, security } of operations) {
      if (route.includes(' /api/v1/')) expect({ route, security }).toEqual({ route, security: [{ bearer: [] }] });
      else expect({ route, security }).toEqual({ route, security: [] });
    }
  });

  it('documents/openapi.json is the document the api serves (npm run openapi rewrites it)', () => {
    expect(readFileSync(DOCUMENT_FILE, 'utf8')).toBe(documentText(api.document));
  });

  it("the client's generated types are what the generator makes of that document (npm run openapi rewrites them)", async () => {
    expect(readFileSync(CLIENT_TYPES_FILE, 'utf8')).toBe(await clientTypesSource(api.document));
  });

  it('the real process serves that same document at /docs-json', async () => {
    const proc = await suite.startProcess('api', {}, START_TIMEOUT_MS);
    try {
      const served = await request(proc.url).get('/docs-json').expect(200);
      expect(served.body).toEqual(JSON.parse(readFileSync(DOCUMENT_FILE, 'utf8')));
    } finally {
      await proc.kill();
    }
  }, 90_000);
});
