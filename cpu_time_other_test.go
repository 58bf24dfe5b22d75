//go:build !unix

package luciapg_test

import "time"

// processCPUTime is not measured on this platform.
func processCPUTime() time.Duration { return 0 }
