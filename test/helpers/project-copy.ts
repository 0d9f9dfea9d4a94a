import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PROJECT_ROOT } from '../../harness/version.ts';

/** A copy of the project's files as git sees them (committed or not, ignored ones left out), sharing node_modules. */
export function copyProject(prefix: string): string {
  const copy = mkdtempSync(join(tmpdir(), prefix));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((file) => file && existsSync(join(PROJECT_ROOT, file)));
  for (const file of files) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(PROJECT_ROOT, file), join(copy, file));
  }
  symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(copy, 'node_modules'));
  return copy;
}

/**
 * Adds a module to a copy: the fixture folder, and in the module list its import line (after
 * `importAfter`) and its name in the list, before `listEnd` (on a line of its own when `listEnd`
 * begins a line).
 * Returns how many lines the module list grew by.
 */
export function addModule(
  copy: string,
  module: {
    fixture: string;
    folder: string;
    list: string;
    importAfter: string;
    importLine: string;
    listEnd: string;
    name: string;
  },
): number {
  cpSync(join(PROJECT_ROOT, module.fixture), join(copy, module.folder), { recursive: true });
  const list = join(copy, module.list);
  const before = readFileSync(list, 'utf8');
  if (!before.includes(module.importAfter) || !before.includes(module.listEnd))
    throw new Error(`${module.list} no longer has the lines this test edits`);
  const after = before
    .replace(module.importAfter, `${module.importAfter}${module.importLine}\n`)
    .replace(
      module.listEnd,
      module.listEnd.startsWith('\n')
        ? `\n  ${module.name},${module.listEnd}`
        : `, ${module.name}${module.listEnd}`,
    );
  writeFileSync(list, after);
  return after.split('\n').length - before.split('\n').length;
}

/** tsc --noEmit over the copy. */
export function typecheck(copy: string): { status: number | null; output: string } {
  const result = spawnSync(
    process.execPath,
    [join(copy, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', '.'],
    {
      cwd: copy,
      encoding: 'utf8',
    },
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** The CLI of the copy, run to its end. */
export function cliIn(copy: string, args: readonly string[]): { code: number | null; output: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'harness/cli.ts', ...args], {
    cwd: copy,
    encoding: 'utf8',
    timeout: 240_000,
  });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}
