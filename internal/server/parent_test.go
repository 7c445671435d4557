package server

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestWatchParentCallsGoneOnceTheParentChanges(t *testing.T) {
	var ppid atomic.Int64
	ppid.Store(100)
	called := make(chan struct{}, 2)
	stop := watchParent(func() int { return int(ppid.Load()) }, time.Millisecond, func() { called <- struct{}{} })
	defer stop()

	select {
	case <-called:
		t.Fatal("gone was called while the parent still runs")
	case <-time.After(50 * time.Millisecond):
	}
	ppid.Store(1)
	select {
	case <-called:
	case <-time.After(5 * time.Second):
		t.Fatal("gone was not called after the parent changed")
	}
	time.Sleep(20 * time.Millisecond)
	if len(called) != 0 {
		t.Error("gone was called more than once")
	}
}

func TestWatchParentStops(t *testing.T) {
	var ppid atomic.Int64
	ppid.Store(100)
	var calls atomic.Int32
	stop := watchParent(func() int { return int(ppid.Load()) }, time.Millisecond, func() { calls.Add(1) })
	stop()
	stop() // twice is harmless
	ppid.Store(1)
	time.Sleep(20 * time.Millisecond)
	if calls.Load() != 0 {
		t.Error("gone was called after stop")
	}
}

// The real thing: a process whose parent is SIGKILLed ends by itself. This
// test binary plays three parts, chosen by OPENCON_PARENT_TEST: the test
// starts a "parent", which starts a "child" that runs ExitWithParent and
// exits when told; the test kills the parent and waits for the child.
func TestExitWithParentEndsTheProcessWhenItsParentIsKilled(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows keeps a process's parent id after the parent ends; ExitWithParent does nothing there")
	}
	parent := exec.Command(os.Args[0], "-test.run=^TestParentTestHelper$")
	parent.Env = append(os.Environ(), "OPENCON_PARENT_TEST=parent")
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = parent.Process.Kill(); _ = parent.Wait() }()
	// The parent prints the child's pid once the child watches.
	buf := make([]byte, 64)
	n, err := out.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	child, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	if err != nil {
		t.Fatalf("the parent printed %q, want the child's pid", buf[:n])
	}
	if err := parent.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = parent.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for running(child) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(child, syscall.SIGKILL)
			t.Fatalf("child %d still runs 10 s after its parent was killed", child)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// running tells whether pid runs: it exists and, where /proc says so, is
// not a zombie that a reaper has yet to collect.
func running(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !os.IsNotExist(err) || runtime.GOOS != "linux"
	}
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

func TestParentTestHelper(t *testing.T) {
	switch os.Getenv("OPENCON_PARENT_TEST") {
	case "parent":
		child := exec.Command(os.Args[0], "-test.run=^TestParentTestHelper$")
		child.Env = append(os.Environ(), "OPENCON_PARENT_TEST=child")
		ready, err := child.StdoutPipe()
		if err != nil {
			os.Exit(2)
		}
		if err := child.Start(); err != nil {
			os.Exit(2)
		}
		// Reap the child if it ends while the parent still runs, so that
		// the test's signal 0 does not find a zombie.
		go func() { _ = child.Wait() }()
		buf := make([]byte, 1)
		if _, err := ready.Read(buf); err != nil {
			os.Exit(2)
		}
		fmt.Println(child.Process.Pid)
		time.Sleep(time.Minute)
		os.Exit(0)
	case "child":
		ExitWithParent(10*time.Millisecond, func() { os.Exit(0) })
		fmt.Print("r")
		time.Sleep(time.Minute)
		os.Exit(3)
	default:
		t.Skip("a helper process of TestExitWithParentEndsTheProcessWhenItsParentIsKilled")
	}
}
