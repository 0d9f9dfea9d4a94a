import { setTimeout as sleep } from 'node:timers/promises';
import { RemoteHost } from '../remote/ssh.ts';
import { alivePid, labDir, labTarget } from './hosts.ts';
import { guestSegment } from './scripts.ts';
import { HOSTS } from './topology.ts';

const POWEROFF_WAIT_MS = 60_000;

/** Powers both hosts off cleanly; then ends only the QEMU processes the lab started, by pid. */
export async function labDown(log: (line: string) => void): Promise<void> {
  const dir = labDir();
  await Promise.all(
    (['a', 'b'] as const).map(async (host) => {
      const pid = alivePid(dir, host);
      if (!pid) {
        log(`${HOSTS[host].name}: not running`);
        return;
      }
      try {
        const remote = await RemoteHost.connect({ ...labTarget(host, dir), connectTimeoutMs: 20_000 });
        await remote
          .exec(['sh', '-c', 'xl list | awk "NR>2{print \\$1}" | xargs -r -n1 xl destroy; poweroff'], {
            timeoutMs: 30_000,
          })
          .catch(() => {});
        remote.close();
      } catch (error) {
        log(`${HOSTS[host].name}: no clean poweroff (${(error as Error).message})`);
      }
      const deadline = performance.now() + POWEROFF_WAIT_MS;
      while (alivePid(dir, host) && performance.now() < deadline) await sleep(1000);
      if (alivePid(dir, host)) {
        process.kill(pid, 'SIGKILL');
        log(
          `${HOSTS[host].name}: did not power off within ${POWEROFF_WAIT_MS / 1000} s; killed its QEMU (pid ${pid})`,
        );
      } else log(`${HOSTS[host].name}: powered off`);
    }),
  );
  // After the QEMUs: they are the switch's clients.
  log((await guestSegment('down', dir)).output);
}
