//go:build !linux

package main

// monotonicUsec: systemd runs only on Linux; elsewhere notifications are
// never sent, so the clock is never needed.
func monotonicUsec() (int64, bool) { return 0, false }
