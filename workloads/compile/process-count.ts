import type { Guest } from '../../harness/testbeds/types.ts';

/** Programs the compiler driver would run, as `cc -###` lists them (one indented line each). */
async function listedPrograms(guest: Guest, dir: string, args: string[]): Promise<string[]> {
  const result = await guest.exec(['sh', '-c', 'cd "$1" && shift && exec cc -### "$@"', 'sh', dir, ...args], {
    timeoutMs: 30_000,
  });
  if (result.exitCode !== 0) throw new Error(`cc -### failed in the guest: ${result.stderr.trim()}`);
  return result.stderr
    .split('\n')
    .filter((line) => line.startsWith(' '))
    .map((line) => line.trim().split(/\s+/)[0] ?? '');
}

/**
 * How many processes one build runs: make, then per object the compiler driver and what it lists
 * (cc1 and as for gcc), then the driver of the link and what it lists; gcc's collect2 starts the
 * linker itself, unlisted, which counts one more. The count the checkpoints' view is compared with.
 */
export async function processesPerBuild(guest: Guest, dir: string, objects: number): Promise<number> {
  const compile = await listedPrograms(guest, dir, ['-Iinclude', '-c', '-o', '/dev/null', 'src/main.c']);
  const link = await listedPrograms(guest, dir, ['-o', '/dev/null', 'obj/main.o']);
  const linker = link.some((program) => program.endsWith('collect2')) ? 1 : 0;
  return 1 + objects * (1 + compile.length) + (1 + link.length + linker);
}
