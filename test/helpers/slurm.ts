import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const SLURM_PROGRAMS = [
  '/usr/sbin/slurmctld',
  '/usr/sbin/slurmd',
  '/usr/sbin/munged',
  '/usr/bin/sbatch',
];

/** One job's state as `scontrol show job` gives it. */
export interface SlurmJob {
  id: string;
  state: string;
  exitCode: string;
  arrayTaskId?: string;
}

export interface TestSlurm {
  dir: string;
  /** The environment for sbatch, scontrol and the jobs (SLURM_CONF). */
  env: NodeJS.ProcessEnv;
  /** `sbatch --parsable <args>`: the job id. */
  sbatch(args: string[]): string;
  /** `scancel <id>`: SIGTERM to every process of the job, SIGKILL after KillWait. */
  scancel(id: string): void;
  /** Every job (array tasks one by one) of job id `id`, from scontrol. */
  jobs(id: string): SlurmJob[];
  /** Waits until every job of `id` has ended (none pending or running); returns them. */
  waitEnded(id: string, timeoutMs: number): Promise<SlurmJob[]>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const ENDED = /^(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|PREEMPTED|BOOT_FAIL|DEADLINE)/;

/**
 * A one-node Slurm cluster of Debian's slurm-wlm on this machine, all in a fresh folder: munged
 * with its own key and socket, slurmctld and slurmd on free loopback ports, the node's address
 * 127.0.0.1. Jobs run as root in the submitter's environment (sbatch --export=ALL).
 */
export async function startSlurm(): Promise<TestSlurm> {
  const dir = mkdtempSync(join(tmpdir(), 'rb-slurm-'));
  chmodSync(dir, 0o755);
  for (const sub of ['state', 'spool']) mkdirSync(join(dir, sub));
  writeFileSync(join(dir, 'munge.key'), randomBytes(1024), { mode: 0o400 });
  const host = hostname().split('.')[0] as string;
  const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
  const conf = join(dir, 'slurm.conf');
  writeFileSync(
    conf,
    [
      'ClusterName=remusbench',
      `SlurmctldHost=${host}(127.0.0.1)`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${slurmdPort}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      'AuthType=auth/munge',
      `AuthInfo=socket=${join(dir, 'munge.socket')}`,
      'CredType=cred/munge',
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${join(dir, 'slurmctld.log')}`,
      `SlurmdLogFile=${join(dir, 'slurmd.log')}`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_CPU',
      'SchedulerType=sched/backfill',
      'ReturnToService=2',
      'MpiDefault=none',
      'MailProg=/bin/true',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'JobCompType=jobcomp/none',
      // Ended jobs stay visible to scontrol for the test's length.
      'MinJobAge=3600',
      // The harness gets this long between SIGTERM and SIGKILL when a job is cancelled.
      'KillWait=60',
      `NodeName=rbnode NodeAddr=127.0.0.1 NodeHostname=${host} CPUs=2 State=UNKNOWN`,
      'PartitionName=rb Nodes=rbnode Default=YES MaxTime=INFINITE State=UP',
      '',
    ].join('\n'),
  );
  const env = { ...process.env, SLURM_CONF: conf };
  const daemons: ChildProcess[] = [];
  const daemon = (program: string, args: string[]) => {
    const child = spawn(program, args, { env, stdio: 'ignore' });
    daemons.push(child);
    return child;
  };
  daemon('/usr/sbin/munged', [
    '--foreground',
    '--force',
    `--key-file=${join(dir, 'munge.key')}`,
    `--socket=${join(dir, 'munge.socket')}`,
    `--pid-file=${join(dir, 'munged.pid')}`,
    `--seed-file=${join(dir, 'munged.seed')}`,
    `--log-file=${join(dir, 'munged.log')}`,
  ]);
  const stop = async () => {
    try {
      execFileSync('scancel', ['--user=root'], { env, stdio: 'ignore' });
    } catch {}
    for (const child of daemons.reverse()) child.kill('SIGTERM');
    await sleep(500);
    for (const child of daemons) if (child.exitCode === null) child.kill('SIGKILL');
  };
  try {
    await until(() => existsSync(join(dir, 'munge.socket')), 10_000, 'munged did not create its socket');
    daemon('/usr/sbin/slurmctld', ['-D', '-f', conf]);
    daemon('/usr/sbin/slurmd', ['-D', '-N', 'rbnode', '-f', conf]);
    await until(
      () => {
        try {
          return execFileSync('sinfo', ['-h', '-o', '%t'], { env, encoding: 'utf8' }).trim() === 'idle';
        } catch {
          return false;
        }
      },
      30_000,
      `the node did not come up idle (see ${dir}/slurmctld.log and slurmd.log)`,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const jobs = (id: string): SlurmJob[] => {
    const text = execFileSync('scontrol', ['show', 'job', '-o', id], { env, encoding: 'utf8' });
    return text
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const field = (name: string) => new RegExp(`(?:^| )${name}=(\\S+)`).exec(line)?.[1];
        const arrayTaskId = field('ArrayTaskId');
        return {
          id: field('JobId') as string,
          state: field('JobState') as string,
          exitCode: field('ExitCode') as string,
          ...(arrayTaskId ? { arrayTaskId } : {}),
        };
      });
  };
  return {
    dir,
    env,
    sbatch: (args) => execFileSync('sbatch', ['--parsable', ...args], { env, encoding: 'utf8' }).trim(),
    scancel: (id) => execFileSync('scancel', [id], { env }),
    jobs,
    async waitEnded(id, timeoutMs) {
      let last: SlurmJob[] = [];
      await until(
        () => {
          last = jobs(id);
          return last.length > 0 && last.every((j) => ENDED.test(j.state));
        },
        timeoutMs,
        `job ${id} did not end in ${timeoutMs / 1000} s`,
      );
      return last;
    },
    stop,
  };
}

async function until(test: () => boolean, timeoutMs: number, message: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(message);
    await sleep(250);
  }
}

/** A job's output file, or '' while it has none. */
export const jobLog = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '');
