import { mkdirSync, renameSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { PROJECT_ROOT } from '../version.ts';

/** Where the project's own small C programs are built (ignored by git). */
export const BUILD_DIR = join(PROJECT_ROOT, 'build');

/**
 * Compiles a C source of the project (a guest program such as the page dirtier) with the host's
 * `cc` (build-essential, installed by `npm run setup`), unless an up-to-date binary exists.
 * Returns the binary's path.
 */
export async function buildCProgram(sourcePath: string, options: { static?: boolean } = {}): Promise<string> {
  // Static binaries are for guests with no C library of their own (the Xen lab's initramfs guest).
  const binary = join(BUILD_DIR, basename(sourcePath, '.c') + (options.static ? '-static' : ''));
  const sourceTime = statSync(sourcePath).mtimeMs;
  try {
    if (statSync(binary).mtimeMs >= sourceTime) return binary;
  } catch {
    // not built yet
  }
  mkdirSync(BUILD_DIR, { recursive: true });
  const temporary = `${binary}.${process.pid}.tmp`;
  const result = await execa(
    'cc',
    ['-O2', '-Wall', ...(options.static ? ['-static'] : []), '-o', temporary, sourcePath],
    { reject: false },
  );
  if (result.exitCode !== 0) {
    throw new Error(
      `cc could not build ${sourcePath} (exit ${result.exitCode}): ${String(result.stderr).trim() || result.message}. ` +
        'Install the compiler with `npm run setup` (Debian package build-essential).',
    );
  }
  renameSync(temporary, binary); // atomic: concurrent runs never execute a half-written binary
  return binary;
}
