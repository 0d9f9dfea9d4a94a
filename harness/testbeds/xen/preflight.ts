import { UserError } from '../../errors.ts';
import { NETBUF_CHECK_SCRIPT, parseNetbufCheck } from '../../netbuf/check.ts';
import { shellQuote } from '../../remote/shell-quote.ts';
import type { RemoteHost } from '../../remote/ssh.ts';
import type { XenConfig } from './config.ts';
import { copyState } from './copies.ts';
import { xlRemusProcesses } from './dom0-processes.ts';
import { parseXlInfo, parseXlList, remusOptions } from './xl-output.ts';

export interface PreflightFacts {
  primaryXen: string;
  backupXen: string;
  guestMemMiB: number;
  backupFreeMiB: number;
  remusFlags: string[];
  networkBuffering: boolean;
  guestType: string;
  /** Things to know that do not stop the run. */
  warnings: string[];
}

/** The `xl remus` flags the config asks for (unsafe ones need -F). */
export function remusFlags(config: XenConfig): string[] {
  const { noNetbuf, noDiskReplication, blackhole } = config.remus.unsafe;
  const unsafe = [
    ...(noNetbuf ? ['-n'] : []),
    ...(noDiskReplication ? ['-d'] : []),
    ...(blackhole ? ['-b'] : []),
  ];
  return unsafe.length ? ['-F', ...unsafe] : [];
}

/**
 * Checks both dom0s before anything starts. Every failure is
 * collected, each naming the host and what to do, and reported at once.
 */
export async function preflight(
  config: XenConfig,
  primary: RemoteHost,
  backup: RemoteHost,
): Promise<PreflightFacts> {
  const problems: string[] = [];
  const vm = config.guest.domain;
  const p = `primary dom0 (${config.primary.host})`;
  const b = `backup dom0 (${config.backup.host})`;
  const [pInfo, bInfo, help, pList, bList] = await Promise.all([
    primary.exec(['xl', 'info']),
    backup.exec(['xl', 'info']),
    primary.exec(['xl', 'help', 'remus']),
    primary.exec(['xl', 'list', vm]),
    backup.exec(['xl', 'list']),
  ]);
  const xlFailed = (where: string, what: string, r: { exitCode: number; stderr: string }) =>
    `${where}: \`${what}\` failed (exit ${r.exitCode}): ${r.stderr.trim() || 'no output'}. Is Xen's xl installed and the user allowed to run it (root)?`;
  if (pInfo.exitCode !== 0) problems.push(xlFailed(p, 'xl info', pInfo));
  if (bInfo.exitCode !== 0) problems.push(xlFailed(b, 'xl info', bInfo));
  const primaryInfo = parseXlInfo(pInfo.stdout);
  const backupInfo = parseXlInfo(bInfo.stdout);
  const version = (i: Record<string, string>) =>
    i.xen_version ?? `${i.xen_major}.${i.xen_minor}${i.xen_extra ?? ''}`;
  const flags = remusFlags(config);
  const options = remusOptions(help.stdout);
  if (help.exitCode !== 0) problems.push(xlFailed(p, 'xl help remus', help));
  else {
    const missing = flags.map((f) => f.slice(1)).filter((f) => !options.has(f));
    if (missing.length)
      problems.push(
        `${p}: this xl remus has no option ${missing.map((m) => `-${m}`).join(', ')} (Xen ${version(primaryInfo)}).`,
      );
  }
  const guest = pList.exitCode === 0 ? parseXlList(pList.stdout).find((d) => d.name === vm) : undefined;
  if (!guest)
    problems.push(
      `${p}: the guest domain "${vm}" does not run there (\`xl list ${vm}\`: ${pList.stderr.trim()}). Start it, or fix testbed.xen.guest.domain.`,
    );
  else if (copyState(guest) !== 'running')
    problems.push(
      `${p}: the guest "${vm}" is ${copyState(guest)} (${guest.state}); Remus protects a running guest: unpause, resume or recreate it first.`,
    );
  if (bList.exitCode !== 0)
    problems.push(
      `${b}: \`xl list\` failed (exit ${bList.exitCode}: ${bList.stderr.trim().split('\n').slice(-1)[0]}), so a copy of the guest there cannot be ruled out.`,
    );
  const others = await xlRemusProcesses(primary, vm).catch(() => []);
  if (others.length)
    problems.push(
      `${p}: an xl remus for "${vm}" already runs there (${others.join('; ')}), left by an earlier run or started by someone else. Stop it (kill the transport ssh it runs: xl then resumes the guest at the primary) before starting.`,
    );
  const copies = parseXlList(bList.stdout).filter((d) => d.name === vm || d.name === `${vm}--incoming`);
  for (const copy of copies) {
    problems.push(
      `${b}: a copy of the guest is there already ("${copy.name}", ${copy.state}), left by an earlier run or a failover. Remove it on the backup: xl destroy ${shellQuote(copy.name)}`,
    );
  }
  const backupFreeMiB = Number(backupInfo.free_memory ?? Number.NaN);
  if (guest && Number.isFinite(backupFreeMiB) && backupFreeMiB < guest.memMiB) {
    problems.push(`${b}: ${backupFreeMiB} MiB free, the guest needs ${guest.memMiB} MiB.`);
  }
  // Log-dirty mode: PV guests need shadow paging in the hypervisor, PVH/HVM need HAP (section 11.1 #5).
  let guestType = 'unknown';
  if (guest) {
    const details = await primary.exec(['xl', 'list', '-l', vm]);
    try {
      const parsed = JSON.parse(details.stdout) as { config?: { c_info?: { type?: string } } }[];
      guestType = parsed[0]?.config?.c_info?.type ?? 'unknown';
    } catch {
      // older xl or sxp output: the type stays unknown
    }
    const shadow = await primary.exec(['sh', '-c', "grep -qs '^CONFIG_SHADOW_PAGING=y' /boot/xen-*.config"]);
    const caps = (primaryInfo.virt_caps ?? '').split(/\s+/);
    if (guestType === 'pv' && shadow.exitCode !== 0) {
      problems.push(
        `${p}: "${vm}" is a PV guest and this Xen has no shadow paging (CONFIG_SHADOW_PAGING not set, as in Debian's build), so it cannot enable log-dirty mode for Remus. Use a PVH or HVM guest.`,
      );
    }
    if ((guestType === 'pvh' || guestType === 'hvm') && !caps.includes('hap') && shadow.exitCode !== 0) {
      problems.push(
        `${p}: "${vm}" is ${guestType.toUpperCase()} but the hypervisor lists no hap in virt_caps (${caps.join(' ') || 'none'}) and has no shadow paging: no log-dirty mode for Remus.`,
      );
    }
  }
  // A backup sshd without keep-alives never notices a hung primary: it waits instead of failing over.
  const warnings: string[] = [];
  const alive = await backup.exec([
    'sh',
    '-c',
    "PATH=$PATH:/usr/sbin:/sbin sshd -T 2>/dev/null | grep -i '^clientaliveinterval'",
  ]);
  if (alive.exitCode === 0 && /\s0\s*$/.test(alive.stdout)) {
    warnings.push(
      `The backup's sshd has ClientAliveInterval 0: if the primary hangs, the backup waits instead of failing over (set ClientAliveInterval 2, ClientAliveCountMax 3 on ${config.backup.host}).`,
    );
  }
  let networkBuffering = false;
  if (!config.remus.unsafe.noNetbuf) {
    const check = await primary.exec(['sh', '-c', NETBUF_CHECK_SCRIPT], { timeoutMs: 60_000 });
    const missing =
      check.exitCode === 0 ? parseNetbufCheck(check.stdout) : [`the check itself (exit ${check.exitCode})`];
    networkBuffering = missing.length === 0;
    if (!networkBuffering) {
      problems.push(
        `${p}: no network buffering (missing: ${missing.join('; ')}), so Remus cannot hold the guest's replies until the checkpoint commits. On Debian 12 with Xen 4.17, \`npm run xen -- netbuf install --config <file>\` installs a libxl built with libnl (README, "Network buffering on your own dom0s"); or set testbed.xen.remus.unsafe.noNetbuf to true to run xl remus -F -n (latency results then exclude output commit).`,
      );
    }
  }
  // The primary must reach the backup exactly as xl remus will: sh runs "<transport> <backup> xl ...".
  const reach = await primary.exec(
    ['sh', '-c', `${config.transport} ${shellQuote(config.backupAddress)} xl info xen_version`],
    {
      timeoutMs: 60_000,
    },
  );
  if (reach.exitCode !== 0) {
    problems.push(
      `${p}: cannot reach the backup with the transport \`${config.transport} ${config.backupAddress}\` (exit ${reach.exitCode}: ${reach.stderr.trim().split('\n').slice(-2).join(' ')}). On the primary, make that command log in without a prompt (root key, backup's host key in known_hosts).`,
    );
  }
  if (problems.length) {
    throw new UserError(
      `Xen testbed pre-flight failed (${problems.length} problem${problems.length > 1 ? 's' : ''}); nothing was started:\n${problems.map((x) => `  - ${x}`).join('\n')}`,
    );
  }
  return {
    primaryXen: version(primaryInfo),
    backupXen: version(backupInfo),
    guestMemMiB: guest?.memMiB ?? 0,
    backupFreeMiB,
    remusFlags: flags,
    networkBuffering,
    guestType,
    warnings,
  };
}
