import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { XenConfig } from '../../harness/config/schema.ts';
import { startSshd, type TestSshd } from './sshd.ts';

const STANDIN = fileURLToPath(new URL('../xl-standin', import.meta.url));
export const GUEST = 'tinyh';

export interface XenTestHosts {
  primary: TestSshd;
  backup: TestSshd;
  primaryState: string;
  backupState: string;
  config: XenConfig;
  /** The folder of the `xl` stand-in (test/xl-standin). */
  standin: string;
  /** Faults for the stand-in on one host (see test/xl-standin/xl.mjs). */
  setFaults(host: 'primary' | 'backup', faults: string[]): void;
  /** Puts the guest back on the primary and nothing on the backup. */
  reset(): void;
  stop(): Promise<void>;
}

/**
 * Two "dom0" hosts: real OpenSSH servers on 127.0.0.1 whose sessions find the `xl` stand-in first
 * on PATH, each with its own stand-in state. The primary runs the guest domain; the guest's
 * in-guest programs run over SSH to the primary's sshd (the guest "is" this machine).
 */
export async function startXenTestHosts(): Promise<XenTestHosts> {
  const env = (state: string) => [
    `SetEnv PATH=${STANDIN}:/usr/local/bin:/usr/bin:/bin XL_STANDIN_DIR=${state} XL_STANDIN_COPY_MS=200 XL_STANDIN_SUSPEND_MS=10`,
  ];
  const stateRoot = join('/tmp', `rb-xen-${process.pid}-${Date.now()}`);
  const primaryState = join(stateRoot, 'primary');
  const backupState = join(stateRoot, 'backup');
  mkdirSync(primaryState, { recursive: true });
  mkdirSync(backupState, { recursive: true });
  const primary = await startSshd(env(primaryState));
  const backup = await startSshd(env(backupState));
  const target = (s: TestSshd) => ({
    host: '127.0.0.1',
    port: s.port,
    user: s.user,
    keyFile: s.clientKey,
    knownHosts: s.knownHosts,
  });
  const dom0 = { name: 'Domain-0', domid: 0, memMiB: 1024, vcpus: 1, state: 'r-----', type: 'pvh' };
  const reset = () => {
    writeFileSync(
      join(primaryState, 'domains.json'),
      JSON.stringify([dom0, { name: GUEST, domid: 1, memMiB: 128, vcpus: 1, state: '-b----', type: 'pvh' }]),
    );
    writeFileSync(join(backupState, 'domains.json'), JSON.stringify([dom0]));
    writeFileSync(join(primaryState, 'faults'), '');
    writeFileSync(join(backupState, 'faults'), '');
    rmSync(join(primaryState, 'version'), { force: true });
    rmSync(join(backupState, 'version'), { force: true });
  };
  reset();
  const config: XenConfig = {
    primary: target(primary),
    backup: target(backup),
    backupAddress: `${backup.user}@127.0.0.1`,
    transport: `ssh -p ${backup.port} -i ${backup.clientKey} -o UserKnownHostsFile=${backup.knownHosts} -o BatchMode=yes -o StrictHostKeyChecking=yes -o ServerAliveInterval=1 -o ServerAliveCountMax=3`,
    guest: { domain: GUEST, address: '127.0.0.1', ssh: target(primary) },
    remus: {
      unsafe: { noNetbuf: true, noDiskReplication: false, blackhole: false },
      logDir: join(stateRoot, 'logs'),
    },
    readyTimeoutS: 30,
  };
  return {
    primary,
    backup,
    primaryState,
    backupState,
    config,
    standin: STANDIN,
    setFaults: (host, faults) =>
      writeFileSync(
        join(host === 'primary' ? primaryState : backupState, 'faults'),
        `${faults.join('\n')}\n`,
      ),
    reset,
    stop: async () => {
      await Promise.allSettled([primary.stop(), backup.stop()]);
    },
  };
}
