//go:build unix

// Package cputime reads the CPU time this process has used, for benchmarks
// that report the client's own cost per call: wall time mostly measures the
// server and the machine's other load.
package cputime

import (
	"syscall"
	"time"
)

// Process returns the user plus system CPU time this process has used, or
// zero where it cannot be read.
func Process() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
