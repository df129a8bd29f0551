//go:build linux

package store

import (
	"os"

	"golang.org/x/sys/unix"
)

// dropCleanPages asks the kernel to drop f's cached pages that are clean
// and mapped by no one. Pages bbolt reads through its mapping stay.
func dropCleanPages(f *os.File) {
	_ = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED) // advice only
}

// unmapPages tells the kernel the process no longer needs the mapped pages
// [addr, addr+size) resident. The mapping is a read-only view of the file,
// so nothing is lost: the next read faults the page back in from the page
// cache (or the disk). The raw syscall takes the address as an integer, so
// no Go pointer is made from bbolt's mapping address.
func unmapPages(addr uintptr, size int64) {
	if addr == 0 || size <= 0 {
		return
	}
	_, _, _ = unix.Syscall(unix.SYS_MADVISE, addr, uintptr(size), unix.MADV_DONTNEED) // advice only
}
