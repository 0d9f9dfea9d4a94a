import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserError } from '../errors.ts';
import { buildNetbufLibxl, NETBUF_INSTALL_SCRIPT, type NetbufBuild } from '../netbuf/build.ts';
import { buildCProgram } from '../setup/guest-programs.ts';
import { runScript } from '../util/run-script.ts';
import { PROJECT_ROOT } from '../version.ts';
import { alivePid } from './hosts.ts';
import { labScript, SCRIPTS } from './scripts.ts';
import { BASE_IMAGE, TOPOLOGY } from './topology.ts';

const DIRTIER_SOURCE = join(PROJECT_ROOT, 'workloads', 'memory', 'guest', 'dirtier.c');

/** The scripts that build the image, in order; net.ts and start-host.ts run at every `up`. */
const IMAGE_SCRIPTS = ['build-rootfs.ts', 'configure.ts', 'guest.ts', 'image.ts'];
/** What the image scripts import: their helpers and the lab's names and addresses. */
const IMAGE_SCRIPT_IMPORTS = [join(SCRIPTS, 'lab-script.ts'), TOPOLOGY];

/**
 * The cache key of the image: the image scripts and what they import, the dirtier source, the
 * netbuf install script and the libxl build. A change to any of them rebuilds; nothing else does.
 */
function imageStamp(netbuf: NetbufBuild): string {
  const hash = createHash('sha256');
  for (const file of [...IMAGE_SCRIPTS.map((name) => join(SCRIPTS, name)), ...IMAGE_SCRIPT_IMPORTS])
    hash.update(readFileSync(file));
  hash.update(readFileSync(DIRTIER_SOURCE));
  hash.update(readFileSync(NETBUF_INSTALL_SCRIPT));
  return `${hash.digest('hex').slice(0, 16)} ${basename(netbuf.tarball)}`;
}

/**
 * Builds the lab image (rootfs, configuration, guest, netbuf libxl, disk image) unless the cached
 * one was built from the same recipe. Refuses to rebuild under running hosts.
 */
export async function ensureImage(dir: string, log: (line: string) => void): Promise<{ cached: boolean }> {
  const stampFile = join(dir, 'image.stamp');
  const netbuf = await buildNetbufLibxl(join(dir, 'netbuf'), log);
  const stamp = imageStamp(netbuf);
  const cached =
    existsSync(join(dir, BASE_IMAGE)) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp;
  if (!cached && (alivePid(dir, 'a') || alivePid(dir, 'b')))
    // The running hosts booted from the old image, and a new build writes new host keys over theirs.
    throw new UserError(
      `The lab's image recipe changed since the running hosts booted (harness/lab/scripts/ or the netbuf libxl): stop them with \`npm run lab -- down\`, then \`npm run lab -- up\` builds the new image.`,
    );
  if (!cached) {
    log(`Building the lab image in ${dir} (cold: about 1-2 minutes)`);
    await labScript('build-rootfs.ts', [], dir, log, { XEN_VERSION: netbuf.xenVersion });
    await labScript('configure.ts', [], dir, log);
    const dirtier = await buildCProgram(DIRTIER_SOURCE, { static: true });
    await labScript('guest.ts', [], dir, log, { DIRTIER: dirtier });
    await runScript(NETBUF_INSTALL_SCRIPT, ['install', netbuf.tarball], {
      logDir: dir,
      log,
      env: { ROOT: join(dir, 'rootfs') },
    });
    await labScript('image.ts', [], dir, log);
    writeFileSync(stampFile, stamp);
  } else log(`Using the cached lab image in ${dir}`);
  return { cached };
}
