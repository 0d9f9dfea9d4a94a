/**
 * A backup link as slow as a real one: the backup process lives in a network namespace of its own,
 * reached through a veth pair whose primary end sends through a token bucket (`tc qdisc ... tbf`),
 * so the checkpoint stream leaves the primary at the configured rate. The acknowledgements come
 * back unshaped (4 bytes per epoch).
 *
 * Addresses come from 198.18.0.0/15 (RFC 2544's range for benchmarking, never routed on the
 * internet): one /30 per link, the primary end .1 of the block, the backup end .2. Nothing leaves
 * the host: the only route to the block is the veth itself.
 *
 * Names carry the owning process's pid (`remus-bench-link-<pid>`, interfaces `rbl<pid>p`/`rbl<pid>b`),
 * so a later start can remove the links of a process that died without cleaning up.
 */
import { execa } from 'execa';
import { isAlive } from '../cgroup.ts';

export const LINK_NETNS_PREFIX = 'remus-bench-link-';
/** Blocks of 4 addresses in 198.18.0.0/15. */
const BLOCKS = 2 ** 15;

/** The token bucket for `rateMbit`: depth of at least 1 ms at the rate (and 32 KiB), queue of 50 ms. */
export function tbfParameters(rateMbit: number): { rate: string; burstBytes: number; latency: string } {
  const bytesPerMs = (rateMbit * 1e6) / 8 / 1000;
  return { rate: `${rateMbit}mbit`, burstBytes: Math.max(32 * 1024, Math.ceil(bytesPerMs)), latency: '50ms' };
}

function blockAddress(block: number, host: 1 | 2): string {
  const offset = block * 4 + host;
  return `198.${18 + (offset >> 16)}.${(offset >> 8) & 255}.${offset & 255}`;
}

async function ip(args: string[]): Promise<string> {
  const result = await execa('ip', args, { reject: false, timeout: 10_000 });
  if (result.exitCode !== 0)
    throw new Error(`ip ${args.join(' ')}: ${result.stderr.trim() || `exit ${result.exitCode}`}`);
  return result.stdout;
}

/** The /30 blocks of 198.18.0.0/15 that an interface of this host already has an address in. */
async function usedBlocks(): Promise<Set<number>> {
  const used = new Set<number>();
  for (const match of (await ip(['-o', '-4', 'addr', 'show'])).matchAll(/inet 198\.(18|19)\.(\d+)\.(\d+)/g)) {
    const offset = ((Number(match[1]) - 18) << 16) | (Number(match[2]) << 8) | Number(match[3]);
    used.add(offset >> 2);
  }
  return used;
}

export class ShapedLink {
  private closed = false;

  private constructor(
    readonly namespace: string,
    readonly primaryInterface: string,
    readonly primaryAddress: string,
    readonly backupAddress: string,
    readonly rateMbit: number,
    readonly burstBytes: number,
  ) {}

  /** One line for the manifest and the closing summary. */
  get description(): string {
    return `veth ${this.primaryInterface} (${this.primaryAddress}) -> network namespace ${this.namespace} (${this.backupAddress}); tbf ${this.rateMbit} Mbit/s, burst ${this.burstBytes} bytes, on the primary's end`;
  }

  /** Creates the namespace, the veth pair and the token bucket for a link owned by `ownerPid`. */
  static async create(rateMbit: number, ownerPid = process.pid): Promise<ShapedLink> {
    const namespace = `${LINK_NETNS_PREFIX}${ownerPid}`;
    const primary = `rbl${ownerPid}p`;
    const backup = `rbl${ownerPid}b`;
    await removeLink(namespace, primary);
    const used = await usedBlocks();
    let block = ownerPid % BLOCKS;
    while (used.has(block)) block = (block + 1) % BLOCKS;
    const [primaryAddress, backupAddress] = [blockAddress(block, 1), blockAddress(block, 2)];
    const { rate, burstBytes, latency } = tbfParameters(rateMbit);
    const link = new ShapedLink(namespace, primary, primaryAddress, backupAddress, rateMbit, burstBytes);
    try {
      await ip(['netns', 'add', namespace]);
      await ip(['link', 'add', primary, 'type', 'veth', 'peer', 'name', backup, 'netns', namespace]);
      await ip(['addr', 'add', `${primaryAddress}/30`, 'dev', primary]);
      await ip(['-n', namespace, 'addr', 'add', `${backupAddress}/30`, 'dev', backup]);
      await ip(['-n', namespace, 'link', 'set', 'lo', 'up']);
      await ip(['-n', namespace, 'link', 'set', backup, 'up']);
      await ip(['link', 'set', primary, 'up']);
      const tc = await execa(
        'tc',
        [
          'qdisc',
          'add',
          'dev',
          primary,
          'root',
          'tbf',
          'rate',
          rate,
          'burst',
          String(burstBytes),
          'latency',
          latency,
        ],
        { reject: false, timeout: 10_000 },
      );
      if (tc.exitCode !== 0)
        throw new Error(
          `tc qdisc add ... tbf: ${tc.stderr.trim() || `exit ${tc.exitCode}`} (is sch_tbf available?)`,
        );
    } catch (error) {
      await link.close();
      throw error;
    }
    return link;
  }

  /** The command prefix that runs a program inside the backup's namespace. */
  get exec(): string[] {
    return ['ip', 'netns', 'exec', this.namespace];
  }

  /** Removes the namespace and with it both veth ends and the qdisc. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await removeLink(this.namespace, this.primaryInterface);
  }
}

async function namespaceListed(namespace: string): Promise<boolean> {
  const listing = await execa('ip', ['netns', 'list'], { reject: false, timeout: 10_000 });
  return listing.stdout.split('\n').some((line) => line.split(' ')[0] === namespace);
}

async function removeLink(namespace: string, primaryInterface: string): Promise<void> {
  // `ip netns del` cannot unlink the namespace file while a mount namespace made by `ip netns exec`
  // still holds it ("Device or resource busy"): that one goes shortly after its process has exited.
  for (let attempt = 0; attempt < 40 && (await namespaceListed(namespace)); attempt++) {
    await execa('ip', ['netns', 'del', namespace], { reject: false, timeout: 10_000 });
    if (await namespaceListed(namespace)) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // The veth pair goes with the namespace once the last process in it has exited; do not wait for that.
  await execa('ip', ['link', 'del', primaryInterface], { reject: false, timeout: 10_000 });
}

/** Removes the links of owners that are gone (a controller killed with SIGKILL). Returns their names. */
export async function sweepStaleLinks(): Promise<string[]> {
  const listing = await execa('ip', ['netns', 'list'], { reject: false, timeout: 10_000 });
  if (listing.exitCode !== 0) return [];
  const removed: string[] = [];
  for (const line of listing.stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const owner = name.startsWith(LINK_NETNS_PREFIX)
      ? Number(name.slice(LINK_NETNS_PREFIX.length))
      : Number.NaN;
    if (!Number.isInteger(owner) || isAlive(owner)) continue;
    await removeLink(name, `rbl${owner}p`);
    removed.push(name);
  }
  return removed;
}

/** Whether a shaped link can be made here: creates one for this process and removes it. */
export async function probeShapedLink(rateMbit: number): Promise<string | null> {
  try {
    const link = await ShapedLink.create(rateMbit);
    await link.close();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}
