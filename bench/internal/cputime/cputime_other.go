//go:build !unix

// Package cputime reads the CPU time this process has used, for benchmarks
// that report the client's own cost per call: wall time mostly measures the
// server and the machine's other load.
package cputime

import "time"

// Process returns zero: CPU time is not measured on this platform.
func Process() time.Duration { return 0 }
