//go:build !linux

package store

import "os"

func dropCleanPages(*os.File) {}

func unmapPages(uintptr, int64) {}
