import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../harness/version.ts';

/** Where the tests keep screenshots and rasterised pages for a person to look at (git-ignored). */
export function testArtifactsDir(): string {
  const dir = join(PROJECT_ROOT, 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  return dir;
}
