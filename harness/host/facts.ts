import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { HARNESS_VERSION, PROJECT_ROOT } from '../version.ts';

/** What the host is: recorded in the manifest so that numbers from different machines are not mixed. */
export interface HostFacts {
  hostname: string;
  kernel: string;
  os: string;
  arch: string;
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  /** 1-minute load average when the run (or resume) started: what else was running. */
  loadAverage1m: number;
  uid: number;
  node: string;
  harnessVersion: string;
  /** Commit of the harness checkout, when it is a git work tree. */
  harnessCommit: string | null;
  /** Versions of the external tools the workloads use ("missing" when absent). */
  tools: Record<string, string>;
}

async function firstLine(command: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await execa(command, args, { timeout: 5000 });
    return stdout.split('\n')[0]?.trim() || 'unknown';
  } catch {
    return 'missing';
  }
}

function osRelease(): string {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

async function gitCommit(): Promise<string | null> {
  if (!existsSync(join(PROJECT_ROOT, '.git'))) return null;
  try {
    const { stdout } = await execa('git', ['-C', PROJECT_ROOT, 'rev-parse', 'HEAD'], { timeout: 5000 });
    return stdout.trim() || null;
  } catch {
    return null;
  }
}

export async function collectHostFacts(): Promise<HostFacts> {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    kernel: os.release(),
    os: osRelease(),
    arch: os.arch(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryBytes: os.totalmem(),
    loadAverage1m: Number(os.loadavg()[0]?.toFixed(2)),
    uid: process.getuid?.() ?? -1,
    node: process.version,
    harnessVersion: HARNESS_VERSION,
    harnessCommit: await gitCommit(),
    tools: {
      sysbench: await firstLine('sysbench', ['--version']),
      chrt: await firstLine('chrt', ['--version']),
    },
  };
}

/** The facts that identify the machine for comparisons (not the load, which varies). */
export function hostIdentity(facts: HostFacts): Omit<HostFacts, 'loadAverage1m'> {
  const { loadAverage1m: _load, ...identity } = facts;
  return identity;
}
