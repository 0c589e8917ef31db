import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

/**
 * Reads `.env` in the working directory when there is one into `env` (process.env by default);
 * variables already set win. Every app does this before it parses its configuration, and so
 * does the command line.
 */
export function loadDotEnv(path = '.env', env: Record<string, string | undefined> = process.env): void {
  if (!existsSync(path)) return;
  const values = parseEnv(readFileSync(path, 'utf8'));
  for (const [key, value] of Object.entries(values)) {
    if (env[key] === undefined) env[key] = value;
  }
}
