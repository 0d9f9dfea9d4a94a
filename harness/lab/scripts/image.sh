#!/bin/bash
# Xen lab, last step: the boot files QEMU loads and one ext4 image for both hosts.
# Usage: LAB_DIR=<cache> image.sh (after configure.sh and guest.sh)
set -euo pipefail
cd "${LAB_DIR:?set LAB_DIR}"
R=rootfs
KVER=$(ls $R/boot/vmlinuz-* | sed 's|.*/vmlinuz-||' | sort -V | tail -1)
mkdir -p boot
zcat $R/boot/xen-4.17-amd64.gz > boot/xen-4.17-amd64
cp $R/boot/vmlinuz-$KVER boot/vmlinuz
cp $R/boot/initrd.img-$KVER boot/initrd.img
rm -f base.img
truncate -s 4G base.img
mkfs.ext4 -q -F -L xenlab -d $R base.img
echo "image built (kernel $KVER)"
