import { basename } from 'node:path';
import { UserError } from '../errors.ts';
import type { RemoteHost } from '../remote/ssh.ts';
import { buildNetbufLibxl, NETBUF_INSTALL_SCRIPT } from './build.ts';
import { NETBUF_CHECK_SCRIPT, parseNetbufCheck } from './check.ts';

/** The Debian packages the netbuf hotplug script and libxl need on a dom0. */
export const DOM0_PACKAGES = ['libnl-3-200', 'libnl-route-3-200', 'libnl-utils', 'net-tools'];

export interface Dom0Facts {
  os: string;
  xenVersion: string;
}

/** Debian release and installed Xen 4.17 version, or a UserError naming why this dom0 is not supported. */
export async function dom0Facts(host: RemoteHost): Promise<Dom0Facts> {
  const probe = await host.execLine(
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansions, not JS
    '. /etc/os-release 2>/dev/null; echo "${ID:-unknown} ${VERSION_ID:-unknown}"; dpkg-query -W -f=\'${Version}\\n\' xen-utils-4.17 2>/dev/null || echo none',
  );
  const [os = 'unknown', xen = 'none'] = probe.stdout.trim().split('\n');
  const role = host.target.role;
  if (os !== 'debian 12')
    throw new UserError(
      `${role}: network buffering can be installed only on Debian 12 dom0s (this one is "${os}"): the libxl is rebuilt from Debian's own xen source. Elsewhere, build Xen's tools with libnl3 (configure finds libnl-3 and libnl-route-3 and enables it).`,
    );
  if (!/^4\.17\./.test(xen))
    throw new UserError(
      `${role}: Debian's xen-utils-4.17 is not installed (dpkg says "${xen}"); only Xen 4.17 from Debian 12 is supported.`,
    );
  return { os, xenVersion: xen };
}

async function runChecked(
  host: RemoteHost,
  line: string,
  what: string,
  timeoutMs = 300_000,
): Promise<string> {
  const result = await host.execLine(line, { timeoutMs });
  if (result.exitCode !== 0)
    throw new UserError(
      `${host.target.role}: ${what} failed (exit ${result.exitCode}): ${(result.stderr || result.stdout).trim().split('\n').slice(-4).join(' ')}`,
    );
  return result.stdout;
}

/** What the pre-flight would find missing on this dom0 for network buffering. */
export async function netbufMissing(host: RemoteHost): Promise<string[]> {
  const check = await host.exec(['sh', '-c', NETBUF_CHECK_SCRIPT]);
  return parseNetbufCheck(check.stdout);
}

/** Copies the install script (and the tarball) into a fresh folder on the dom0; returns its path. */
async function stage(host: RemoteHost, tarball?: string): Promise<string> {
  const dir = (await runChecked(host, 'mktemp -d /tmp/remus-bench-netbuf.XXXXXX', 'mktemp')).trim();
  // It goes into command lines below: only what mktemp makes.
  if (!/^\/tmp\/remus-bench-netbuf\.[A-Za-z0-9]+$/.test(dir))
    throw new UserError(`${host.target.role}: mktemp gave an unexpected path "${dir}"`);
  await host.upload(NETBUF_INSTALL_SCRIPT, `${dir}/netbuf-install.sh`);
  if (tarball) await host.upload(tarball, `${dir}/${basename(tarball)}`);
  return dir;
}

/**
 * Builds the netbuf libxl for the dom0's own Xen version (here, from Debian's source), installs the
 * Debian packages it needs there, installs it over Debian's (kept by dpkg-divert) and checks the
 * result as the pre-flight will.
 */
export async function installNetbuf(
  host: RemoteHost,
  workDir: string,
  log: (line: string) => void,
): Promise<void> {
  const facts = await dom0Facts(host);
  log(`${host.target.role}: Debian 12, xen ${facts.xenVersion}`);
  const build = await buildNetbufLibxl(workDir, log, facts.xenVersion);
  log(`${host.target.role}: apt-get install -y ${DOM0_PACKAGES.join(' ')}`);
  await runChecked(
    host,
    `DEBIAN_FRONTEND=noninteractive apt-get install -y -q ${DOM0_PACKAGES.join(' ')}`,
    'apt-get install',
    600_000,
  );
  const dir = await stage(host, build.tarball);
  try {
    log(
      (
        await runChecked(
          host,
          `bash ${dir}/netbuf-install.sh install ${dir}/${basename(build.tarball)}`,
          'netbuf-install.sh install',
        )
      ).trim(),
    );
  } finally {
    await host.execLine(`rm -rf ${dir}`);
  }
  const missing = await netbufMissing(host);
  if (missing.length)
    throw new UserError(
      `${host.target.role}: installed, but still missing for network buffering: ${missing.join('; ')}`,
    );
  log(`${host.target.role}: network buffering ready (xl remus without -n)`);
}

/** Puts Debian's libxenlight back and removes the netbuf files (the Debian packages stay). */
export async function restoreNetbuf(host: RemoteHost, log: (line: string) => void): Promise<void> {
  await dom0Facts(host);
  const dir = await stage(host);
  try {
    log(
      `${host.target.role}: ${(await runChecked(host, `bash ${dir}/netbuf-install.sh restore`, 'netbuf-install.sh restore')).trim()}`,
    );
  } finally {
    await host.execLine(`rm -rf ${dir}`);
  }
}

/** Reports whether the dom0 can run buffered Remus, and what is missing if not. */
export async function netbufStatus(host: RemoteHost, log: (line: string) => void): Promise<boolean> {
  const missing = await netbufMissing(host);
  log(
    missing.length
      ? `${host.target.role}: network buffering off (missing: ${missing.join('; ')})`
      : `${host.target.role}: network buffering on`,
  );
  return missing.length === 0;
}
