import { readFileSync } from 'node:fs';
import { DOCUMENT_FILE, lintDocument } from '../../scripts/openapi.mjs';

/**
 * documents/openapi.json, the copy client generators read, through Redocly's recommended rules
 * without starting the api (test/integration/openapi.int-spec.ts checks the copy is what the api
 * serves).
 */
describe('documents/openapi.json', () => {
  it('has no error under Redocly’s recommended rules, and no warning but the accepted ones', async () => {
    const problems = await lintDocument(JSON.parse(readFileSync(DOCUMENT_FILE, 'utf8')));
    expect(problems.filter((p) => !p.accepted)).toEqual([]);
  });

  it('defines every schema it references', () => {
    const text = readFileSync(DOCUMENT_FILE, 'utf8');
    const defined = Object.keys((JSON.parse(text) as { components: { schemas: Record<string, unknown> } }).components.schemas);
    const referenced = [...new Set([...text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]))];
    expect(referenced.length).toBeGreaterThan(5);
    expect(referenced.filter((name) => !defined.includes(name))).toEqual([]);
  });
});
