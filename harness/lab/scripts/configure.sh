#!/bin/bash
# Xen lab, step 2: one image for both hosts (identity from the kernel command line and NIC MACs).
# Keys: one root key for this machine -> dom0s and A -> B; the image's own host key is written into
# known_hosts files (inside the image for A -> B, and $LAB_DIR/known_hosts for the harness), so
# host keys are always checked. Usage: LAB_DIR=<cache> configure.sh (then guest.sh, image.sh)
set -euo pipefail
cd "${LAB_DIR:?set LAB_DIR}"
R=rootfs
KVER=$(ls $R/boot/vmlinuz-* | sed 's|.*/vmlinuz-||' | sort -V | tail -1)
mkdir -p keys
[ -f keys/id_ed25519 ] || ssh-keygen -q -t ed25519 -N '' -C remus-bench-lab -f keys/id_ed25519
install -d -m700 $R/root/.ssh
install -m600 keys/id_ed25519 $R/root/.ssh/id_ed25519
install -m600 keys/id_ed25519.pub $R/root/.ssh/authorized_keys
HOSTKEY=$(cut -d' ' -f1,2 $R/etc/ssh/ssh_host_ed25519_key.pub)
echo "xena,xenb,10.99.0.1,10.99.0.2 $HOSTKEY" > $R/root/.ssh/known_hosts
printf '[127.0.0.1]:10021 %s\n[127.0.0.1]:10022 %s\n' "$HOSTKEY" "$HOSTKEY" > known_hosts
# The backup notices a dead primary (sshd keep-alive) and fails over instead of waiting forever.
printf 'ClientAliveInterval 2\nClientAliveCountMax 3\n' > $R/etc/ssh/sshd_config.d/remus-bench-lab.conf
rm -f $R/etc/hostname
printf '127.0.0.1 localhost\n10.99.0.1 xena\n10.99.0.2 xenb\n' > $R/etc/hosts
echo '/dev/vda / ext4 rw,noatime,errors=remount-ro 0 1' > $R/etc/fstab
mkdir -p $R/etc/systemd/network
for h in 1 2; do
  printf '[Match]\nMACAddress=52:54:00:99:00:0%s\n[Network]\nAddress=10.99.0.%s/24\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n' $h $h \
    > $R/etc/systemd/network/10-lab-$h.network
  printf '[Match]\nMACAddress=52:54:00:aa:00:0%s\n[Network]\nDHCP=ipv4\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n' $h \
    > $R/etc/systemd/network/20-mgmt-$h.network
done
# The guest segment: bridge xenbr0 on the third NIC (the vde hub of net.sh). dom0 has no address
# there; only the guest and the client namespace do.
printf '[NetDev]\nName=xenbr0\nKind=bridge\n[Bridge]\nSTP=no\n' > $R/etc/systemd/network/30-xenbr0.netdev
printf '[Match]\nName=xenbr0\n[Network]\nLinkLocalAddressing=no\nIPv6AcceptRA=no\nConfigureWithoutCarrier=yes\n' \
  > $R/etc/systemd/network/31-xenbr0.network
for h in 1 2; do
  printf '[Match]\nMACAddress=52:54:00:bb:00:0%s\n[Network]\nBridge=xenbr0\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n' $h \
    > $R/etc/systemd/network/32-gnet-$h.network
done
chroot $R systemctl enable systemd-networkd.service >/dev/null 2>&1
chroot $R systemctl mask systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer \
  e2scrub_all.timer e2scrub_reap.service fstrim.timer >/dev/null 2>&1 || true
sed -i 's|^XENDOMAINS_SAVE=.*|XENDOMAINS_SAVE=""|; s|^XENDOMAINS_RESTORE=.*|XENDOMAINS_RESTORE=false|' $R/etc/default/xendomains
# A small initramfs (only what root=/dev/vda needs) boots faster under TCG.
echo 'MODULES=list' > $R/etc/initramfs-tools/conf.d/remus-bench-lab
printf 'virtio_pci\nvirtio_blk\next4\ncrc32c_generic\n' > $R/etc/initramfs-tools/modules
chroot $R update-initramfs -u -k all >/dev/null 2>&1
echo "dom0 configured (kernel $KVER)"
