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
