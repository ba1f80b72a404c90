# The guest kernels the testbeds boot, all from Debian 12's archive:
#   6.1   Debian 12's own (linux-image-amd64)
#   6.12  Debian 12's newer one, from its security suite
#         (linux-image-6.12.N+deb12-amd64; modules .ko.xz)
# kernel_version NAME prints the installed version for NAME (6.1, 6.12, or
# a version as in /lib/modules), or nothing when none is installed.
kernel_version() {
	local pattern
	case ${1:-6.1} in
	6.1) pattern='^6\.1\.[0-9]+-[0-9]+-amd64$' ;;
	6.12) pattern='^6\.12\.[0-9]+\+deb12-amd64$' ;;
	*) [ -d "/lib/modules/$1" ] && echo "$1"; return 0 ;;
	esac
	ls /lib/modules 2>/dev/null | grep -E "$pattern" | sort -V | tail -1
}

# kernel_package_612: the linux-image package of the newest 6.12 the mirror
# has (that of linux-source-6.12, so that the patch series builds against
# the same version)
kernel_package_612() {
	local v
	v=$(apt-cache policy linux-source-6.12 2>/dev/null | sed -n 's/^  Candidate: //p')
	[ -n "$v" ] && [ "$v" != "(none)" ] || return 1
	echo "linux-image-${v%%-*}+deb12-amd64"
}
