package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeProvider stands in for the provider: -version prints the stamped
// version, and under the plugin handshake's magic cookie it prints a
// go-plugin handshake line with the stamped protocol, as the real one does.
const fakeProvider = `package main

import (
	"fmt"
	"os"
	"time"
)

var (
	version  = "dev"
	protocol = "6"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-version" {
		fmt.Println(version)
		return
	}
	if os.Getenv("TF_PLUGIN_MAGIC_COOKIE") != "" {
		fmt.Printf("1|%s|unix|/tmp/plugin-fake|grpc|\n", protocol)
		time.Sleep(time.Minute)
	}
}
`

const (
	testProject  = "terraform-provider-opencon"
	testVersion  = "1.2.3"
	testManifest = `{"version":1,"metadata":{"protocol_versions":["6.0"]}}`
)

var (
	host  = runtime.GOOS + "_" + runtime.GOARCH
	other = otherTarget()
)

// otherTarget is a target this machine does not run, Windows for its .exe.
func otherTarget() string {
	if host == "windows_amd64" {
		return "linux_amd64"
	}
	return "windows_amd64"
}

type fakeBuild struct {
	target   string
	ldflags  string
	trimpath bool
}

var (
	goodLdflags = "-s -w -X main.version=" + testVersion
	goodHost    = fakeBuild{host, goodLdflags, true}
	goodOther   = fakeBuild{other, goodLdflags, true}

	fakeBuilds = map[fakeBuild][]byte{}
	buildOnce  sync.Once
	buildErr   error
)

// binaries builds every variant of the fake provider once per test run.
func binaries(t *testing.T) map[fakeBuild][]byte {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "verify-release-test-")
		if err != nil {
			buildErr = err
			return
		}
		defer os.RemoveAll(dir)
		src := filepath.Join(dir, "src")
		if err := os.MkdirAll(src, 0o755); err != nil {
			buildErr = err
			return
		}
		if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module fakeprovider\n\ngo 1.21\n"), 0o644); err != nil {
			buildErr = err
			return
		}
		if err := os.WriteFile(filepath.Join(src, "main.go"), []byte(fakeProvider), 0o644); err != nil {
			buildErr = err
			return
		}
		for i, b := range []fakeBuild{
			goodHost,
			goodOther,
			{host, goodLdflags + " -X main.protocol=5", true}, // speaks another protocol
			{host, goodLdflags, false},                        // no -trimpath
			{host, "-X main.version=" + testVersion, true},    // neither -s nor -w
			{host, "-s -w", true},                             // no version stamped
		} {
			goos, goarch, _ := strings.Cut(b.target, "_")
			out := filepath.Join(dir, fmt.Sprint(i))
			args := []string{"build", "-o", out, "-ldflags", b.ldflags}
			if b.trimpath {
				args = append(args, "-trimpath")
			}
			cmd := exec.Command("go", args...)
			cmd.Dir = src
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch, "GOFLAGS=-buildvcs=false")
			if msg, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %v: %v\n%s", b, err, msg)
				return
			}
			bin, err := os.ReadFile(out)
			if err != nil {
				buildErr = err
				return
			}
			fakeBuilds[b] = bin
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return fakeBuilds
}

// release describes a dist/ directory to write: the zips' entries by target.
type release struct {
	zips     map[string]map[string][]byte
	manifest string
}

func binaryName(target string) string {
	name := testProject + "_v" + testVersion
	if strings.HasPrefix(target, "windows_") {
		name += ".exe"
	}
	return name
}

func goodRelease(t *testing.T) release {
	bins := binaries(t)
	r := release{zips: map[string]map[string][]byte{}, manifest: testManifest}
	for _, b := range []fakeBuild{goodHost, goodOther} {
		r.zips[b.target] = map[string][]byte{binaryName(b.target): bins[b], "LICENSE": []byte("MPL-2.0\n")}
	}
	return r
}

func archive(target string) string {
	return fmt.Sprintf("%s_%s_%s.zip", testProject, testVersion, target)
}

const (
	manifestFile = testProject + "_" + testVersion + "_manifest.json"
	sumsFile     = testProject + "_" + testVersion + "_SHA256SUMS"
)

// write lays r out as goreleaser does, SHA256SUMS included, and returns the
// options that verify it.
func (r release) write(t *testing.T) options {
	t.Helper()
	root := t.TempDir()
	dist := filepath.Join(root, "dist")
	must(t, os.MkdirAll(dist, 0o755))
	must(t, os.WriteFile(filepath.Join(root, "terraform-registry-manifest.json"), []byte(testManifest), 0o644))
	must(t, os.WriteFile(filepath.Join(dist, "metadata.json"),
		[]byte(`{"project_name":"`+testProject+`","tag":"v`+testVersion+`","version":"`+testVersion+`"}`), 0o644))
	must(t, os.WriteFile(filepath.Join(dist, manifestFile), []byte(r.manifest), 0o644))
	for target, entries := range r.zips {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		names := make([]string, 0, len(entries))
		for name := range entries {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			w, err := zw.Create(name)
			must(t, err)
			_, err = w.Write(entries[name])
			must(t, err)
		}
		must(t, zw.Close())
		must(t, os.WriteFile(filepath.Join(dist, archive(target)), buf.Bytes(), 0o644))
	}
	writeSums(t, dist)
	return options{
		dist:       dist,
		project:    testProject,
		manifest:   filepath.Join(root, "terraform-registry-manifest.json"),
		targets:    []string{host, other},
		runTimeout: time.Minute,
	}
}

// writeSums writes SHA256SUMS over the zips and the manifest in dist.
func writeSums(t *testing.T, dist string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dist, "*.zip"))
	must(t, err)
	files = append(files, filepath.Join(dist, manifestFile))
	sort.Strings(files)
	var sums strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		must(t, err)
		h := sha256.Sum256(b)
		fmt.Fprintf(&sums, "%s  %s\n", hex.EncodeToString(h[:]), filepath.Base(f))
	}
	must(t, os.WriteFile(filepath.Join(dist, sumsFile), []byte(sums.String()), 0o644))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestVerifyAcceptsAGoodRelease(t *testing.T) {
	o := goodRelease(t).write(t)
	var out bytes.Buffer
	err := run([]string{"-dist", o.dist, "-manifest", o.manifest, "-targets", host + "," + other}, &out)
	if err != nil {
		t.Fatalf("a good release was refused: %v\n%s", err, out.String())
	}
	sums, err := os.ReadFile(filepath.Join(o.dist, sumsFile))
	must(t, err)
	// The report lists every archive and the manifest with their checksums.
	for _, line := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
		if !strings.Contains(out.String(), "  "+line+"\n") {
			t.Errorf("report lacks %q:\n%s", line, out.String())
		}
	}
	for _, want := range []string{"verified " + testProject + " " + testVersion + ": 2 archives", "-version " + testVersion + ", plugin protocol 6"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

// Each case plants one defect in an otherwise good release.
func TestVerifyRefusesPlantedDefects(t *testing.T) {
	bins := binaries(t)
	withHostBinary := func(b fakeBuild) func(*release) {
		return func(r *release) { r.zips[host][binaryName(host)] = bins[b] }
	}
	for _, tc := range []struct {
		name        string
		plan        func(*release)           // changes what is written
		tamper      func(*testing.T, string) // changes dist after it was written
		want        string
		onlyWindows bool // needs the other target to be Windows
	}{
		{
			name: "tampered checksum",
			tamper: func(t *testing.T, dist string) {
				path := filepath.Join(dist, sumsFile)
				b, err := os.ReadFile(path)
				must(t, err)
				// Flip the first hex digit of the line of the host's archive.
				lines := strings.Split(string(b), "\n")
				for i, l := range lines {
					if strings.HasSuffix(l, archive(host)) {
						flipped := "0"
						if l[0] == '0' {
							flipped = "1"
						}
						lines[i] = flipped + l[1:]
					}
				}
				must(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644))
			},
			want: archive(host) + ": sha256 ",
		},
		{
			name: "archive changed after checksumming",
			tamper: func(t *testing.T, dist string) {
				f, err := os.OpenFile(filepath.Join(dist, archive(other)), os.O_APPEND|os.O_WRONLY, 0)
				must(t, err)
				_, err = f.Write([]byte{0})
				must(t, err)
				must(t, f.Close())
			},
			want: archive(other) + ": sha256 ",
		},
		{
			name: "archive missing",
			plan: func(r *release) { delete(r.zips, other) },
			want: archive(other) + ": not listed in " + sumsFile,
		},
		{
			name:   "archive not checksummed",
			tamper: func(t *testing.T, dist string) { removeSumLine(t, dist, archive(other)) },
			want:   archive(other) + ": not listed in " + sumsFile,
		},
		{
			name: "wrongly named binary",
			plan: func(r *release) {
				bin := r.zips[host][binaryName(host)]
				delete(r.zips[host], binaryName(host))
				r.zips[host][testProject] = bin
			},
			want: archive(host) + ": no binary named " + binaryName(host),
		},
		{
			name:        "windows binary without .exe",
			onlyWindows: true,
			plan: func(r *release) {
				bin := r.zips[other][binaryName(other)]
				delete(r.zips[other], binaryName(other))
				r.zips[other][strings.TrimSuffix(binaryName(other), ".exe")] = bin
			},
			want: archive(other) + ": no binary named " + binaryName(other),
		},
		{
			name: "second binary in a zip",
			plan: func(r *release) { r.zips[host][testProject+"_v0.0.1"] = r.zips[host][binaryName(host)] },
			want: archive(host) + ": holds " + testProject + "_v0.0.1; it may hold only",
		},
		{
			name: "no LICENSE",
			plan: func(r *release) { delete(r.zips[other], "LICENSE") },
			want: archive(other) + ": no LICENSE",
		},
		{
			name: "archive for an unexpected target",
			plan: func(r *release) { r.zips["plan9_amd64"] = r.zips[other] },
			want: sumsFile + " lists " + archive("plan9_amd64") + ", which is not part of the release",
		},
		{
			name: "manifest differs from the repository's",
			plan: func(r *release) { r.manifest = `{"version":1,"metadata":{"protocol_versions":["5.0"]}}` },
			want: manifestFile + " differs from ",
		},
		{
			name:   "manifest not checksummed",
			tamper: func(t *testing.T, dist string) { removeSumLine(t, dist, manifestFile) },
			want:   manifestFile + ": not listed in " + sumsFile,
		},
		{
			name: "binary speaks another protocol than the manifest",
			plan: withHostBinary(fakeBuild{host, goodLdflags + " -X main.protocol=5", true}),
			want: "serves plugin protocol 5; the manifest declares [6]",
		},
		{
			name: "binary built for another target",
			plan: func(r *release) { r.zips[host][binaryName(host)] = bins[goodOther] },
			want: "built with GOOS=",
		},
		{
			name: "built without -trimpath",
			plan: withHostBinary(fakeBuild{host, goodLdflags, false}),
			want: `built with -trimpath="", want "true"`,
		},
		{
			name: "not stripped",
			plan: withHostBinary(fakeBuild{host, "-X main.version=" + testVersion, true}),
			want: "still has its Go symbol table (link with -s)",
		},
		{
			name: "version not stamped",
			plan: withHostBinary(fakeBuild{host, "-s -w", true}),
			want: "version " + testVersion + " is not stamped into the binary",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.onlyWindows && !strings.HasPrefix(other, "windows_") {
				t.Skip("the other target is not Windows on this machine")
			}
			r := goodRelease(t)
			if tc.plan != nil {
				tc.plan(&r)
			}
			o := r.write(t)
			if tc.tamper != nil {
				tc.tamper(t, o.dist)
			}
			_, err := verify(o)
			if err == nil {
				t.Fatalf("verify accepted a release with %s", tc.name)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error does not say %q:\n%v", tc.want, err)
			}
		})
	}
}

func removeSumLine(t *testing.T, dist, name string) {
	t.Helper()
	path := filepath.Join(dist, sumsFile)
	b, err := os.ReadFile(path)
	must(t, err)
	var kept []string
	for _, l := range strings.SplitAfter(string(b), "\n") {
		if l != "" && !strings.HasSuffix(strings.TrimSpace(l), "  "+name) {
			kept = append(kept, l)
		}
	}
	must(t, os.WriteFile(path, []byte(strings.Join(kept, "")), 0o644))
}

func TestRunNeedsTargets(t *testing.T) {
	if err := run([]string{"-dist", t.TempDir()}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "-targets") {
		t.Fatalf("run without -targets: %v", err)
	}
}
