import { readFileSync } from 'node:fs';
import { DOCUMENT_FILE, lintDocument, wrapCommentLines } from '../../scripts/openapi.mjs';

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

describe(wrapCommentLines.name, () => {
  it('breaks a comment line wider than the width at spaces, keeping its prefix, and leaves code and shorter lines alone', () => {
    const code = `  reason: '${'x'.repeat(40)}';`;
    const source = ['  /**', `   * ${'word '.repeat(12).trim()}`, '   * short', '   */', code].join('\n');

    const sut = wrapCommentLines(source, 30);

    expect(sut.split('\n')).toEqual(['  /**', '   * word word word word word', '   * word word word word word', '   * word word', '   * short', '   */', code]);
  });
});
