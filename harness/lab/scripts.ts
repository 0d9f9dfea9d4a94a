import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { tsScriptCommand } from '../util/node-script.ts';
import { runScript } from '../util/run-script.ts';

/** The lab's zx scripts (scripts/): each runs under node with LAB_DIR set to the lab's folder. */
export const SCRIPTS = fileURLToPath(new URL('./scripts/', import.meta.url));

/** Runs one lab script, its output logged and kept in the lab folder; throws when it fails. */
export function labScript(
  name: string,
  args: string[],
  dir: string,
  log: (line: string) => void,
  env: Record<string, string> = {},
): Promise<number> {
  return runScript(join(SCRIPTS, name), args, { logDir: dir, log, env: { LAB_DIR: dir, ...env } });
}

/** net.ts status/down, whose outcome is reported rather than thrown (up goes through labScript()). */
export async function guestSegment(
  action: 'status' | 'down',
  dir: string,
): Promise<{ exitCode: number; output: string }> {
  const [node, args] = tsScriptCommand(join(SCRIPTS, 'net.ts'), [action]);
  const result = await execa(node, args, {
    env: { LAB_DIR: dir },
    all: true,
    reject: false,
  });
  return { exitCode: result.exitCode ?? 1, output: (result.all ?? '').trim() };
}
