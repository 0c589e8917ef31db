import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** What the browser downloads for the dashboard: every built file, raw and gzipped one by one. */
export function dashboardSize(root = 'dist/apps/dashboard/public'): { files: number; bytes: number; gzipBytes: number } {
  let files = 0;
  let bytes = 0;
  let gzipBytes = 0;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        const content = readFileSync(path);
        files += 1;
        bytes += content.length;
        gzipBytes += gzipSync(content, { level: 9 }).length;
      }
    }
  };
  walk(root);
  return { files, bytes, gzipBytes };
}
