/**
 * Xen lab, step 1: a Debian 12 root filesystem with Xen 4.17, the dom0 kernel and SSH, from this
 * machine's own apt sources (no mirror is named here); sysbench, dropbear and socat are for the
 * guest; libnl, libnl-utils and net-tools are what Remus's network buffering needs in dom0
 * (netbuf-install.sh). Every binary package of Debian's xen source is pinned to XEN_VERSION: the
 * version whose source xen-source.sh fetched and build-netbuf.sh built libxl from.
 * mmdebstrap takes about 55-72 s on a 2-core machine (README, "The Xen lab in a box").
 * Usage: LAB_DIR=<cache> XEN_VERSION=<debian version> node --import tsx build-rootfs.ts
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { $ } from 'zx';
import { ROOTFS, requiredEnv, runSteps } from './lab-script.ts';

const PACKAGES = [
  ...['systemd-sysv', 'udev', 'kmod', 'dbus', 'iproute2', 'procps', 'openssh-server', 'openssh-client'],
  ...[
    'linux-image-amd64',
    'xen-hypervisor-4.17-amd64',
    'xen-utils-4.17',
    'xen-utils-common',
    'xenstore-utils',
  ],
  // The guest's initramfs is made from these (guest.ts).
  ...['busybox-static', 'cpio', 'gzip', 'sysbench', 'dropbear-bin', 'socat'],
  // Remus's network buffering in dom0.
  ...['libnl-3-200', 'libnl-route-3-200', 'libnl-utils', 'net-tools'],
];

/** This machine's apt source lists, which mmdebstrap is given instead of a mirror. */
function aptSources(): string[] {
  const dir = '/etc/apt/sources.list.d';
  const inDir = existsSync(dir) ? readdirSync(dir).sort() : [];
  const lists = ['.list', '.sources'].flatMap((ending) =>
    inDir.filter((name) => name.endsWith(ending)).map((name) => `${dir}/${name}`),
  );
  const sources = ['/etc/apt/sources.list', ...lists].filter(
    (file) => existsSync(file) && statSync(file).size > 0,
  );
  if (sources.length === 0) throw new Error('no apt sources are configured on this machine');
  return sources;
}

/** mmdebstrap does not read /etc/apt/apt.conf.d: the proxies and Release date checks, passed on. */
async function aptOptions(): Promise<string[]> {
  const dump = (await $({ verbose: false })`apt-config dump`).stdout;
  return dump
    .split('\n')
    .filter((line) => /^Acquire::(https?::Proxy|Check-Valid-Until|Check-Date) /.test(line))
    .map((line) => `--aptopt=${line}`);
}

await runSteps('build-rootfs', async () => {
  const xenVersion = requiredEnv('XEN_VERSION', 'the Debian version of xen, from xen-source.sh');
  // It goes into a shell hook below: a Debian version has no shell metacharacters.
  if (!/^[0-9A-Za-z.+~:-]+$/.test(xenVersion))
    throw new Error(`XEN_VERSION ${JSON.stringify(xenVersion)} is not a Debian version`);
  rmSync(ROOTFS, { recursive: true, force: true });
  const pin = `Package: src:xen\\nPin: version ${xenVersion}\\nPin-Priority: 1001\\n`;
  await $`mmdebstrap --mode=root --variant=minbase --include=${PACKAGES.join(',')} ${[
    `--setup-hook=mkdir -p "$1/etc/apt/preferences.d" && printf '${pin}' > "$1/etc/apt/preferences.d/xen-version"`,
    '--aptopt=APT::Install-Recommends "false"',
    ...(await aptOptions()),
  ]} bookworm ${ROOTFS} ${aptSources()}`;
  const installed = (await $`chroot ${ROOTFS} dpkg-query -W -f='\${Version}' xen-utils-4.17`).stdout;
  if (installed !== xenVersion) throw new Error(`installed xen ${installed}, wanted ${xenVersion}`);
});
