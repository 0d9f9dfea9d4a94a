#!/bin/bash
# Boots one emulated Xen host under QEMU TCG, daemonized, from a fresh copy-on-write overlay of
# base.img. Usage: LAB_DIR=<cache> start-host.sh a|b
# Third NIC: the guest segment (net.sh must be up). -cpu qemu64,+npt gives Xen HAP (PVH guests and HAP log-dirty, which Remus needs here).
set -euo pipefail
cd "${LAB_DIR:?set LAB_DIR}"
h=$1
case $h in a) n=1; o=2; name=xena;; b) n=2; o=1; name=xenb;; *) echo "host a or b" >&2; exit 2;; esac
rm -f host-$h.qcow2 $h.console.log $h.pid
qemu-img create -q -f qcow2 -b base.img -F raw host-$h.qcow2
qemu-system-x86_64 -name xen$h -machine pc -accel tcg -cpu qemu64,+npt -m 2048 -smp 1 \
  -display none -vga none -no-reboot \
  -kernel boot/xen-4.17-amd64 \
  -append "console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M dom0_max_vcpus=1 noreboot" \
  -initrd "boot/vmlinuz root=/dev/vda rw console=hvc0 net.ifnames=0 systemd.hostname=$name,boot/initrd.img" \
  -drive file=host-$h.qcow2,if=virtio,format=qcow2,cache=unsafe \
  -netdev socket,id=lab,udp=127.0.0.1:560$o,localaddr=127.0.0.1:560$n -device virtio-net-pci,netdev=lab,mac=52:54:00:99:00:0$n \
  -netdev vde,id=gnet,sock=$PWD/vde.ctl -device virtio-net-pci,netdev=gnet,mac=52:54:00:bb:00:0$n \
  -netdev user,id=mgmt,restrict=on,hostfwd=tcp:127.0.0.1:1002$n-:22 -device virtio-net-pci,netdev=mgmt,mac=52:54:00:aa:00:0$n \
  -serial file:$h.console.log \
  -pidfile $h.pid -daemonize
