import path from 'node:path';
import { PROJECT_ROOT } from '../worker/paths.js';

/** Ignored folder for tools the project installs itself (the Temporal CLI's virtualenv). */
export const TOOLS_DIR = path.join(PROJECT_ROOT, '.tools');
/** Ignored folder for local state (the embedded dev server's SQLite file). */
export const DATA_DIR = path.join(PROJECT_ROOT, '.data');
