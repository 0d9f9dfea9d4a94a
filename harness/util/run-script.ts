import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { UserError } from '../errors.ts';
import { tsScriptCommand } from './node-script.ts';

/**
 * Runs one of the project's build scripts (bash, or a .ts zx script under node), its whole output
 * kept in `<logDir>/<name>.log`; a failure is a UserError quoting the last lines and naming the
 * log. Returns the seconds it took.
 */
export async function runScript(
  file: string,
  args: readonly string[],
  options: { logDir: string; log: (line: string) => void; env?: Record<string, string>; timeoutMs?: number },
): Promise<number> {
  const name = basename(file);
  const started = performance.now();
  const [command, argv] = file.endsWith('.ts') ? tsScriptCommand(file, args) : [file, args];
  const result = await execa(command, argv, {
    env: options.env ?? {},
    all: true,
    reject: false,
    timeout: options.timeoutMs ?? 900_000,
  });
  const logFile = join(options.logDir, `${name}.log`);
  writeFileSync(logFile, result.all ?? '');
  if (result.exitCode !== 0) {
    throw new UserError(
      `${name} failed (exit ${result.exitCode}); its output is in ${logFile}:\n${(result.all ?? '').split('\n').slice(-8).join('\n')}`,
    );
  }
  const seconds = (performance.now() - started) / 1000;
  options.log(`  ${name} ${args.join(' ')}: ${seconds.toFixed(1)} s`);
  return seconds;
}
