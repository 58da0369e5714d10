import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../worker/paths.js';

/** The repository's Dockerfile, as text. */
export function readDockerfile(): string {
  return readFileSync(path.join(PROJECT_ROOT, 'Dockerfile'), 'utf8');
}

/** The `ENV name=value` and `ENV name="value"` lines of the Dockerfile's last stage (the image that runs). */
export function imageEnvironment(dockerfile = readDockerfile()): Record<string, string> {
  const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  return Object.fromEntries(
    [...runtimeStage.matchAll(/^ENV (\w+)=(?:"([^"]*)"|(\S+))$/gm)].map(([, name, quoted, plain]) => [
      name!,
      quoted ?? plain!,
    ]),
  );
}
