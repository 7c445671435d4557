package opencon

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CreatedClockSkew is how much earlier than the start of a create an
// instance's createdDate may be and still be taken for its result: the
// platform's clock and this machine's may differ.
const CreatedClockSkew = 2 * time.Minute

// defaultReconcileLookupTimeout bounds one lookup after an unclear create.
// It runs even when the create's own context has ended, since that is often
// why the answer was lost.
const defaultReconcileLookupTimeout = 2 * time.Minute

// CreateResult is the outcome of CreateInstanceReconciled.
type CreateResult struct {
	Instance *Instance
	// Adopted is set when no POST got a usable answer and the instance was
	// found by the lookup instead.
	Adopted bool
	// Recovered is set, with Adopted, when the instance was made by a create
	// of an earlier process that ended before Terraform recorded it (the
	// Journal's entry led to it); no POST was sent.
	Recovered bool
	// Posts is how many times POST /instances was sent (its own retries of
	// attempts that provably never arrived not counted).
	Posts int
	// Others lists instances of the same name and element created since the
	// first POST began, besides Instance, found after a POST was sent again:
	// an earlier POST the lookup missed may have created one. Nothing is
	// deleted; the caller should tell the user.
	Others []int64
}

// CreateInstanceReconciled creates an instance and survives transient
// faults without leaving a duplicate behind. It POSTs; when the outcome is
// unknown (no answer, a 5xx, an unusable 2xx) it looks the instance up
// across every page: same sanitized name, same element, created no earlier
// than CreatedClockSkew before the first POST began. One found is adopted.
// None found, and none found again after a backoff (for a create still in
// flight on the platform), means the POST provably did not create one: it
// is sent again, up to the client's MaxRetries times and within ctx. It
// fails when the lookup cannot answer (the instance may exist: the error
// says so), when several candidates are found (the error lists their ids),
// and when the POSTs are used up with nothing created (nothing is left
// behind). Every lookup has its own deadline, so it runs even when ctx ran
// out during the POST.
//
// With a Journal, the create is noted before the POST and its id once
// known; and before any POST, entries that other processes left for the
// same name, element and account (their process ended mid-create) are
// looked up the same way, from when they began: what they made is adopted
// (Recovered), and a POST is sent only when they provably made nothing.
func (c *Client) CreateInstanceReconciled(ctx context.Context, req CreateInstanceRequest) (*CreateResult, error) {
	start := time.Now()
	key := journalKey{account: c.account, name: SanitizeName(req.Name), element: elementName(req.Element)}
	if c.journal != nil {
		if res, settled, err := c.recoverInterrupted(ctx, req, key); settled {
			return res, err
		}
	}
	entry := c.noteCreate(ctx, key, start)
	res, mayExist, err := c.createReconciled(ctx, req, start)
	switch {
	case entry == nil:
	case err == nil:
		c.journalErr(ctx, c.journal.created(entry, res.Instance.ID))
	case !mayExist:
		c.journal.done(entry)
	}
	// Otherwise the entry stays: the next create of this instance looks
	// for what this one may have made.
	return res, err
}

// noteCreate writes the journal entry of a create about to POST; nil without
// a journal or when it cannot be written (the create goes on without it).
func (c *Client) noteCreate(ctx context.Context, k journalKey, start time.Time) *journalEntry {
	if c.journal == nil {
		return nil
	}
	e, err := c.journal.begin(k, start)
	c.journalErr(ctx, err)
	return e
}

func (c *Client) journalErr(ctx context.Context, err error) {
	if err != nil {
		c.logAt(ctx, LevelWarn, "opencon create journal not written; a create interrupted now would not be recognized by the next apply", map[string]any{"error": err.Error()})
	}
}

// createReconciled is CreateInstanceReconciled without the journal.
// mayExist says that the error leaves open whether an instance was made.
func (c *Client) createReconciled(ctx context.Context, req CreateInstanceRequest, start time.Time) (res *CreateResult, mayExist bool, err error) {
	name := SanitizeName(req.Name)
	for posts := 1; ; posts++ {
		inst, err := c.CreateInstance(ctx, req)
		if err == nil {
			res := &CreateResult{Instance: inst, Posts: posts}
			if posts > 1 {
				res.Others = c.othersCreated(ctx, req, start, inst.ID)
			}
			return res, false, nil
		}
		if !errors.Is(err, ErrAmbiguous) {
			if posts > 1 {
				err = fmt.Errorf("%w (POST %d: the earlier ones got no clear answer and created nothing)", err, posts)
			}
			return nil, false, err
		}
		c.logAt(ctx, LevelWarn, "opencon create outcome unknown; looking the instance up", map[string]any{"name": name, "post": posts, "error": err.Error()})
		found, lookupErr := c.findCreated(ctx, req, start)
		if lookupErr == nil && len(found) == 0 && posts <= c.retryMax {
			// Give a create still being processed time to show, and look
			// again: only a second empty answer lets the POST go again.
			if sleep(ctx, backoff(c.retryWaitMin, c.waitMax, c.maxRetryAfter, posts-1, nil)) == nil {
				if found, lookupErr = c.findCreated(ctx, req, start); lookupErr == nil && len(found) == 0 {
					c.logAt(ctx, LevelInfo, "opencon create made nothing; sending it again", map[string]any{"name": name, "post": posts + 1})
					continue
				}
			}
		}
		res, err := reconciled(err, found, lookupErr, req, posts, start)
		return res, lookupErr != nil, err
	}
}

// reconciled turns the lookup after the last unclear POST into the result.
func reconciled(postErr error, found []*Instance, lookupErr error, req CreateInstanceRequest, posts int, start time.Time) (*CreateResult, error) {
	what := fmt.Sprintf("named %q%s", SanitizeName(req.Name), req.Element.phrase())
	switch {
	case lookupErr != nil:
		return nil, fmt.Errorf("%w; looking for an instance it may have created failed too, so one may exist: %v. Before running apply again, look for an instance %s created since %s and import or delete it",
			postErr, lookupErr, what, start.UTC().Add(-CreatedClockSkew).Format(time.RFC3339))
	case len(found) == 1:
		return &CreateResult{Instance: found[0], Adopted: true, Posts: posts}, nil
	case len(found) == 0:
		return nil, fmt.Errorf("%w; no instance %s was created, so nothing is left behind: run apply again", postErr, what)
	default:
		return nil, fmt.Errorf("%w; %d instances %s were created since the request began (ids %s), so the one it made cannot be told apart: import the right one and delete the others",
			postErr, len(found), what, joinIDs(instanceIDs(found)))
	}
}

// recoverInterrupted settles, before any POST, the journal entries other
// processes left for k: creates that ended with their process. It looks up
// what they made (each id they noted, and by name, element and creation
// time since the oldest began). settled is false when they provably made
// nothing (or there are none): the create goes on and POSTs.
func (c *Client) recoverInterrupted(ctx context.Context, req CreateInstanceRequest, k journalKey) (res *CreateResult, settled bool, err error) {
	prior, err := c.journal.interrupted(k)
	if err != nil || len(prior) == 0 {
		c.journalErr(ctx, err)
		return nil, false, nil
	}
	since := prior[0].Started
	what := fmt.Sprintf("named %q%s", k.name, req.Element.phrase())
	c.logAt(ctx, LevelWarn, "opencon an earlier create of this instance was interrupted; looking for what it made", map[string]any{"name": k.name, "since": since.Format(time.RFC3339)})
	found, err := c.findInterrupted(ctx, req, prior)
	if err != nil {
		c.journal.release(prior)
		return nil, true, fmt.Errorf("an earlier apply was interrupted while creating an instance %s (begun %s), and looking for an instance it may have made failed, so one may exist: %w. Run apply again to look again",
			what, since.Format(time.RFC3339), err)
	}
	c.journal.done(prior...)
	switch len(found) {
	case 0:
		c.logAt(ctx, LevelInfo, "opencon the interrupted create made nothing; creating the instance", map[string]any{"name": k.name})
		return nil, false, nil
	case 1:
		inst := found[0]
		if key := differingKey(req, inst); key != "" {
			return nil, true, fmt.Errorf("an earlier apply was interrupted while creating an instance %s, and made instance %d, but its %s differs from this configuration, so it is not adopted: import it, or delete it and apply again to create a new one",
				what, inst.ID, key)
		}
		// Note the adopted id as this process's own, so that an end before
		// Terraform records it is survived again.
		if e := c.noteCreate(ctx, k, since); e != nil {
			c.journalErr(ctx, c.journal.created(e, inst.ID))
		}
		return &CreateResult{Instance: inst, Adopted: true, Recovered: true}, true, nil
	default:
		return nil, true, fmt.Errorf("an earlier apply was interrupted while creating an instance %s, and %d such instances were created since it began (ids %s), so the one it made cannot be told apart: import the right one and delete the others; the next apply creates a new one",
			what, len(found), joinIDs(instanceIDs(found)))
	}
}

// findInterrupted looks up what interrupted creates made: the instances
// whose ids they noted, if they still exist under the same name and
// element, and the instances findCreated finds since the oldest began.
func (c *Client) findInterrupted(ctx context.Context, req CreateInstanceRequest, prior []*journalEntry) ([]*Instance, error) {
	byID := map[int64]*Instance{}
	lookup := false
	for _, e := range prior {
		if e.ID == 0 {
			lookup = true
			continue
		}
		inst, err := c.readCandidate(ctx, req, e.ID, "which it created")
		if err != nil {
			return nil, err
		}
		if inst != nil {
			byID[inst.ID] = inst
		}
	}
	if lookup {
		found, err := c.findCreated(ctx, req, prior[0].Started)
		if err != nil {
			return nil, err
		}
		for _, inst := range found {
			byID[inst.ID] = inst
		}
	}
	out := make([]*Instance, 0, len(byID))
	for _, inst := range byID {
		out = append(out, inst)
	}
	slices.SortFunc(out, func(a, b *Instance) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// differingKey names the first setting of req that inst does not have:
// "name", "tags" or "configuration key \"k\"" (secret keys, which the
// platform masks, are not compared); "" when none differs.
func differingKey(req CreateInstanceRequest, inst *Instance) string {
	if inst.Name != SanitizeName(req.Name) {
		return "name"
	}
	if req.Tags != nil {
		want, got := slices.Clone(req.Tags), slices.Clone(inst.Tags)
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(slices.Compact(want), slices.Compact(got)) {
			return "tags"
		}
	}
	for _, k := range slices.Sorted(maps.Keys(req.Configuration)) {
		var want string
		switch v := req.Configuration[k].(type) {
		case string:
			want = v
		case bool, int, int64, float64:
			want = fmt.Sprint(v)
		default:
			continue // a JSON object (the poller's configuration): compared by meaning elsewhere
		}
		got, ok := inst.ConfigValue(k)
		if IsSecretKey(k) || got == MaskedValue {
			continue
		}
		if !ok || got != want {
			return fmt.Sprintf("configuration key %q", k)
		}
	}
	return ""
}

// ForgetInterruptedCreate tells the journal that inst is now in state by
// import: an interrupted create it may be the result of is settled, and no
// later create adopts it.
func (c *Client) ForgetInterruptedCreate(inst *Instance) error {
	if c.journal == nil || inst == nil {
		return nil
	}
	created, ok := parseCreatedDate(inst.CreatedDate)
	if !ok {
		return nil
	}
	return c.journal.forget(journalKey{account: c.account, name: inst.Name, element: inst.Element.Key}, created)
}

// ConfirmInState tells the journal that instance id is in Terraform's state.
func (c *Client) ConfirmInState(id int64) error {
	if c.journal == nil {
		return nil
	}
	return c.journal.Confirm(id)
}

// findCreated lists the instances an unclear create may have made, reading
// each candidate in full.
func (c *Client) findCreated(ctx context.Context, req CreateInstanceRequest, since time.Time) ([]*Instance, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.reconcileLookupTimeout)
	defer cancel()
	name := SanitizeName(req.Name)
	list, err := c.ListInstances(ctx, ListInstancesOptions{SearchText: name, Abridged: true})
	if err != nil {
		return nil, err
	}
	var found []*Instance
	for _, it := range list {
		if it.Name != name || (it.Element.Key != "" && !req.Element.matches(it.Element)) {
			continue
		}
		if recent, err := createdSince(it, since); err != nil || !recent {
			if err != nil {
				return nil, err
			}
			continue
		}
		inst, err := c.readCandidate(ctx, req, it.ID, "which may be the one created")
		if err != nil {
			return nil, err
		}
		if inst != nil {
			found = append(found, inst)
		}
	}
	return found, nil
}

// readCandidate reads instance id in full and returns it if it has the
// name and element req asks for; nil when it does not, or no longer exists.
// what says in an error why it was read.
func (c *Client) readCandidate(ctx context.Context, req CreateInstanceRequest, id int64, what string) (*Instance, error) {
	inst, err := c.GetInstance(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading instance %d, %s: %w", id, what, err)
	}
	if inst.Name != SanitizeName(req.Name) || !req.Element.matches(inst.Element) {
		return nil, nil
	}
	return inst, nil
}

// othersCreated lists, after a POST sent again succeeded, the other
// instances an earlier unclear POST may have made. A failing lookup lists
// nothing: the create itself succeeded.
func (c *Client) othersCreated(ctx context.Context, req CreateInstanceRequest, since time.Time, created int64) []int64 {
	found, err := c.findCreated(ctx, req, since)
	if err != nil {
		c.logAt(ctx, LevelWarn, "opencon cannot check for duplicates after a create sent again", map[string]any{"error": err.Error()})
		return nil
	}
	var others []int64
	for _, inst := range found {
		if inst.ID != created {
			others = append(others, inst.ID)
		}
	}
	return others
}

// createdSince reports whether an instance was created no earlier than
// CreatedClockSkew before since. A date it cannot read is an error: such an
// instance can be neither excluded nor adopted.
func createdSince(inst Instance, since time.Time) (bool, error) {
	created, ok := parseCreatedDate(inst.CreatedDate)
	if !ok {
		return false, fmt.Errorf("instance %d named %q has createdDate %q, which is not a date, so whether it is the one created cannot be told", inst.ID, inst.Name, inst.CreatedDate)
	}
	return !created.Before(since.Add(-CreatedClockSkew)), nil
}

// createdDateLayouts are the forms createdDate is read in: ISO-8601 as the
// platform documents it, and the offset forms a Java server may write.
var createdDateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.000-0700",
	"2006-01-02T15:04:05-0700",
}

func parseCreatedDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range createdDateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// matches reports whether e is the element r names; a nil r names any.
func (r *ElementRef) matches(e Element) bool {
	switch {
	case r == nil:
		return true
	case r.Key != "":
		return e.Key == r.Key
	case r.ID != 0:
		return e.ID == r.ID
	}
	return true
}

// phrase is " of element k" for error messages.
func (r *ElementRef) phrase() string {
	switch {
	case r == nil:
		return ""
	case r.Key != "":
		return fmt.Sprintf(" of element %q", r.Key)
	case r.ID != 0:
		return fmt.Sprintf(" of element %d", r.ID)
	}
	return ""
}

var htmlTag = regexp.MustCompile(`<[^>]*>`)

// SanitizeName does what the platform does to instance names: strip HTML
// tags (and the spaces left around them).
func SanitizeName(name string) string {
	return strings.TrimSpace(htmlTag.ReplaceAllString(name, ""))
}

func instanceIDs(list []*Instance) []int64 {
	ids := make([]int64, len(list))
	for i, inst := range list {
		ids[i] = inst.ID
	}
	return ids
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ", ")
}
