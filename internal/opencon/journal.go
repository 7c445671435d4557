package opencon

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// JournalMaxAge is how long a journal entry is kept: an apply killed
// mid-create is adopted by any later one within this time.
const JournalMaxAge = 30 * 24 * time.Hour

// Journal notes, one small file per create in a directory, each create from
// just before its POST until a later provider process sees the instance in
// Terraform's state (Confirm). A process killed mid-create (the CLI got
// SIGKILL, the runner vanished) leaves its entries behind: the next create of
// the same name and element on the same account, in another process, looks
// for what they made (CreateInstanceReconciled) and adopts it instead of
// creating a duplicate. Nothing of a secret is written: an entry holds the
// name, the element, when the create began, the instance id once known, and
// a fingerprint of the account (a truncated SHA-256 of base URL and secrets).
//
// Writes replace files by rename, so a reader never sees half an entry; they
// are not synced, so a killed process is covered and a power cut may lose
// the latest entry. Processes share a directory safely: each writes files
// of its own, and removing an entry is atomic.
type Journal struct {
	dir   string
	owner string // journalOwner; tests play other processes with others

	mu      sync.Mutex
	loaded  bool
	seq     int
	entries map[string]*journalEntry // by file name
}

// journalEntry is one create as a file records it.
type journalEntry struct {
	Owner   string    `json:"owner"`
	Account string    `json:"account"`
	Name    string    `json:"name"`
	Element string    `json:"element"`
	Started time.Time `json:"started"`
	ID      int64     `json:"id,omitempty"`

	file    string
	claimed bool // taken by a create of this process that is looking it up
}

// journalKey is what a create is recognized by across processes.
type journalKey struct{ account, name, element string }

var (
	// journalOwner tells this process's entries from those of others: an
	// entry of this process belongs to a create still running, or to one
	// Terraform has been handed, never to an interrupted one.
	journalOwner = newJournalOwner()

	journalsMu sync.Mutex
	journals   = map[string]*Journal{}
)

func newJournalOwner() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// OpenJournal returns the journal kept in dir, one per directory in a
// process, so that every provider configuration of the process shares it.
// Nothing is read or written until it is used; dir is made then.
func OpenJournal(dir string) (*Journal, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("opencon: create journal %q: %w", dir, err)
	}
	journalsMu.Lock()
	defer journalsMu.Unlock()
	if j := journals[abs]; j != nil {
		return j, nil
	}
	j := &Journal{dir: abs, owner: journalOwner}
	journals[abs] = j
	return j, nil
}

// Dir is the directory the journal is kept in.
func (j *Journal) Dir() string { return j.dir }

// accountFingerprint names an account without revealing its secrets.
func accountFingerprint(baseURL, userSecret, orgSecret string) string {
	sum := sha256.Sum256([]byte("opencon create journal\x00" + baseURL + "\x00" + userSecret + "\x00" + orgSecret))
	return hex.EncodeToString(sum[:8])
}

// elementName is how an entry names the element of a request.
func elementName(r *ElementRef) string {
	switch {
	case r == nil:
		return ""
	case r.Key != "":
		return r.Key
	case r.ID != 0:
		return "#" + strconv.FormatInt(r.ID, 10)
	}
	return ""
}

// load reads the directory once. A missing directory is an empty journal;
// entries past JournalMaxAge are removed. Call with j.mu held.
func (j *Journal) load() error {
	if j.loaded {
		return nil
	}
	j.entries = map[string]*journalEntry{}
	des, err := os.ReadDir(j.dir)
	if errors.Is(err, fs.ErrNotExist) {
		j.loaded = true
		return nil
	}
	if err != nil {
		return fmt.Errorf("opencon: reading the create journal: %w", err)
	}
	now := time.Now()
	for _, de := range des {
		name := de.Name()
		path := filepath.Join(j.dir, name)
		if strings.Contains(name, ".tmp") {
			// Left by a process killed while writing; a live writer
			// renames its file within microseconds.
			if fi, err := de.Info(); err == nil && now.Sub(fi.ModTime()) > time.Hour {
				_ = os.Remove(path)
			}
			continue
		}
		if !strings.HasSuffix(name, ".json") {
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			continue // removed meanwhile by another process
		}
		var e journalEntry
		if json.Unmarshal(b, &e) != nil || e.Started.IsZero() || now.Sub(e.Started) > JournalMaxAge {
			_ = os.Remove(path)
			continue
		}
		e.file = name
		j.entries[name] = &e
	}
	j.loaded = true
	return nil
}

// write stores e under its file name, by rename. Call with j.mu held.
func (j *Journal) write(e *journalEntry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(j.dir, 0o700); err != nil {
		return fmt.Errorf("opencon: writing the create journal: %w", err)
	}
	tmp := filepath.Join(j.dir, e.file+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("opencon: writing the create journal: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(j.dir, e.file)); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("opencon: writing the create journal: %w", err)
	}
	return nil
}

// remove forgets e and its file. Call with j.mu held.
func (j *Journal) remove(e *journalEntry) {
	delete(j.entries, e.file)
	_ = os.Remove(filepath.Join(j.dir, e.file))
}

// begin notes a create of this process that is about to POST.
func (j *Journal) begin(k journalKey, started time.Time) (*journalEntry, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.load(); err != nil {
		return nil, err
	}
	j.seq++
	e := &journalEntry{Owner: j.owner, Account: k.account, Name: k.name, Element: k.element, Started: started.UTC(),
		file: fmt.Sprintf("%s-%d.json", j.owner, j.seq)}
	if err := j.write(e); err != nil {
		return nil, err
	}
	j.entries[e.file] = e
	return e, nil
}

// created notes the id a create of this process is handing to Terraform.
func (j *Journal) created(e *journalEntry, id int64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	e.ID = id
	return j.write(e)
}

// done forgets an entry whose create is settled: it made nothing, or what
// it made is accounted for.
func (j *Journal) done(entries ...*journalEntry) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, e := range entries {
		j.remove(e)
	}
}

// interrupted claims the entries other processes left for k, oldest first:
// creates whose process ended before the instance was seen in state. The
// caller settles them with done, or hands them back with release.
func (j *Journal) interrupted(k journalKey) ([]*journalEntry, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.load(); err != nil {
		return nil, err
	}
	var out []*journalEntry
	for _, e := range j.entries {
		if e.Owner != j.owner && !e.claimed && e.Account == k.account && e.Name == k.name && e.Element == k.element {
			e.claimed = true
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b *journalEntry) int { return a.Started.Compare(b.Started) })
	return out, nil
}

// release hands claimed entries back, for the next create to look again.
func (j *Journal) release(entries []*journalEntry) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, e := range entries {
		e.claimed = false
	}
}

// Confirm forgets the entries of instance id: Terraform has it in state.
// The provider calls it for every instance it plans, so that an entry lives
// from its create until the next plan at most.
func (j *Journal) Confirm(id int64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.load(); err != nil {
		return err
	}
	for _, e := range j.entries {
		if e.ID == id && id != 0 {
			j.remove(e)
		}
	}
	return nil
}

// forget drops the entries without an id that inst could be the result of:
// the user imported it, so no later create should adopt it.
func (j *Journal) forget(k journalKey, created time.Time) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.load(); err != nil {
		return err
	}
	for _, e := range j.entries {
		if e.ID == 0 && !e.claimed && e.Account == k.account && e.Name == k.name && e.Element == k.element &&
			!created.Before(e.Started.Add(-CreatedClockSkew)) {
			j.remove(e)
		}
	}
	return nil
}

// pending counts the entries the journal holds, for tests.
func (j *Journal) pending() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.load(); err != nil {
		return -1
	}
	return len(j.entries)
}
