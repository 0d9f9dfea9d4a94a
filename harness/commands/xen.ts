import { join } from 'node:path';
import { labelLayer, readJsonLayer, resolveConfig } from '../config/load.ts';
import type { XenConfig } from '../config/schema.ts';
import { UserError } from '../errors.ts';
import { labDir } from '../lab/hosts.ts';
import { installNetbuf, netbufStatus, restoreNetbuf } from '../netbuf/remote.ts';
import type { RemoteHost } from '../remote/ssh.ts';
import { ensureTools } from '../setup/system-packages.ts';
import { connect } from '../testbeds/xen/connect.ts';
import { labXenConfig } from '../testbeds/xen-lab/index.ts';
import { PROJECT_ROOT } from '../version.ts';

export interface XenFlags {
  config?: string;
  testbed?: string;
}

const ACTIONS = ['install', 'restore', 'status'] as const;

/** The dom0s a config names: testbed.xen of --config, or the lab's own with --testbed xen-lab. */
function dom0Config(flags: XenFlags): XenConfig {
  if (flags.testbed === 'xen-lab') return labXenConfig({ networkBuffering: true }, labDir());
  if (flags.testbed !== undefined && flags.testbed !== 'xen')
    throw new UserError(`--testbed ${flags.testbed}: expected xen (with --config) or xen-lab`);
  if (!flags.config)
    throw new UserError(
      'Name the dom0s: --config <file> with testbed.xen (see README, "The Xen testbed"), or --testbed xen-lab.',
    );
  const config = resolveConfig([labelLayer(readJsonLayer(flags.config, 'Config file'), flags.config)]);
  if (!config.testbed.xen)
    throw new UserError(`${flags.config}: no testbed.xen section (the primary and backup dom0s).`);
  return config.testbed.xen;
}

/**
 * `npm run xen -- netbuf install|restore|status`: Remus's network buffering on both dom0s of a
 * config. install builds libxl with libnl for each dom0's own Debian xen version on this machine
 * (root, mmdebstrap) and installs it there; restore puts Debian's back; status says what is missing.
 */
export async function xenNetbufCommand(
  action: string,
  flags: XenFlags,
  log: (line: string) => void,
): Promise<number> {
  if (!(ACTIONS as readonly string[]).includes(action))
    throw new UserError(`unknown netbuf action "${action}": expected ${ACTIONS.join(', ')}`);
  const xen = dom0Config(flags);
  if (action === 'install') {
    if (process.getuid?.() !== 0)
      throw new UserError(
        'netbuf install builds libxl in a Debian build root on this machine and needs root (mmdebstrap, chroot).',
      );
    await ensureTools(
      [
        { command: 'mmdebstrap', debianPackage: 'mmdebstrap', neededBy: 'the netbuf libxl build root' },
        { command: 'dpkg-source', debianPackage: 'dpkg-dev', neededBy: "Debian's xen source" },
      ],
      log,
    );
  }
  const workDir = process.env.REMUS_BENCH_NETBUF_DIR ?? join(PROJECT_ROOT, '.netbuf');
  let allOn = true;
  for (const [role, target, field] of [
    ['primary dom0', xen.primary, 'testbed.xen.primary'],
    ['backup dom0', xen.backup, 'testbed.xen.backup'],
  ] as const) {
    const host: RemoteHost = await connect(role, target, field);
    try {
      if (action === 'install') await installNetbuf(host, workDir, log);
      else if (action === 'restore') await restoreNetbuf(host, log);
      else allOn = (await netbufStatus(host, log)) && allOn;
    } finally {
      host.close();
    }
  }
  return allOn ? 0 : 1;
}
