package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// userHZ is the unit of the tick counts in /proc (USER_HZ), 100 on every
// architecture Go runs Linux on.
const userHZ = 100

// appendProcessMetrics appends the process_* families, read from /proc.
// A source that cannot be read leaves its families out rather than failing
// the whole scrape.
func appendProcessMetrics(b []byte) []byte {
	if st, err := readProcStat(); err == nil {
		b = appendSingle(b, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", "counter", st.cpuSeconds)
		b = appendSingle(b, "process_resident_memory_bytes", "Resident memory size in bytes.", "gauge", st.rssBytes)
		b = appendSingle(b, "process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge", st.vsizeBytes)
		if boot, err := bootTime(); err == nil {
			b = appendSingle(b, "process_start_time_seconds", "Start time of the process since the Unix epoch in seconds.", "gauge",
				boot+st.startTicks/userHZ)
		}
	}
	if n, err := openFDs(); err == nil {
		b = appendSingle(b, "process_open_fds", "Number of open file descriptors.", "gauge", float64(n))
	}
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil {
		b = appendSingle(b, "process_max_fds", "Maximum number of open file descriptors.", "gauge", float64(lim.Cur))
	}
	return b
}

type procStat struct {
	cpuSeconds, startTicks, vsizeBytes, rssBytes float64
}

// readProcStat reads the fields of /proc/self/stat described in proc(5).
func readProcStat() (procStat, error) {
	data, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return procStat{}, fmt.Errorf("read process stat: %w", err)
	}
	// The command name (field 2) may hold spaces and parentheses, so split
	// after its last closing parenthesis: the rest starts at field 3.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return procStat{}, errors.New("parse process stat: no command name")
	}
	fields := strings.Fields(string(data[i+1:]))
	field := func(n int) float64 {
		if err != nil {
			return 0
		}
		if n-3 >= len(fields) {
			err = fmt.Errorf("parse process stat: no field %d", n)
			return 0
		}
		v, perr := strconv.ParseUint(fields[n-3], 10, 64)
		if perr != nil {
			err = fmt.Errorf("parse process stat field %d: %w", n, perr)
		}
		return float64(v)
	}
	st := procStat{
		cpuSeconds: (field(14) + field(15)) / userHZ, // utime + stime
		startTicks: field(22),
		vsizeBytes: field(23),
		rssBytes:   field(24) * float64(os.Getpagesize()),
	}
	return st, err
}

// bootTime is the system boot time in seconds since the Unix epoch, the
// base of the start time in /proc/self/stat.
func bootTime() (float64, error) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, fmt.Errorf("read boot time: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "btime "); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parse boot time: %w", err)
			}
			return float64(n), nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("read boot time: %w", err)
	}
	return 0, errors.New("read boot time: no btime in /proc/stat")
}

// openFDs counts /proc/self/fd, including the descriptor reading it, as
// client_golang did.
func openFDs() (int, error) {
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return 0, fmt.Errorf("count open files: %w", err)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return 0, fmt.Errorf("count open files: %w", err)
	}
	return len(names), nil
}
