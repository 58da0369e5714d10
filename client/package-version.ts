import { readFileSync } from 'node:fs';

/**
 * The package's version, from its package.json: one directory up from client/ when run from source (tsx), two from
 * dist/client/ once built.
 */
export function packageVersion(): string {
  for (const up of ['../package.json', '../../package.json']) {
    try {
      const found = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (found.name === 'defender-isolation' && typeof found.version === 'string') return found.version;
    } catch {
      // not this directory
    }
  }
  return 'unknown';
}
