import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScript } from '../util/run-script.ts';

/**
 * Remus's network buffering for Debian 12 dom0s: Debian builds libxl without libnl, so `xl remus`
 * without -n fails ("No support for network buffering"). These scripts rebuild libxenlight from
 * Debian's own xen source of the dom0's exact version, with libnl, and install it over Debian's
 * (kept aside by dpkg-divert). The lab image and real dom0s (`npm run xen -- netbuf`) share them.
 */
export const NETBUF_SCRIPTS = fileURLToPath(new URL('./scripts/', import.meta.url));
/** Installs, restores or reports on a dom0 (or a root folder); runs there, as root. */
export const NETBUF_INSTALL_SCRIPT = join(NETBUF_SCRIPTS, 'netbuf-install.sh');
const BUILD_SCRIPTS = ['xen-source.sh', 'build-netbuf.sh'];

/** The netbuf libxl of one Xen version, built by one recipe. */
export interface NetbufBuild {
  xenVersion: string;
  tarball: string;
}

/** The recipe's identity: a cached tarball is reused only when these scripts are unchanged. */
export function netbufRecipe(): string {
  const hash = createHash('sha256');
  for (const file of BUILD_SCRIPTS) hash.update(readFileSync(join(NETBUF_SCRIPTS, file)));
  return hash.digest('hex').slice(0, 16);
}

/**
 * The netbuf-capable libxl, cached in `workDir` per Xen version and recipe. With `xenVersion`, for
 * that Debian version exactly (a dom0's installed one); without, for the newest Xen 4.17 whose
 * source and binaries this machine's mirror serves (the lab then installs that version). Needs root
 * (mmdebstrap, chroot); about 2 minutes cold on a 2-core machine.
 */
export async function buildNetbufLibxl(
  workDir: string,
  log: (line: string) => void,
  xenVersion?: string,
): Promise<NetbufBuild> {
  mkdirSync(workDir, { recursive: true });
  const recipe = netbufRecipe();
  const tarballOf = (version: string) => join(workDir, `libxl-netbuf_${version}_${recipe}.tar.gz`);
  const versionFile = join(workDir, 'xen-version');
  const known =
    xenVersion ?? (existsSync(versionFile) ? readFileSync(versionFile, 'utf8').trim() : undefined);
  if (known && existsSync(tarballOf(known))) {
    log(`Using the cached netbuf libxl for xen ${known}`);
    return { xenVersion: known, tarball: tarballOf(known) };
  }
  log(
    `Building libxl with network buffering from Debian's xen source${xenVersion ? ` ${xenVersion}` : ''} (cold: about 2 minutes)`,
  );
  const options = { logDir: workDir, log, env: { NETBUF_DIR: workDir } };
  await runScript(join(NETBUF_SCRIPTS, 'xen-source.sh'), xenVersion ? [xenVersion] : [], options);
  const version = readFileSync(versionFile, 'utf8').trim();
  await runScript(join(NETBUF_SCRIPTS, 'build-netbuf.sh'), [tarballOf(version)], options);
  return { xenVersion: version, tarball: tarballOf(version) };
}
