package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestBinaryPrintsListeningLineAndShutsDown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "opencon-emulator")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	state := filepath.Join(dir, "state.json")
	cmd := exec.Command(bin, "-listen", "127.0.0.1:0", "-state-file", state, "-minute", "1s", "-seed", "3")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var line string
	select {
	case line = <-lines:
	case <-time.After(20 * time.Second):
		t.Fatal("no listening line")
	}
	m := regexp.MustCompile(`^opencon-emulator listening on http://(127\.0\.0\.1:(\d+))/elements/api-v2$`).FindStringSubmatch(line)
	if m == nil || m[2] == "0" {
		t.Fatalf("line = %q", line)
	}

	req, _ := http.NewRequest("POST", "http://"+m[1]+"/elements/api-v2/instances", strings.NewReader(
		`{"element":{"key":"netsuiteerp"},"name":"bin","configuration":{"user.username":"u","user.password":"p","netsuite.accountId":"a"}}`))
	req.Header.Set("Authorization", "User dev-user-secret, Organization dev-organization-secret")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("create through the binary: %d", res.StatusCode)
	}
	res, err = http.Get("http://" + m[1] + "/_emulator/stats")
	if err != nil {
		t.Fatal(err)
	}
	var stats map[string]int
	_ = json.NewDecoder(res.Body).Decode(&stats)
	res.Body.Close()
	if stats["POST /instances"] != 1 {
		t.Errorf("stats = %v", stats)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("did not shut down")
	}
	if extra, ok := <-lines; ok {
		t.Errorf("more than one line on stdout: %q", extra)
	}
	data, err := os.ReadFile(state)
	if err != nil || !strings.Contains(string(data), `"name": "bin"`) {
		t.Errorf("state file after shutdown: %v %s", err, data)
	}
}

func TestFlags(t *testing.T) {
	if err := run([]string{"-h"}); err != nil {
		t.Errorf("-h: %v, want the usage and no error", err)
	}
	err := run([]string{"-page-size", "0"})
	if err == nil || !strings.Contains(err.Error(), "-page-size") {
		t.Errorf("-page-size 0: %v, want an error naming the flag", err)
	}
	for _, args := range [][]string{
		{"-storm-every", "10s"},
		{"-storm-length", "1s"},
		{"-storm-every", "1s", "-storm-length", "2s"},
	} {
		if err := run(args); err == nil || !strings.Contains(err.Error(), "-storm-every") {
			t.Errorf("%v: %v, want an error naming -storm-every", args, err)
		}
	}
}
