/**
 * Xen lab, last step: the boot files QEMU loads and one ext4 image for both hosts.
 * Usage: LAB_DIR=<cache> node --import tsx image.ts (after configure.ts and guest.ts)
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { $ } from 'zx';
import { BASE_IMAGE, BOOT_FILES } from '../topology.ts';
import { newestKernel, ROOTFS, runSteps } from './lab-script.ts';

await runSteps('image', async () => {
  const kernel = newestKernel();
  mkdirSync('boot', { recursive: true });
  await $`zcat ${join(ROOTFS, 'boot/xen-4.17-amd64.gz')} > ${BOOT_FILES.hypervisor}`;
  copyFileSync(join(ROOTFS, `boot/vmlinuz-${kernel}`), BOOT_FILES.kernel);
  copyFileSync(join(ROOTFS, `boot/initrd.img-${kernel}`), BOOT_FILES.initrd);
  rmSync(BASE_IMAGE, { force: true });
  await $`truncate -s 4G ${BASE_IMAGE}`;
  await $`mkfs.ext4 -q -F -L xenlab -d ${ROOTFS} ${BASE_IMAGE}`;
  console.log(`image built (kernel ${kernel})`);
});
