import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root, whether running from sources (tsx) or from `dist/`. */
export const PROJECT_ROOT = (() => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const up = path.resolve(here, '..');
  return path.basename(up) === 'dist' ? path.resolve(up, '..') : up;
})();

/** The workflows entry point, as .ts under tsx and .js once built. */
export const WORKFLOWS_PATH = fileURLToPath(
  new URL(`../workflows/index${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url),
);
