package opencon

import (
	"context"
	"errors"
	"fmt"
	"regexp"
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
func (c *Client) CreateInstanceReconciled(ctx context.Context, req CreateInstanceRequest) (*CreateResult, error) {
	start := time.Now()
	name := SanitizeName(req.Name)
	for posts := 1; ; posts++ {
		inst, err := c.CreateInstance(ctx, req)
		if err == nil {
			res := &CreateResult{Instance: inst, Posts: posts}
			if posts > 1 {
				res.Others = c.othersCreated(ctx, req, start, inst.ID)
			}
			return res, nil
		}
		if !errors.Is(err, ErrAmbiguous) {
			if posts > 1 {
				err = fmt.Errorf("%w (POST %d: the earlier ones got no clear answer and created nothing)", err, posts)
			}
			return nil, err
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
		return reconciled(err, found, lookupErr, req, posts, start)
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
		ids := make([]int64, len(found))
		for i, inst := range found {
			ids[i] = inst.ID
		}
		return nil, fmt.Errorf("%w; %d instances %s were created since the request began (ids %s), so the one it made cannot be told apart: import the right one and delete the others",
			postErr, len(found), what, joinIDs(ids))
	}
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
		inst, err := c.GetInstance(ctx, it.ID)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading instance %d, which may be the one created: %w", it.ID, err)
		}
		if inst.Name == name && req.Element.matches(inst.Element) {
			found = append(found, inst)
		}
	}
	return found, nil
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

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ", ")
}
