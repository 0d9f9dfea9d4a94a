import { execa } from 'execa';
import { UserError } from '../errors.ts';

/** An external program a workload or testbed needs, and the Debian package that provides it. */
export interface RequiredTool {
  command: string;
  debianPackage: string;
  neededBy: string;
}

async function commandExists(command: string): Promise<boolean> {
  try {
    await execa('sh', ['-c', 'command -v "$1"', 'sh', command], { timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

export async function missingTools(tools: readonly RequiredTool[]): Promise<RequiredTool[]> {
  const missing: RequiredTool[] = [];
  for (const tool of tools) if (!(await commandExists(tool.command))) missing.push(tool);
  return missing;
}

export function aptInstallLine(missing: readonly RequiredTool[]): string {
  const packages = [...new Set(missing.map((t) => t.debianPackage))].sort();
  return `apt-get install -y ${packages.join(' ')}`;
}

/**
 * Installs missing Debian packages when running as root; otherwise prints the exact apt-get line
 * and stops with exit code 2 (nothing started).
 */
export async function ensureTools(
  tools: readonly RequiredTool[],
  log: (line: string) => void,
  isRoot = process.getuid?.() === 0,
): Promise<void> {
  const missing = await missingTools(tools);
  if (missing.length === 0) return;
  const what = missing.map((t) => `${t.command} (package ${t.debianPackage}, for ${t.neededBy})`).join(', ');
  const line = aptInstallLine(missing);
  if (!isRoot) {
    throw new UserError(`Missing programs: ${what}.\nInstall them as root, then run again:\n  ${line}`);
  }
  log(`Installing missing programs: ${what}`);
  log(`  $ apt-get update && ${line}`);
  try {
    await execa('apt-get', ['update'], { stdio: 'inherit', timeout: 600_000 });
    await execa('apt-get', ['install', '-y', ...new Set(missing.map((t) => t.debianPackage))], {
      stdio: 'inherit',
      timeout: 600_000,
      env: { DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch (error) {
    throw new UserError(
      `Installing ${line} failed: ${(error as Error).message}. Install the packages by hand, then run again.`,
    );
  }
  const still = await missingTools(missing);
  if (still.length > 0)
    throw new UserError(`After apt-get, still missing: ${still.map((t) => t.command).join(', ')}.`);
}
