//go:build unix

package luciapg_test

import (
	"syscall"
	"time"
)

// processCPUTime is the CPU time (user and system) this process has used.
// Wall time per operation mostly measures the server and the machine's
// other load; the client's own CPU time is what the Store adds.
func processCPUTime() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
