import { aptInstallLine, missingTools, type RequiredTool } from '../../harness/setup/system-packages.ts';

/**
 * Fails a test with the programs it needs and how to install them, instead of letting the workload
 * crash with "sh: busybox: not found" halfway through a trial.
 */
export async function requireTools(tools: readonly RequiredTool[]): Promise<void> {
  const missing = await missingTools(tools);
  if (missing.length === 0) return;
  const what = missing.map((t) => `${t.command} (package ${t.debianPackage}, for ${t.neededBy})`).join(', ');
  throw new Error(
    `This test needs ${what}, which is not installed. The tests' set-up installs it as root ` +
      `(bash harness/setup/apt-packages.sh --test), or by hand: ${aptInstallLine(missing)}`,
  );
}
