import type { Guest } from '../../harness/testbeds/types.ts';
import type { Project } from './project.ts';

const PROJECT_DIR = /^\/tmp\/remus-bench-compile\.[A-Za-z0-9]+$/;

/**
 * Writes the project into a new directory of the guest (mktemp under /tmp) with the guest's own
 * shell, so that it works in any guest that runs commands (no file transfer needed); the file's
 * text travels as an argument, never as shell code. Returns the directory.
 */
export async function writeProject(guest: Guest, project: Project): Promise<string> {
  const made = await guest.exec(['mktemp', '-d', '/tmp/remus-bench-compile.XXXXXXXX'], { timeoutMs: 30_000 });
  const dir = made.stdout.trim();
  if (made.exitCode !== 0 || !PROJECT_DIR.test(dir))
    throw new Error(
      `could not make the compile workload's directory in the guest: ${made.stderr.trim() || dir}`,
    );
  const run = async (argv: string[]) => {
    const result = await guest.exec(argv, { timeoutMs: 30_000 });
    if (result.exitCode !== 0)
      throw new Error(`writing the compile project into ${dir} failed: ${result.stderr.trim()}`);
  };
  await run(['mkdir', '-p', ...project.directories.map((d) => `${dir}/${d}`)]);
  for (const [path, text] of project.files) {
    await run(['sh', '-c', 'printf %s "$1" > "$2"', 'sh', text, `${dir}/${path}`]);
  }
  return dir;
}

/** Removes what writeProject made (its name checked again: never rm -rf anything else). */
export async function removeProject(guest: Guest, dir: string): Promise<void> {
  if (!PROJECT_DIR.test(dir)) return;
  await guest.exec(['rm', '-rf', dir], { timeoutMs: 30_000 });
}
