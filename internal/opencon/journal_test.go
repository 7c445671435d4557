package opencon

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencon/terraform-provider-opencon/internal/emulator"
)

// process plays one provider process: a journal on dir under an owner of
// its own, read afresh from disk, and a client using it against base.
type process struct {
	journal *Journal
	client  *Client
}

func newProcess(t *testing.T, base, dir, owner string, mods ...func(*Config)) process {
	t.Helper()
	j := &Journal{dir: dir, owner: owner}
	mods = append(mods, func(c *Config) { c.Journal = j })
	return process{journal: j, client: newTestClient(t, base, mods...)}
}

// journalEnv is an emulator and a journal directory two processes share.
type journalEnv struct {
	t    *testing.T
	emu  *emulator.Server
	base string
	dir  string
}

func newJournalEnv(t *testing.T, opts emulator.Options) *journalEnv {
	t.Helper()
	c, emu := newEmulatorClient(t, opts)
	return &journalEnv{t: t, emu: emu, base: strings.TrimSuffix(c.BaseURL(), APIPath), dir: t.TempDir()}
}

func (e *journalEnv) process(owner string, mods ...func(*Config)) process {
	return newProcess(e.t, e.base, e.dir, owner, mods...)
}

// killedMidCreate plays a process killed after its POST reached the
// platform and before it saw the answer: the journal entry is written, the
// instance exists, and nothing more happens.
func (e *journalEnv) killedMidCreate(req CreateInstanceRequest) *Instance {
	e.t.Helper()
	p := e.process("killed")
	if _, err := p.journal.begin(journalKey{p.client.account, SanitizeName(req.Name), elementName(req.Element)}, time.Now()); err != nil {
		e.t.Fatal(err)
	}
	return mustCreate(e.t, p.client, req)
}

func (e *journalEnv) files() []string {
	e.t.Helper()
	des, err := os.ReadDir(e.dir)
	if err != nil && !os.IsNotExist(err) {
		e.t.Fatal(err)
	}
	var out []string
	for _, de := range des {
		out = append(out, de.Name())
	}
	return out
}

func TestJournalAdoptsWhatAKilledCreateMade(t *testing.T) {
	e := newJournalEnv(t, emulator.Options{PageSize: 2})
	for _, name := range []string{"erp-a", "erp-b", "erp-c"} { // three pages with the lost one
		mustCreate(t, e.process("setup").client, netsuite(name))
	}
	lost := e.killedMidCreate(netsuite("erp"))
	e.emu.ResetStats()

	next := e.process("next")
	res, err := reconcile(t, next.client, netsuite("erp"))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Adopted || !res.Recovered || res.Posts != 0 || res.Instance.ID != lost.ID || res.Instance.Token == "" {
		t.Fatalf("result = %+v, want instance %d adopted in full without a POST", res, lost.ID)
	}
	if n := e.emu.Stats()["POST /instances"]; n != 0 || e.emu.InstanceCount() != 4 {
		t.Errorf("%d POSTs, %d instances; want 0 and 4", n, e.emu.InstanceCount())
	}
	// The killed process's entry is settled; the adopted id is noted as
	// the new process's own, until a plan sees it in state.
	if files := e.files(); len(files) != 1 || !strings.HasPrefix(files[0], "next-") {
		t.Errorf("journal files = %v, want only the adopter's", files)
	}
	if err := e.process("plan").journal.Confirm(lost.ID); err != nil {
		t.Fatal(err)
	}
	if files := e.files(); len(files) != 0 {
		t.Errorf("journal files after Confirm = %v", files)
	}
}

// TestJournalAdoptsAnIDTerraformNeverRecorded: the create returned its id,
// but the process ended before Terraform persisted the state (a remote
// backend persists every 20 seconds).
func TestJournalAdoptsAnIDTerraformNeverRecorded(t *testing.T) {
	e := newJournalEnv(t, emulator.Options{})
	first := e.process("first")
	res, err := reconcile(t, first.client, netsuite("erp"))
	if err != nil || res.Adopted {
		t.Fatalf("first create: %+v, %v", res, err)
	}
	if files := e.files(); len(files) != 1 {
		t.Fatalf("journal files after a create = %v, want its entry", files)
	}
	// Another instance of the same name, made since, is not mistaken for it.
	other := mustCreate(t, e.process("elsewhere").client, netsuite("erp"))
	e.emu.ResetStats()

	again, err := reconcile(t, e.process("second").client, netsuite("erp"))
	if err != nil {
		t.Fatal(err)
	}
	if !again.Recovered || again.Instance.ID != res.Instance.ID {
		t.Errorf("second create = %+v, want instance %d adopted (not %d)", again, res.Instance.ID, other.ID)
	}
	if s := e.emu.Stats(); s["POST /instances"] != 0 || s["GET /instances"] != 0 {
		t.Errorf("stats = %v, want no POST and no list: the noted id is read directly", s)
	}
}

func TestJournalConfirmedCreatesAreLeftAlone(t *testing.T) {
	e := newJournalEnv(t, emulator.Options{})
	res, err := reconcile(t, e.process("first").client, netsuite("erp"))
	if err != nil {
		t.Fatal(err)
	}
	// The next plan sees it in state (ModifyPlan confirms every planned instance).
	if err := e.process("plan").client.ConfirmInState(res.Instance.ID); err != nil {
		t.Fatal(err)
	}
	// A second resource of the same name is created, not adopted from the first.
	second, err := reconcile(t, e.process("apply").client, netsuite("erp"))
	if err != nil {
		t.Fatal(err)
	}
	if second.Adopted || second.Instance.ID == res.Instance.ID || e.emu.InstanceCount() != 2 {
		t.Errorf("second create = %+v with %d instances, want a new instance", second, e.emu.InstanceCount())
	}
}

func TestJournalEntriesOfThisProcessAreNeverAdopted(t *testing.T) {
	e := newJournalEnv(t, emulator.Options{})
	p := e.process("same")
	a, err := reconcile(t, p.client, netsuite("erp"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := reconcile(t, p.client, netsuite("erp"))
	if err != nil {
		t.Fatal(err)
	}
	if b.Adopted || a.Instance.ID == b.Instance.ID {
		t.Errorf("two creates of one process: %+v then %+v, want two instances", a, b)
	}
}

func TestJournalInterruptedCreateThatMadeNothing(t *testing.T) {
	e := newJournalEnv(t, emulator.Options{})
	p := e.process("killed")
	if _, err := p.journal.begin(journalKey{p.client.account, "erp", "netsuiteerp"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	e.emu.ResetStats()
	res, err := reconcile(t, e.process("next").client, netsuite("erp"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Adopted || res.Posts != 1 || e.emu.InstanceCount() != 1 {
		t.Errorf("result = %+v, %d instances; want one POST and one instance", res, e.emu.InstanceCount())
	}
	if n := e.emu.Stats()["GET /instances"]; n != 1 {
		t.Errorf("%d lists, want the one lookup", n)
	}
	if files := e.files(); len(files) != 1 || !strings.HasPrefix(files[0], "next-") {
		t.Errorf("journal files = %v, want the killed entry gone and the new create's", files)
	}
}

func TestJournalRefusesAnInstanceOfAnotherConfiguration(t *testing.T) {
	e := newJournalEnv(t, emulator.Options{})
	lost := e.killedMidCreate(netsuite("erp"))
	changed := netsuite("erp")
	changed.Configuration["netsuite.accountId"] = "OTHER"
	changed.Configuration["user.password"] = "changed too, but secrets are not compared"
	_, err := reconcile(t, e.process("next").client, changed)
	if err == nil || !strings.Contains(err.Error(), `configuration key "netsuite.accountId"`) || !strings.Contains(err.Error(), "import it") ||
		!strings.Contains(err.Error(), idString(lost.ID)) {
		t.Fatalf("err = %v, want it to name the instance, the differing key and what to do", err)
	}
	if strings.Contains(err.Error(), "OTHER") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the error quotes values: %v", err)
	}
	if e.emu.InstanceCount() != 1 {
		t.Errorf("%d instances, want only the lost one", e.emu.InstanceCount())
	}
	// Told once: the next apply creates a new one.
	res, err := reconcile(t, e.process("after").client, changed)
	if err != nil || res.Adopted {
		t.Errorf("after the error: %+v, %v; want a plain create", res, err)
	}
}

func TestJournalKeepsTheEntryWhenTheLookupFails(t *testing.T) {
	e := newJournalEnv(t, emulator.Options{})
	lost := e.killedMidCreate(netsuite("erp"))
	e.emu.InjectFault("GET /instances", emulator.FaultUnavailable, 1)
	_, err := reconcile(t, e.process("next", noRetries).client, netsuite("erp"))
	if err == nil || !strings.Contains(err.Error(), "may exist") || !strings.Contains(err.Error(), "503") {
		t.Fatalf("err = %v, want the lookup's failure and that one may exist", err)
	}
	if e.emu.InstanceCount() != 1 {
		t.Fatalf("%d instances after a failed lookup, want 1", e.emu.InstanceCount())
	}
	res, err := reconcile(t, e.process("later").client, netsuite("erp"))
	if err != nil || !res.Recovered || res.Instance.ID != lost.ID {
		t.Errorf("the apply after: %+v, %v; want instance %d adopted", res, err, lost.ID)
	}
}

func TestJournalAnotherAccountIsNotLookedAt(t *testing.T) {
	e := newJournalEnv(t, emulator.Options{})
	p := e.process("killed")
	if _, err := p.journal.begin(journalKey{"another-account", "erp", "netsuiteerp"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	e.emu.ResetStats()
	if _, err := reconcile(t, e.process("next").client, netsuite("erp")); err != nil {
		t.Fatal(err)
	}
	if n := e.emu.Stats()["GET /instances"]; n != 0 {
		t.Errorf("%d lookups for another account's entry", n)
	}
	a := accountFingerprint("https://a.example/elements/api-v2", "u", "o")
	for _, b := range []string{
		accountFingerprint("https://b.example/elements/api-v2", "u", "o"),
		accountFingerprint("https://a.example/elements/api-v2", "u2", "o"),
		accountFingerprint("https://a.example/elements/api-v2", "u", "o2"),
	} {
		if a == b {
			t.Errorf("two accounts share the fingerprint %s", a)
		}
	}
	if len(a) != 16 || strings.Contains(a, "u") {
		t.Errorf("fingerprint %q", a)
	}
}

func TestJournalImportSettlesAnInterruptedCreate(t *testing.T) {
	e := newJournalEnv(t, emulator.Options{})
	lost := e.killedMidCreate(netsuite("erp"))
	// The user imports it instead of applying again.
	importer := e.process("import")
	inst, err := importer.client.GetInstance(context.Background(), lost.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := importer.client.ForgetInterruptedCreate(inst); err != nil {
		t.Fatal(err)
	}
	if files := e.files(); len(files) != 0 {
		t.Errorf("journal files after import = %v", files)
	}
	// A later resource of the same name gets an instance of its own.
	res, err := reconcile(t, e.process("later").client, netsuite("erp"))
	if err != nil || res.Adopted || res.Instance.ID == lost.ID {
		t.Errorf("later create = %+v, %v", res, err)
	}
}

func TestJournalFiles(t *testing.T) {
	dir := t.TempDir()
	k := journalKey{"acct", "erp", "netsuiteerp"}
	old := filepath.Join(dir, "old-1.json")
	b, _ := json.Marshal(journalEntry{Owner: "old", Account: "acct", Name: "erp", Element: "netsuiteerp", Started: time.Now().Add(-JournalMaxAge - time.Hour)})
	if err := os.WriteFile(old, b, 0o600); err != nil {
		t.Fatal(err)
	}
	torn := filepath.Join(dir, "torn-1.json.tmp")
	if err := os.WriteFile(torn, []byte(`{"own`), 0o600); err != nil {
		t.Fatal(err)
	}
	stale := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(torn, stale, stale); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "garbage.json"), []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	j := &Journal{dir: dir, owner: "me"}
	if got, err := j.interrupted(k); err != nil || len(got) != 0 {
		t.Errorf("interrupted = %v, %v; an entry past JournalMaxAge is not one", got, err)
	}
	if des, _ := os.ReadDir(dir); len(des) != 0 {
		t.Errorf("left in the directory: %v", des)
	}

	e, err := j.begin(k, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, e.file))
	if err != nil {
		t.Fatal(err)
	}
	var back journalEntry
	if err := json.Unmarshal(raw, &back); err != nil || back.Name != "erp" || back.Account != "acct" || back.Owner != "me" || back.ID != 0 {
		t.Errorf("entry file %s: %+v, %v", raw, back, err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, e.file)); fi.Mode().Perm() != 0o600 {
		t.Errorf("entry file mode %v", fi.Mode())
	}

	// Another process claims it once; a concurrent create of the same
	// instance in that process does not claim it again.
	other := &Journal{dir: dir, owner: "other"}
	first, _ := other.interrupted(k)
	second, _ := other.interrupted(k)
	if len(first) != 1 || len(second) != 0 {
		t.Errorf("claims: %d then %d, want 1 then 0", len(first), len(second))
	}
	other.release(first)
	if again, _ := other.interrupted(k); len(again) != 1 {
		t.Errorf("after release: %d", len(again))
	}
}

func TestJournalThatCannotBeWrittenDoesNotStopCreates(t *testing.T) {
	e := newJournalEnv(t, emulator.Options{})
	blocker := filepath.Join(e.dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	p := newProcess(t, e.base, filepath.Join(blocker, "journal"), "me")
	res, err := reconcile(t, p.client, netsuite("erp"))
	if err != nil || res.Instance == nil || e.emu.InstanceCount() != 1 {
		t.Errorf("create with an unwritable journal: %+v, %v", res, err)
	}
}

func TestOpenJournalIsSharedInAProcess(t *testing.T) {
	dir := t.TempDir()
	a, err := OpenJournal(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := OpenJournal(filepath.Join(dir, ".", ""))
	if a != b || a.Dir() != dir || a.owner != journalOwner || a.pending() != 0 {
		t.Errorf("OpenJournal twice: %p %p, dir %q, owner %q", a, b, a.Dir(), a.owner)
	}
	if _, err := os.Stat(dir + "/x"); !os.IsNotExist(err) {
		t.Error("opening wrote something")
	}
}

// BenchmarkJournalCreateAndConfirm is what the journal adds to one create
// and the plan after it: the entry written before the POST, rewritten with
// the id, and removed when a later process's plan sees it in state.
func BenchmarkJournalCreateAndConfirm(b *testing.B) {
	dir := b.TempDir()
	creator := &Journal{dir: dir, owner: "apply"}
	planner := &Journal{dir: dir, owner: "plan"}
	k := journalKey{"acct", "erp", "netsuiteerp"}
	for i := range b.N {
		e, err := creator.begin(k, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		if err := creator.created(e, int64(i+1)); err != nil {
			b.Fatal(err)
		}
		planner.loaded = false // a new process reads the directory afresh
		if err := planner.Confirm(int64(i + 1)); err != nil {
			b.Fatal(err)
		}
	}
}
