/**
 * Boots one emulated Xen host under QEMU TCG, daemonized, from a fresh copy-on-write overlay of the
 * base image. Third NIC: the guest segment (net.ts must be up). -cpu qemu64,+npt gives Xen HAP
 * (PVH guests and HAP log-dirty, which Remus needs here).
 * Usage: LAB_DIR=<cache> node --import tsx start-host.ts a|b
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { $ } from 'zx';
import { BASE_IMAGE, BOOT_FILES, HOST_MEMORY, HOSTS, type LabHost, VDE_FILES } from '../topology.ts';
import { runSteps, UsageError } from './lab-script.ts';

await runSteps('start-host', async () => {
  const id = process.argv[2];
  if (id !== 'a' && id !== 'b') throw new UsageError(`host a or b, not ${JSON.stringify(id ?? '')}`);
  const host = HOSTS[id satisfies LabHost];
  const peer = HOSTS[id === 'a' ? 'b' : 'a'];
  const overlay = `host-${id}.qcow2`;
  rmSync(overlay, { force: true });
  rmSync(`${id}.console.log`, { force: true });
  rmSync(`${id}.pid`, { force: true });
  await $`qemu-img create -q -f qcow2 -b ${BASE_IMAGE} -F raw ${overlay}`;
  const xen = `console=com1 com1=115200,8n1 dom0_mem=${HOST_MEMORY.dom0MB}M,max:${HOST_MEMORY.dom0MB}M dom0_max_vcpus=1 noreboot`;
  const dom0 = `${BOOT_FILES.kernel} root=/dev/vda rw console=hvc0 net.ifnames=0 systemd.hostname=${host.name}`;
  await $`qemu-system-x86_64 ${[
    ...['-name', host.name, '-machine', 'pc', '-accel', 'tcg', '-cpu', 'qemu64,+npt'],
    ...['-m', String(HOST_MEMORY.qemuMB), '-smp', '1', '-display', 'none', '-vga', 'none', '-no-reboot'],
    ...['-kernel', BOOT_FILES.hypervisor, '-append', xen, '-initrd', `${dom0},${BOOT_FILES.initrd}`],
    ...['-drive', `file=${overlay},if=virtio,format=qcow2,cache=unsafe`],
    // The lab link: a UDP socket pair between the two QEMUs, on loopback.
    ...['-netdev', `socket,id=lab,udp=127.0.0.1:${peer.linkUdpPort},localaddr=127.0.0.1:${host.linkUdpPort}`],
    ...['-device', `virtio-net-pci,netdev=lab,mac=${host.linkMac}`],
    ...['-netdev', `vde,id=gnet,sock=${join(process.cwd(), VDE_FILES.control)}`],
    ...['-device', `virtio-net-pci,netdev=gnet,mac=${host.guestSegmentMac}`],
    // Management: only the dom0's SSH, forwarded from loopback; restrict=on keeps it off any other network.
    ...['-netdev', `user,id=mgmt,restrict=on,hostfwd=tcp:127.0.0.1:${host.sshPort}-:22`],
    ...['-device', `virtio-net-pci,netdev=mgmt,mac=${host.managementMac}`],
    ...['-serial', `file:${id}.console.log`, '-pidfile', `${id}.pid`, '-daemonize'],
  ]}`;
});
