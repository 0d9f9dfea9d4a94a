#!/bin/bash
# Xen lab, step 3: the protected guest "bench": PVH, no disk, everything in its initramfs (busybox,
# sysbench, socat, dropbear, the page dirtier, xen-netfront), one vif on dom0's xenbr0 with a fixed
# MAC so that the backup's copy has the same one. Its SSH host key goes into $LAB_DIR/known_hosts.
# Design and measurements: README, "The Xen lab in a box".
# Usage: LAB_DIR=<cache> DIRTIER=<static binary> guest.sh   (after configure.sh, before image.sh)
set -euo pipefail
cd "${LAB_DIR:?set LAB_DIR}"
R=rootfs
KVER=$(ls $R/boot/vmlinuz-* | sed 's|.*/vmlinuz-||' | sort -V | tail -1)
GUEST_IP=10.99.1.10
GUEST_MAC=00:16:3e:99:01:0a
# 128 MB panics while unpacking this initramfs; 160 MB leaves about 50 MB free.
GUEST_MEM=160

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p $T/{bin,sbin,dev,proc,sys,tmp,root,www,lib/modules,etc/dropbear,var/run,var/log}
mkdir -p $T/usr/{bin,sbin,share,lib64,lib/x86_64-linux-gnu}
# ldd names /lib/x86_64-linux-gnu/... and /lib64/...: merged-/usr links as in the rootfs
ln -s ../usr/lib/x86_64-linux-gnu $T/lib/x86_64-linux-gnu
ln -s usr/lib64 $T/lib64
cp $R/bin/busybox $T/bin/busybox
for b in /usr/bin/sysbench /usr/sbin/dropbear /usr/bin/socat; do
  cp $R$b $T$b
  chroot $R ldd $b | grep -o '/[^ ]*' | while read -r lib; do
    [ -e $T$lib ] || cp $R$(chroot $R readlink -f $lib) $T$lib
  done
done
cp -r $R/usr/share/sysbench $T/usr/share/
install -m755 "${DIRTIER:?set DIRTIER to a static build of workloads/memory/guest/dirtier.c}" $T/usr/bin/dirtier
cp $R/lib/modules/$KVER/kernel/drivers/net/xen-netfront.ko $T/lib/modules/
printf 'root:x:0:0:root:/root:/bin/sh\n' > $T/etc/passwd
printf 'root:x:0:\n' > $T/etc/group
printf '/bin/sh\n' > $T/etc/shells
install -d -m700 $T/root/.ssh
install -m600 keys/id_ed25519.pub $T/root/.ssh/authorized_keys
if [ ! -f keys/guest_host_key ]; then
  rm -f $R/tmp/guest_host_key
  chroot $R dropbearkey -t ed25519 -f /tmp/guest_host_key >/dev/null 2>&1
  mv $R/tmp/guest_host_key keys/guest_host_key
fi
install -m600 keys/guest_host_key $T/etc/dropbear/dropbear_ed25519_host_key
cp keys/guest_host_key $R/tmp/guest_host_key
echo "$GUEST_IP $(chroot $R dropbearkey -y -f /tmp/guest_host_key | grep -o '^ssh-ed25519 [^ ]*')" >> known_hosts
rm -f $R/tmp/guest_host_key
cat > $T/init <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts; mount -t devpts devpts /dev/pts
hostname bench
insmod /lib/modules/xen-netfront.ko
i=0; while [ ! -e /sys/class/net/eth0 ] && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i+1)); done
ip link set lo up; ip link set eth0 up; ip addr add $GUEST_IP/24 dev eth0
# No TCP metrics carried from one trial's connection to the next (as on the client side).
echo 1 > /proc/sys/net/ipv4/tcp_no_metrics_save
httpd -p 80 -h /www
dropbear -s -r /etc/dropbear/dropbear_ed25519_host_key -p 22
echo "bench up: \$(cat /proc/uptime) ip $GUEST_IP" > /dev/hvc0
# A counter in guest memory, served at /tick: after a failover it continues from the checkpoint.
n=0
while true; do n=\$((n+1)); echo \$n > /www/tick; sleep 1; done
INIT
chmod +x $T/init
(cd $T && find . | cpio -H newc -o --quiet | gzip -6) > $R/root/bench-initrd.gz
cat > $R/etc/xen/bench.cfg <<CFG
name    = "bench"
type    = "pvh"
kernel  = "/boot/vmlinuz-$KVER"
ramdisk = "/root/bench-initrd.gz"
extra   = "console=hvc0 quiet loglevel=3"
memory  = $GUEST_MEM
vcpus   = 1
vif     = [ "mac=$GUEST_MAC,bridge=xenbr0" ]
on_crash = "preserve"
CFG
echo "guest bench: $GUEST_IP, initramfs $(du -sh $T | cut -f1) unpacked, $(du -h $R/root/bench-initrd.gz | cut -f1) gzipped"
