import { RemoteHost } from '../remote/ssh.ts';
import { alivePid, labDir, labGuestTarget, labTarget } from './hosts.ts';
import { guestSegment } from './scripts.ts';
import { HOSTS, LAB_GUEST } from './topology.ts';

/** Each host's QEMU, SSH and domains, the guest segment and the guest's SSH; true when all are up. */
export async function labStatus(log: (line: string) => void): Promise<boolean> {
  const dir = labDir();
  let allUp = true;
  for (const host of ['a', 'b'] as const) {
    const pid = alivePid(dir, host);
    if (!pid) {
      log(`${HOSTS[host].name}: not running`);
      allUp = false;
      continue;
    }
    try {
      const remote = await RemoteHost.connect(labTarget(host, dir));
      const list = await remote.exec(['xl', 'list'], { timeoutMs: 60_000 });
      remote.close();
      log(
        `${HOSTS[host].name}: QEMU pid ${pid}, ssh 127.0.0.1:${HOSTS[host].sshPort}\n${list.stdout.trimEnd()}`,
      );
    } catch (error) {
      log(`${HOSTS[host].name}: QEMU pid ${pid}, SSH not answering (${(error as Error).message})`);
      allUp = false;
    }
  }
  const net = await guestSegment('status', dir);
  log(`guest segment: ${net.output.replace(/\n/g, '; ')}`);
  if (net.exitCode !== 0) allUp = false;
  else {
    try {
      const guest = await RemoteHost.connect({ ...labGuestTarget(dir), connectTimeoutMs: 15_000 });
      guest.close();
      log(`guest ${LAB_GUEST.domain}: answers SSH at ${LAB_GUEST.address} (netns ${LAB_GUEST.netns})`);
    } catch (error) {
      log(`guest ${LAB_GUEST.domain}: not answering SSH (${(error as Error).message})`);
      allUp = false;
    }
  }
  return allUp;
}
