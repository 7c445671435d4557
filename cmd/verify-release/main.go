// Command verify-release checks a goreleaser dist/ directory against what the
// Terraform and OpenTofu registries download, and prints what it verified.
// `make release-snapshot` runs it after `goreleaser release --snapshot`.
//
// It checks, and reports every failure it finds rather than the first:
//   - one zip per expected target, named {project}_{version}_{os}_{arch}.zip,
//     holding exactly the binary {project}_v{version} (.exe on Windows) and
//     LICENSE, and no zip it did not expect;
//   - each binary is a Go binary for that GOOS/GOARCH, built with
//     CGO_ENABLED=0 and -trimpath, stripped (-s -w), with the version stamped
//     into it; the one this machine can run prints that version with
//     -version and answers the plugin handshake with a protocol the manifest
//     declares;
//   - {project}_{version}_manifest.json is a copy of the registry manifest,
//     whose protocol_versions are what the binaries speak;
//   - {project}_{version}_SHA256SUMS lists exactly the archives and the
//     manifest, and every checksum matches the file.
package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"debug/buildinfo"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "verify-release:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("verify-release", flag.ContinueOnError)
	var o options
	fs.StringVar(&o.dist, "dist", "dist", "goreleaser's output directory")
	fs.StringVar(&o.project, "project", "terraform-provider-opencon", "the project name goreleaser was configured with")
	fs.StringVar(&o.manifest, "manifest", "terraform-registry-manifest.json", "the registry manifest the release must carry")
	targets := fs.String("targets", "", "the expected os_arch targets, separated by spaces or commas")
	fs.DurationVar(&o.runTimeout, "run-timeout", 2*time.Minute, "how long the runnable binary may take to print its version or handshake")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.targets = strings.FieldsFunc(*targets, func(r rune) bool { return r == ' ' || r == ',' })
	if len(o.targets) == 0 {
		return errors.New("-targets is required")
	}
	rep, err := verify(o)
	if _, werr := io.WriteString(out, strings.Join(append(rep, ""), "\n")); werr != nil && err == nil {
		err = werr
	}
	return err
}

type options struct {
	dist, project, manifest string
	targets                 []string
	runTimeout              time.Duration
}

// pluginMagicCookie is the go-plugin handshake cookie of Terraform providers.
const pluginMagicCookie = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"

var (
	// The registries need semantic versions without a leading v.
	semverRe = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
	targetRe = regexp.MustCompile(`^[a-z0-9]+_[a-z0-9]+$`)
	sumRe    = regexp.MustCompile(`^([0-9a-f]{64})  ([^/\\\s]+)$`)
)

// verifier collects problems; a release with any of them is not published.
type verifier struct {
	o        options
	version  string
	problems []string
	report   []string
}

func (v *verifier) failf(format string, args ...any) {
	v.problems = append(v.problems, fmt.Sprintf(format, args...))
}

func verify(o options) ([]string, error) {
	v := &verifier{o: o}
	v.run()
	if len(v.problems) > 0 {
		return v.report, fmt.Errorf("%d problem(s) in %s:\n  %s", len(v.problems), o.dist, strings.Join(v.problems, "\n  "))
	}
	return v.report, nil
}

func (v *verifier) run() {
	for _, t := range v.o.targets {
		if !targetRe.MatchString(t) {
			v.failf("target %q is not of the form os_arch", t)
			return
		}
	}
	if !v.readMetadata() {
		return
	}
	majors := v.checkManifest()
	sums := v.readSums()

	expected := map[string]bool{v.manifestName(): true}
	for _, t := range v.o.targets {
		name := v.archiveName(t)
		expected[name] = true
		sum, listed := sums[name]
		if !listed {
			v.failf("%s: not listed in %s", name, v.sumsName())
		}
		if ok, ran := v.checkArchive(t, majors); ok {
			v.report = append(v.report, fmt.Sprintf("  %s  %s", sum, name))
			if ran != "" {
				v.report = append(v.report, "      "+ran)
			}
		}
	}
	if sum, ok := sums[v.manifestName()]; ok {
		v.report = append(v.report, fmt.Sprintf("  %s  %s", sum, v.manifestName()))
	} else {
		v.failf("%s: not listed in %s", v.manifestName(), v.sumsName())
	}
	for name := range sums {
		if !expected[name] {
			v.failf("%s lists %s, which is not part of the release", v.sumsName(), name)
		}
	}
	zips, _ := filepath.Glob(filepath.Join(v.o.dist, "*.zip"))
	for _, z := range zips {
		if !expected[filepath.Base(z)] {
			v.failf("%s: an archive for no expected target", filepath.Base(z))
		}
	}
	if len(v.problems) == 0 {
		v.report = append([]string{fmt.Sprintf("verified %s %s: %d archives, manifest and %s (sha256):",
			v.o.project, v.version, len(v.o.targets), v.sumsName())}, v.report...)
	}
}

func (v *verifier) archiveName(target string) string {
	return fmt.Sprintf("%s_%s_%s.zip", v.o.project, v.version, target)
}
func (v *verifier) manifestName() string {
	return fmt.Sprintf("%s_%s_manifest.json", v.o.project, v.version)
}
func (v *verifier) sumsName() string { return fmt.Sprintf("%s_%s_SHA256SUMS", v.o.project, v.version) }

// readMetadata takes the project and version from goreleaser's metadata.json.
func (v *verifier) readMetadata() bool {
	b, err := os.ReadFile(filepath.Join(v.o.dist, "metadata.json"))
	if err != nil {
		v.failf("metadata.json: %v", err)
		return false
	}
	var md struct {
		ProjectName string `json:"project_name"`
		Version     string `json:"version"`
	}
	if err := json.Unmarshal(b, &md); err != nil {
		v.failf("metadata.json: %v", err)
		return false
	}
	if md.ProjectName != v.o.project {
		v.failf("metadata.json: project %q, want %q", md.ProjectName, v.o.project)
		return false
	}
	if !semverRe.MatchString(md.Version) {
		v.failf("metadata.json: version %q is not a semantic version without a leading v", md.Version)
		return false
	}
	v.version = md.Version
	return true
}

// checkManifest compares the released manifest with the repository's and
// returns the protocol major versions it declares.
func (v *verifier) checkManifest() []string {
	src, err := os.ReadFile(v.o.manifest)
	if err != nil {
		v.failf("registry manifest: %v", err)
		return nil
	}
	var m struct {
		Version  int `json:"version"`
		Metadata struct {
			ProtocolVersions []string `json:"protocol_versions"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(src, &m); err != nil {
		v.failf("%s: %v", v.o.manifest, err)
		return nil
	}
	if m.Version != 1 {
		v.failf("%s: version %d, the registries read version 1", v.o.manifest, m.Version)
	}
	var majors []string
	for _, pv := range m.Metadata.ProtocolVersions {
		major, _, ok := strings.Cut(pv, ".")
		if !ok {
			v.failf("%s: protocol version %q is not major.minor", v.o.manifest, pv)
			continue
		}
		majors = append(majors, major)
	}
	if len(majors) == 0 {
		v.failf("%s: no protocol_versions", v.o.manifest)
	}
	released, err := os.ReadFile(filepath.Join(v.o.dist, v.manifestName()))
	switch {
	case err != nil:
		v.failf("%s: %v", v.manifestName(), err)
	case !bytes.Equal(released, src):
		v.failf("%s differs from %s", v.manifestName(), v.o.manifest)
	}
	return majors
}

// readSums parses SHA256SUMS and checks every line against its file.
func (v *verifier) readSums() map[string]string {
	sums := map[string]string{}
	f, err := os.Open(filepath.Join(v.o.dist, v.sumsName()))
	if err != nil {
		v.failf("%s: %v", v.sumsName(), err)
		return sums
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		m := sumRe.FindStringSubmatch(sc.Text())
		if m == nil {
			v.failf("%s line %d: %q is not \"<sha256>  <file>\"", v.sumsName(), n, sc.Text())
			continue
		}
		if _, dup := sums[m[2]]; dup {
			v.failf("%s lists %s twice", v.sumsName(), m[2])
		}
		sums[m[2]] = m[1]
		got, err := fileSHA256(filepath.Join(v.o.dist, m[2]))
		if err != nil {
			v.failf("%s lists %s: %v", v.sumsName(), m[2], err)
		} else if got != m[1] {
			v.failf("%s: sha256 %s, but %s says %s", m[2], got, v.sumsName(), m[1])
		}
	}
	if err := sc.Err(); err != nil {
		v.failf("%s: %v", v.sumsName(), err)
	}
	return sums
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// checkArchive checks one target's zip and the binary in it. It returns
// whether all was well and, for the binary it could run, what it showed.
func (v *verifier) checkArchive(target string, majors []string) (ok bool, ran string) {
	name := v.archiveName(target)
	before := len(v.problems)
	zr, err := zip.OpenReader(filepath.Join(v.o.dist, name))
	if err != nil {
		v.failf("%s: %v", name, err)
		return false, ""
	}
	defer func() { _ = zr.Close() }() // read only
	goos, goarch, _ := strings.Cut(target, "_")
	binName := fmt.Sprintf("%s_v%s", v.o.project, v.version)
	if goos == "windows" {
		binName += ".exe"
	}
	var bin []byte
	var entries []string
	for _, f := range zr.File {
		entries = append(entries, f.Name)
		switch f.Name {
		case binName:
			if bin, err = readZipFile(f); err != nil {
				v.failf("%s: %s: %v", name, f.Name, err)
			}
		case "LICENSE":
		default:
			v.failf("%s: holds %s; it may hold only %s and LICENSE", name, f.Name, binName)
		}
	}
	if !slices.Contains(entries, "LICENSE") {
		v.failf("%s: no LICENSE", name)
	}
	if bin == nil {
		v.failf("%s: no binary named %s (holds %s)", name, binName, strings.Join(entries, ", "))
		return false, ""
	}
	v.checkBinary(name, binName, bin, goos, goarch)
	if goos == runtime.GOOS && goarch == runtime.GOARCH {
		ran = v.runBinary(name, binName, bin, majors)
	}
	return len(v.problems) == before, ran
}

func readZipFile(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// checkBinary reads what the Go toolchain recorded in the binary and what
// the linker left in it.
func (v *verifier) checkBinary(archive, binName string, bin []byte, goos, goarch string) {
	where := archive + ": " + binName
	info, err := buildinfo.Read(bytes.NewReader(bin))
	if err != nil {
		v.failf("%s: not a Go binary: %v", where, err)
		return
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	for key, want := range map[string]string{"GOOS": goos, "GOARCH": goarch, "CGO_ENABLED": "0", "-trimpath": "true"} {
		if got := settings[key]; got != want {
			v.failf("%s: built with %s=%q, want %q", where, key, got, want)
		}
	}
	// -trimpath keeps -ldflags out of the build info, so the version can
	// only be in the binary if -X main.version put it there.
	if !bytes.Contains(bin, []byte(v.version)) {
		v.failf("%s: version %s is not stamped into the binary (-X main.version)", where, v.version)
	}
	stripped, dwarf, err := symbols(bin)
	if err != nil {
		v.failf("%s: %v", where, err)
		return
	}
	if !stripped {
		v.failf("%s: still has its Go symbol table (link with -s)", where)
	}
	if dwarf {
		v.failf("%s: still has DWARF debug data (link with -w)", where)
	}
}

// symbols reports whether the Go symbols were stripped (-s) and whether DWARF
// data is present (no -w). Mach-O binaries keep their dynamic-import symbols
// after -s, so "stripped" means no Go symbol is left.
func symbols(bin []byte) (stripped, hasDWARF bool, err error) {
	r := bytes.NewReader(bin)
	var names []string
	switch {
	case bytes.HasPrefix(bin, []byte("\x7fELF")):
		f, err := elf.NewFile(r)
		if err != nil {
			return false, false, err
		}
		syms, _ := f.Symbols() // ErrNoSymbols when stripped
		for _, s := range syms {
			names = append(names, s.Name)
		}
		_, derr := f.DWARF()
		hasDWARF = derr == nil
	case bytes.HasPrefix(bin, []byte("MZ")):
		f, err := pe.NewFile(r)
		if err != nil {
			return false, false, err
		}
		for _, s := range f.Symbols {
			names = append(names, s.Name)
		}
		_, derr := f.DWARF()
		hasDWARF = derr == nil
	default:
		f, err := macho.NewFile(r)
		if err != nil {
			return false, false, fmt.Errorf("neither ELF, PE nor Mach-O: %w", err)
		}
		if f.Symtab != nil {
			for _, s := range f.Symtab.Syms {
				names = append(names, s.Name)
			}
		}
		_, derr := f.DWARF()
		hasDWARF = derr == nil
	}
	for _, n := range names {
		if strings.HasSuffix(n, "main.main") || strings.HasSuffix(n, "runtime.main") {
			return false, hasDWARF, nil
		}
	}
	return true, hasDWARF, nil
}

// runBinary runs the binary built for this machine: -version must print the
// release version, and the plugin handshake must offer a protocol the
// manifest declares. It returns what it saw.
func (v *verifier) runBinary(archive, binName string, bin []byte, majors []string) string {
	where := archive + ": " + binName
	dir, err := os.MkdirTemp("", "verify-release-")
	if err != nil {
		v.failf("%s: %v", where, err)
		return ""
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, binName)
	if err := os.WriteFile(path, bin, 0o755); err != nil {
		v.failf("%s: %v", where, err)
		return ""
	}

	line0, err := firstLine(path, []string{"-version"}, nil, v.o.runTimeout)
	switch {
	case err != nil:
		v.failf("%s -version: %v", where, err)
	case line0 != v.version:
		v.failf("%s -version printed %q, want %q", where, line0, v.version)
	}

	// go-plugin answers CORE-PROTOCOL|APP-PROTOCOL|NETWORK|ADDRESS|PROTOCOL;
	// offered 5 and 6, it picks the highest it serves.
	line, err := firstLine(path, nil, []string{"TF_PLUGIN_MAGIC_COOKIE=" + pluginMagicCookie, "PLUGIN_PROTOCOL_VERSIONS=5,6"}, v.o.runTimeout)
	if err != nil {
		v.failf("%s: plugin handshake: %v", where, err)
		return ""
	}
	parts := strings.Split(line, "|")
	if len(parts) < 5 {
		v.failf("%s: plugin handshake %q is not go-plugin's", where, line)
		return ""
	}
	if !slices.Contains(majors, parts[1]) {
		v.failf("%s serves plugin protocol %s; the manifest declares %v", where, parts[1], majors)
		return ""
	}
	return fmt.Sprintf("ran %s: -version %s, plugin protocol %s", binName, line0, parts[1])
}

// firstLine starts path and returns the first line it writes to stdout,
// then stops it.
func firstLine(path string, args, env []string, timeout time.Duration) (string, error) {
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case line, ok := <-lines:
		if !ok {
			_ = cmd.Wait()
			return "", fmt.Errorf("printed nothing (stderr: %q)", strings.TrimSpace(stderr.String()))
		}
		return strings.TrimSpace(line), nil
	case <-time.After(timeout):
		return "", fmt.Errorf("printed nothing within %s", timeout)
	}
}
