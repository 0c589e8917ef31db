import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Every line of code fits Prettier's printWidth. Prettier wraps code but never breaks a string
 * literal or a comment, so a long message, SQL statement or JSDoc line passes `format:check` and
 * still runs past the limit; this check catches those. Width counts code points, so an en dash
 * or a `·` is one column.
 */
const root = process.cwd();
const FOLDERS = ['apps', 'libs', 'migrations', 'test', 'scripts', 'bench', 'examples'];
const EXTENSIONS = ['.ts', '.mjs', '.js'];

const { printWidth } = JSON.parse(readFileSync(resolve(root, '.prettierrc.json'), 'utf8')) as { printWidth: number };

/** The code files of the repository: tracked ones and new ones git does not ignore (dist/ and node_modules/ are). */
function codeFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z', '--', ...FOLDERS], { cwd: root, encoding: 'utf8' });
  const files = listed.split('\0').filter((file) => EXTENSIONS.some((extension) => file.endsWith(extension)));
  // A file deleted in the work tree but not yet in the index is still listed.
  return [...new Set(files)].filter((file) => existsSync(resolve(root, file))).sort();
}

/** `file:line (N columns)` for each line wider than `limit`. */
function longLines(file: string, limit: number): string[] {
  return readFileSync(resolve(root, file), 'utf8')
    .split(/\r?\n/)
    .flatMap((line, index) => {
      const width = Array.from(line).length;
      return width > limit ? [`${file}:${index + 1} (${width} columns)`] : [];
    });
}

describe('line length', () => {
  it('reads a printWidth from .prettierrc.json', () => {
    expect(Number.isInteger(printWidth)).toBe(true);
    expect(printWidth).toBeGreaterThan(0);
  });

  it('finds the code files of every folder it checks', () => {
    const files = codeFiles();
    for (const folder of FOLDERS) expect(files.some((file) => file.startsWith(`${folder}/`))).toBe(true);
    expect(files).toContain('test/unit/line-length.spec.ts');
  });

  it('counts a line one column past the limit, and not one at the limit', () => {
    const self = 'test/unit/line-length.spec.ts';
    const widest = Math.max(
      ...readFileSync(resolve(root, self), 'utf8')
        .split('\n')
        .map((line) => Array.from(line).length),
    );
    expect(longLines(self, widest)).toEqual([]);
    expect(longLines(self, widest - 1).length).toBeGreaterThan(0);
  });

  it(`keeps every line of apps, libs, migrations, test, scripts and bench within Prettier's printWidth`, () => {
    expect(codeFiles().flatMap((file) => longLines(file, printWidth))).toEqual([]);
  });
});
