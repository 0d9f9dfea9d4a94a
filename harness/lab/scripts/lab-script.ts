import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { $, cd } from 'zx';

/**
 * What every lab script shares: it runs in the lab's folder (LAB_DIR), its commands and their
 * output go to its log (harness/lab/scripts.ts keeps one log per script in the lab folder), and a
 * failure ends it with one line naming the step, exit 1.
 */

/** The root filesystem both hosts' image is made from, relative to the lab folder. */
export const ROOTFS = 'rootfs';

/** An environment variable the script cannot run without, with what to set it to. */
export function requiredEnv(name: string, what: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name} (${what})`);
  return value;
}

/** The newest kernel installed in the root filesystem (its version, as in /boot/vmlinuz-<version>). */
export function newestKernel(rootfs = ROOTFS): string {
  const versions = readdirSync(join(rootfs, 'boot'))
    .filter((name) => name.startsWith('vmlinuz-'))
    .map((name) => name.slice('vmlinuz-'.length))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const newest = versions.at(-1);
  if (!newest) throw new Error(`no kernel in ${join(rootfs, 'boot')}`);
  return newest;
}

/**
 * Runs a script's steps in LAB_DIR with every command echoed (the script's log shows what ran);
 * an error ends the process with its message (exit 1), and a usage error with exit 2.
 */
export async function runSteps(name: string, steps: (labDir: string) => Promise<void>): Promise<void> {
  try {
    const labDir = requiredEnv('LAB_DIR', "the lab's folder");
    cd(labDir);
    $.verbose = true;
    await steps(labDir);
  } catch (error) {
    console.error(`${name}: ${error instanceof UsageError ? error.message : describe(error)}`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  }
}

/** A script called with arguments it does not take. */
export class UsageError extends Error {}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // zx's ProcessOutput: the command's exit code and the end of its stderr say what went wrong.
  const output = error as Error & { exitCode?: number | null; stderr?: string };
  if (typeof output.exitCode === 'number') {
    const tail = (output.stderr ?? '').trim().split('\n').slice(-3).join(' | ');
    return `a command exited with ${output.exitCode}${tail ? `: ${tail}` : ''}`;
  }
  return error.message;
}
