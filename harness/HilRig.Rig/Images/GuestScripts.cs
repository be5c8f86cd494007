namespace HilRig.Rig.Images;

/// <summary>
/// The shell scripts of the board image, run by busybox: the initramfs's <c>/init</c> (drivers, A/B boot selection by
/// the agent, the chosen slot read-only under a volatile overlay, switch_root) and the slot's <c>/sbin/init</c> (the
/// agent on the serial console; its exit code decides reboot or power-off, as the process-board driver does).
/// Lines the scripts print start with <c>init:</c>, so a console log shows where a boot stopped.
/// </summary>
public static class GuestScripts
{
    /// <summary>The 9p tag of the board's data directory (the host directory the harness shares into the guest).</summary>
    public const string DataTag = "hilrig-data";

    /// <summary>Where the agent finds its config inside the data directory (written by the board driver before each boot).</summary>
    public const string ConfigFile = "board.json";

    /// <summary>
    /// The board's network, in the data directory when the rig puts the board on a network (written by the board driver
    /// before each boot): one <c>address CIDR</c> per line for the guest's <c>eth0</c> (a virtio-net NIC on a SimNet port).
    /// </summary>
    public const string NetworkFile = "network";

    public const string InitramfsInit = $$"""
        #!/bin/sh
        export PATH=/bin
        mount -t proc proc /proc
        mount -t sysfs sysfs /sys
        mount -t devtmpfs devtmpfs /dev
        while read -r m; do insmod "/lib/modules/$m" || echo "init: insmod $m failed"; done < /etc/modules
        mkdir -p /data
        if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=none {{DataTag}} /data; then
          echo "init: cannot mount the board's data directory (virtio-9p tag {{DataTag}})"; poweroff -f
        fi
        i=0
        while [ ! -b /dev/vda ] && [ $i -lt 200 ]; do usleep 10000; i=$((i + 1)); done
        slot=$(/bin/hilrig-device boot-select --console /dev/ttyS0 --config /data/{{ConfigFile}}) || { sync; poweroff -f; }
        case "$slot" in
          A) part=/dev/vda2 ;;
          B) part=/dev/vda3 ;;
          *) echo "init: boot selection printed no slot ('$slot')"; poweroff -f ;;
        esac
        mkdir -p /ro /rw /newroot
        blockdev --setro "$part"
        if ! mount -t ext4 -o ro "$part" /ro; then
          echo "Kernel panic - not syncing: VFS: Unable to mount root fs on $part"; poweroff -f
        fi
        mount -t tmpfs -o mode=0755 tmpfs /rw
        mkdir -p /rw/upper /rw/work
        mount -t overlay -o lowerdir=/ro,upperdir=/rw/upper,workdir=/rw/work overlay /newroot
        mount --move /data /newroot/data
        mount --move /dev /newroot/dev
        umount /proc /sys
        exec switch_root /newroot /sbin/init "$slot"
        """;

    /// <summary>The slot's PID 1 on a QEMU board; <c>$1</c> is the slot the initramfs booted.</summary>
    public const string SlotInit = $$"""
        #!/bin/sh
        export PATH=/bin
        mount -t proc proc /proc
        mount -t sysfs sysfs /sys
        mount -t tmpfs tmpfs /tmp
        mount -t tmpfs tmpfs /run
        ip link set lo up
        # The rig's network, as a process board gets it in its namespace: eth0 with the board's addresses and a multicast route
        # (discovery needs one).
        if [ -f /data/{{NetworkFile}} ]; then
          while read -r key value; do
            [ "$key" = address ] && { ip addr add "$value" dev eth0 || echo "init: cannot give eth0 the address $value"; }
          done < /data/{{NetworkFile}}
          ip link set eth0 up && ip route add 224.0.0.0/4 dev eth0 || echo "init: cannot bring eth0 up"
        fi
        # The ACPI power button (QMP system_powerdown) is an orderly power-off: any event on its input device sends the
        # agent SIGTERM, and it shuts down cleanly.
        for e in /sys/class/input/event*; do
          [ "$(cat "$e/device/name" 2>/dev/null)" = "Power Button" ] && button=/dev/input/${e##*/}
        done
        /bin/hilrig-device --console /dev/ttyS0 --config /data/{{ConfigFile}} --booted-slot "$1" &
        agent=$!
        [ -n "$button" ] && ( head -c 24 "$button" > /dev/null; kill -TERM "$agent" ) &
        wait "$agent"
        code=$?
        sync
        case $code in
          82) reboot -f ;;
          0) poweroff -f ;;
          *) echo "init: hilrig-device exited with code $code"; poweroff -f ;;
        esac
        """;
}
