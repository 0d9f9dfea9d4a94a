/**
 * Xen lab, step 2: one image for both hosts (identity from the kernel command line and NIC MACs).
 * Keys: one root key for this machine -> dom0s and A -> B; the image's own host key is written into
 * known_hosts files (inside the image for A -> B, and $LAB_DIR/known_hosts for the harness), so
 * host keys are always checked.
 * Usage: LAB_DIR=<cache> node --import tsx configure.ts (after build-rootfs.ts; then guest.ts, image.ts)
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { $ } from 'zx';
import { GUEST_BRIDGE, HOSTS, LAB_HOST_IDS, LAB_PREFIX } from '../topology.ts';
import { newestKernel, ROOTFS, runSteps } from './lab-script.ts';

const inRoot = (path: string) => join(ROOTFS, path);

/** A systemd-networkd unit: sections in order, each a list of key=value lines. */
function unit(sections: Record<string, string[]>): string {
  return Object.entries(sections)
    .map(([section, lines]) => `[${section}]\n${lines.join('\n')}\n`)
    .join('');
}
const NO_AUTOCONF = ['LinkLocalAddressing=no', 'IPv6AcceptRA=no'];

function writeKeys(): void {
  mkdirSync('keys', { recursive: true });
  if (!existsSync('keys/id_ed25519'))
    $.sync`ssh-keygen -q -t ed25519 -N '' -C remus-bench-lab -f keys/id_ed25519`;
  mkdirSync(inRoot('root/.ssh'), { recursive: true, mode: 0o700 });
  chmodSync(inRoot('root/.ssh'), 0o700);
  for (const [from, to] of [
    ['keys/id_ed25519', 'root/.ssh/id_ed25519'],
    ['keys/id_ed25519.pub', 'root/.ssh/authorized_keys'],
  ] as const) {
    copyFileSync(from, inRoot(to));
    chmodSync(inRoot(to), 0o600);
  }
  // The image's host key (type and key, without the comment) is every host's: one image, two hosts.
  const hostKey = readFileSync(inRoot('etc/ssh/ssh_host_ed25519_key.pub'), 'utf8')
    .split(' ')
    .slice(0, 2)
    .join(' ');
  const names = [
    ...LAB_HOST_IDS.map((id) => HOSTS[id].name),
    ...LAB_HOST_IDS.map((id) => HOSTS[id].linkAddress),
  ];
  writeFileSync(inRoot('root/.ssh/known_hosts'), `${names.join(',')} ${hostKey}\n`);
  writeFileSync(
    'known_hosts',
    LAB_HOST_IDS.map((id) => `[127.0.0.1]:${HOSTS[id].sshPort} ${hostKey}\n`).join(''),
  );
}

function writeNetwork(): void {
  rmSync(inRoot('etc/hostname'), { force: true });
  writeFileSync(
    inRoot('etc/hosts'),
    `127.0.0.1 localhost\n${LAB_HOST_IDS.map((id) => `${HOSTS[id].linkAddress} ${HOSTS[id].name}\n`).join('')}`,
  );
  const network = inRoot('etc/systemd/network');
  mkdirSync(network, { recursive: true });
  LAB_HOST_IDS.forEach((id, index) => {
    const host = HOSTS[id];
    const n = index + 1;
    writeFileSync(
      join(network, `10-lab-${n}.network`),
      unit({
        Match: [`MACAddress=${host.linkMac}`],
        Network: [`Address=${host.linkAddress}/${LAB_PREFIX}`, ...NO_AUTOCONF],
      }),
    );
    writeFileSync(
      join(network, `20-mgmt-${n}.network`),
      unit({ Match: [`MACAddress=${host.managementMac}`], Network: ['DHCP=ipv4', ...NO_AUTOCONF] }),
    );
  });
  // The guest segment: a bridge on the third NIC (the vde hub of net.ts). dom0 has no address
  // there; only the guest and the client namespace do.
  writeFileSync(
    join(network, `30-${GUEST_BRIDGE}.netdev`),
    unit({ NetDev: [`Name=${GUEST_BRIDGE}`, 'Kind=bridge'], Bridge: ['STP=no'] }),
  );
  writeFileSync(
    join(network, `31-${GUEST_BRIDGE}.network`),
    unit({ Match: [`Name=${GUEST_BRIDGE}`], Network: [...NO_AUTOCONF, 'ConfigureWithoutCarrier=yes'] }),
  );
  LAB_HOST_IDS.forEach((id, index) => {
    writeFileSync(
      join(network, `32-gnet-${index + 1}.network`),
      unit({
        Match: [`MACAddress=${HOSTS[id].guestSegmentMac}`],
        Network: [`Bridge=${GUEST_BRIDGE}`, ...NO_AUTOCONF],
      }),
    );
  });
}

await runSteps('configure', async () => {
  const kernel = newestKernel();
  writeKeys();
  // The backup notices a dead primary (sshd keep-alive) and fails over instead of waiting forever.
  writeFileSync(
    inRoot('etc/ssh/sshd_config.d/remus-bench-lab.conf'),
    'ClientAliveInterval 2\nClientAliveCountMax 3\n',
  );
  writeFileSync(inRoot('etc/fstab'), '/dev/vda / ext4 rw,noatime,errors=remount-ro 0 1\n');
  writeNetwork();
  await $`chroot ${ROOTFS} systemctl enable systemd-networkd.service`;
  await $({
    nothrow: true,
  })`chroot ${ROOTFS} systemctl mask systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer`;
  const xendomains = inRoot('etc/default/xendomains');
  writeFileSync(
    xendomains,
    readFileSync(xendomains, 'utf8')
      .replace(/^XENDOMAINS_SAVE=.*$/gm, 'XENDOMAINS_SAVE=""')
      .replace(/^XENDOMAINS_RESTORE=.*$/gm, 'XENDOMAINS_RESTORE=false'),
  );
  // A small initramfs (only what root=/dev/vda needs) boots faster under TCG.
  writeFileSync(inRoot('etc/initramfs-tools/conf.d/remus-bench-lab'), 'MODULES=list\n');
  writeFileSync(inRoot('etc/initramfs-tools/modules'), 'virtio_pci\nvirtio_blk\next4\ncrc32c_generic\n');
  await $`chroot ${ROOTFS} update-initramfs -u -k all`;
  console.log(`dom0 configured (kernel ${kernel})`);
});
