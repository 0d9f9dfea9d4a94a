import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../../errors.ts';
import { labGuestTarget, labTarget } from '../../lab/hosts.ts';
import { HOSTS, LAB_GUEST } from '../../lab/topology.ts';
import { RemoteHost } from '../../remote/ssh.ts';
import { parseXlList, type XlDomain } from '../xen/xl-output.ts';

const GUEST_BOOT_TIMEOUT_MS = 180_000;

async function domains(host: RemoteHost): Promise<XlDomain[]> {
  const list = await host.exec(['xl', 'list'], { timeoutMs: 60_000 });
  if (list.exitCode !== 0) throw new UserError(`${host.target.role}: xl list failed: ${list.stderr.trim()}`);
  return parseXlList(list.stdout);
}

/**
 * Makes the lab's guest run on xena (the primary of every run) and answer SSH from the lab
 * namespace. Created when it runs nowhere. A copy on xenb (left by a failover or a split brain) is
 * destroyed first, and a copy on xena that is not running (suspended or paused by a Remus that
 * ended badly; Xen 4.17 has no `xl resume`) is destroyed and created again. Every action is logged.
 */
export async function placeLabGuest(
  dir: string,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  const name = LAB_GUEST.domain;
  const [primary, backup] = [HOSTS.a.name, HOSTS.b.name];
  const a = await RemoteHost.connect(labTarget('a', dir));
  const b = await RemoteHost.connect(labTarget('b', dir)).catch((error: unknown) => {
    a.close();
    throw error;
  });
  try {
    for (const copy of (await domains(b)).filter((d) => d.name === name || d.name === `${name}--incoming`)) {
      await b.exec(['xl', 'destroy', copy.name], { timeoutMs: 60_000 });
      log(`  destroyed ${copy.name} (${copy.state}) on ${backup}: the guest must start on ${primary}`);
    }
    const onA = (await domains(a)).filter((d) => d.name === name);
    // State letters r b p s c d: only running or blocked counts (not paused, suspended, crashed, dying).
    const running = onA.find((d) => !/[pscd]/.test(d.state));
    for (const copy of onA) {
      if (copy === running) continue;
      await a.exec(['xl', 'destroy', copy.name], { timeoutMs: 60_000 });
      log(`  destroyed ${copy.name} (${copy.state}) on ${primary}: not running, recreated below`);
    }
    if (!running) {
      const began = performance.now();
      const created = await a.exec(['xl', 'create', `/etc/xen/${name}.cfg`], { timeoutMs: 120_000 });
      if (created.exitCode !== 0)
        throw new UserError(`${primary}: xl create /etc/xen/${name}.cfg failed: ${created.stderr.trim()}`);
      log(`  created ${name} on ${primary} in ${((performance.now() - began) / 1000).toFixed(1)} s`);
    }
  } finally {
    a.close();
    b.close();
  }
  const began = performance.now();
  const deadline = began + GUEST_BOOT_TIMEOUT_MS;
  let last = '';
  while (performance.now() < deadline) {
    if (signal?.aborted) return;
    try {
      const guest = await RemoteHost.connect({ ...labGuestTarget(dir), connectTimeoutMs: 15_000 });
      guest.close();
      log(
        `  ${name} answers SSH at ${LAB_GUEST.address} (netns ${LAB_GUEST.netns}) after ${((performance.now() - began) / 1000).toFixed(1)} s`,
      );
      return;
    } catch (error) {
      last = (error as Error).message;
      await sleep(1000);
    }
  }
  throw new UserError(
    `The lab guest ${name} did not answer SSH at ${LAB_GUEST.address} within ${GUEST_BOOT_TIMEOUT_MS / 1000} s (last: ${last}); see \`xl console ${name}\` on ${HOSTS.a.name}.`,
  );
}
