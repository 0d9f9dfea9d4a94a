/**
 * Parsers of what `xl` prints, as Debian's Xen 4.17 prints it. Pure functions.
 */

/** `xl info`: `key<spaces>: value` per line (section 9.3). */
export function parseXlInfo(text: string): Record<string, string> {
  const info: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^(\S+)\s*:\s?(.*)$/.exec(line);
    if (match) info[match[1] as string] = (match[2] as string).trim();
  }
  return info;
}

export interface XlDomain {
  name: string;
  domid: number;
  memMiB: number;
  vcpus: number;
  /** Six state letters, e.g. `-b----`, `---ss-` (suspended), `--p---` (paused). */
  state: string;
}

/** `xl list`: a header, then one row per domain (section 9.1). */
export function parseXlList(text: string): XlDomain[] {
  const domains: XlDomain[] = [];
  for (const line of text.split('\n').slice(1)) {
    const match = /^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+([-a-zA-Z]{6})\s+[\d.]+\s*$/.exec(line);
    if (!match) continue;
    domains.push({
      name: match[1] as string,
      domid: Number(match[2]),
      memMiB: Number(match[3]),
      vcpus: Number(match[4]),
      state: match[5] as string,
    });
  }
  return domains;
}

/** Options `xl help remus` lists, e.g. {F, n, d, b, c, p} (section 2.1). */
export function remusOptions(helpText: string): Set<string> {
  return new Set([...helpText.matchAll(/^-([A-Za-z])\s/gm)].map((m) => m[1] as string));
}

/** What a Remus log says so far (4.6+ lines, section 4.3). */
export interface RemusProgress {
  /** `xc: info: All records processed`: one per checkpoint acknowledged by the backup. */
  checkpoints: number;
  /** Pages per epoch from `Checkpointed save: N/N  100%` lines (epochs with 0 pages print none). */
  dirtyPages: number[];
}

export function remusProgress(log: string): RemusProgress {
  let checkpoints = 0;
  const dirtyPages: number[] = [];
  for (const line of log.split('\n')) {
    if (line.includes('xc: info: All records processed')) checkpoints++;
    const save = /xc: progress: Checkpointed save: (\d+)\/(\d+)\s+100%/.exec(line);
    if (save && save[1] === save[2]) dirtyPages.push(Number(save[1]));
  }
  return { checkpoints, dirtyPages };
}

export type RemusEnd =
  | 'primary-destroyed'
  | 'backup-failed'
  | 'no-network-buffering'
  | 'transport-failed'
  | 'suspend-timeout'
  | 'unsafe-flags-refused'
  | 'killed'
  | 'unknown';

/**
 * The lines that say why `xl remus` ended (section 6.1), most specific first: the first rule with
 * a marker in the log wins.
 */
const END_RULES: { markers: string[]; end: RemusEnd; explanation: string }[] = [
  {
    markers: ['Remus: Primary domain has been destroyed.'],
    end: 'primary-destroyed',
    explanation: 'the guest was destroyed on the primary; the backup fails over',
  },
  {
    markers: ['No support for network buffering'],
    end: 'no-network-buffering',
    explanation:
      'libxl on the primary has no network buffering; set testbed.xen.remus.unsafe.noNetbuf (xl remus -F -n) to run without it',
  },
  {
    markers: ['Unsafe mode must be enabled'],
    end: 'unsafe-flags-refused',
    explanation: 'unsafe flags without -F',
  },
  {
    markers: ['truncated reading banner', 'instead of banner'],
    end: 'transport-failed',
    explanation:
      'the primary could not start `xl migrate-receive` on the backup through the transport command (testbed.xen.transport)',
  },
  {
    markers: ['guest did not suspend', 'Failed to suspend domain at primary.'],
    end: 'suspend-timeout',
    explanation: 'the guest did not suspend for a checkpoint; the primary did not resume it',
  },
  {
    markers: ['Remus: Backup failed? resuming domain at primary.'],
    end: 'backup-failed',
    explanation: 'the backup or the link to it failed; the primary resumed the guest',
  },
];

/** Why `xl remus` ended, from its exit status and its last lines (section 6.1). */
export function classifyRemusEnd(
  exitCode: number | null,
  log: string,
): { end: RemusEnd; explanation: string } {
  const rule = END_RULES.find((r) => r.markers.some((marker) => log.includes(marker)));
  if (rule) return { end: rule.end, explanation: rule.explanation };
  if (exitCode === null || exitCode === 137 || exitCode === 143) {
    return { end: 'killed', explanation: 'xl remus was killed: the backup fails over (two live copies)' };
  }
  return { end: 'unknown', explanation: `xl remus exited with ${exitCode}` };
}
