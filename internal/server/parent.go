package server

import (
	"os"
	"time"
)

// ExitWithParent calls gone, once, when the process that started this one
// has ended, checking every interval, and returns the function that stops
// watching.
//
// Why: Terraform ends its providers over gRPC, but a CLI that is killed
// (SIGKILL, an out-of-memory kill, a CI runner cancelling a job) cannot, and
// nothing else tells the provider. Providers used to die anyway at their
// next log line, written to the dead CLI's pipe (SIGPIPE); since the SDK
// loggers write only at the level Terraform shows (SetLogLevels), a provider
// left behind would wait for ever. Its parent's death is the signal instead:
// on Unix a process whose parent ends is given another one (init or a
// subreaper), so os.Getppid changes. Where it never changes (Windows keeps
// the parent id of the process's start) nothing is ever called.
func ExitWithParent(interval time.Duration, gone func()) (stop func()) {
	return watchParent(os.Getppid, interval, gone)
}

func watchParent(getppid func() int, interval time.Duration, gone func()) (stop func()) {
	parent := getppid()
	return every(interval, func() bool {
		if getppid() == parent {
			return false
		}
		gone()
		return true
	})
}
