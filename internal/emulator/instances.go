package emulator

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// instanceRequest is a decoded POST, PUT or PATCH body. The has* fields
// tell absent from empty, which PATCH needs.
type instanceRequest struct {
	element      string // key or id; "" when absent
	hasElement   bool
	providerData map[string]string
	config       map[string]json.RawMessage
	hasConfig    bool
	tags         []string
	hasTags      bool
	name         string
	hasName      bool
	external     string
}

func parseInstanceRequest(body []byte) (*instanceRequest, error) {
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil, badRequestf("A JSON request body is required")
	}
	var top map[string]json.RawMessage
	if err := decodeJSON(body, &top); err != nil {
		return nil, badRequestf("Invalid JSON body: %v", err)
	}
	if top == nil {
		return nil, badRequestf("The request body must be a JSON object")
	}
	req := &instanceRequest{}
	isNull := func(raw json.RawMessage) bool { return strings.TrimSpace(string(raw)) == "null" }

	if raw, ok := top["element"]; ok && !isNull(raw) {
		var ref map[string]any
		if err := decodeJSON(raw, &ref); err != nil {
			return nil, badRequestf("element must be an object with a key or an id")
		}
		switch {
		case ref["key"] != nil && ref["key"] != "":
			req.element = toString(ref["key"])
		case ref["id"] != nil:
			req.element = toString(ref["id"])
		}
		req.hasElement = req.element != ""
	}
	if raw, ok := top["providerData"]; ok && !isNull(raw) {
		var pd map[string]any
		if err := decodeJSON(raw, &pd); err != nil {
			return nil, badRequestf("providerData must be an object")
		}
		req.providerData = map[string]string{}
		for k, v := range pd {
			req.providerData[k] = toString(v)
		}
	}
	if raw, ok := top["configuration"]; ok {
		req.hasConfig = true
		if !isNull(raw) {
			if err := decodeJSON(raw, &req.config); err != nil {
				return nil, badRequestf("configuration must be an object: %v", err)
			}
		}
	}
	if raw, ok := top["tags"]; ok {
		req.hasTags = true
		if !isNull(raw) {
			if err := json.Unmarshal(raw, &req.tags); err != nil {
				return nil, badRequestf("tags must be an array of strings")
			}
		}
	}
	if raw, ok := top["name"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &req.name); err != nil {
			return nil, badRequestf("name must be a string")
		}
		req.hasName = true
	}
	if raw, ok := top["externalAuthentication"]; ok && !isNull(raw) {
		if err := json.Unmarshal(raw, &req.external); err != nil {
			return nil, badRequestf("externalAuthentication must be a string")
		}
		if req.external != externalNone && req.external != externalInitial {
			return nil, badRequestf("Unsupported externalAuthentication %q; use \"none\" or \"initial\"", req.external)
		}
	}
	return req, nil
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case nil:
		return ""
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

func sanitizeTags(tags []string) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		if t = sanitize(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// provisioning is the outcome of validating a request against an element:
// the final configuration and, for OAuth, the code to exchange.
type provisioning struct {
	el       *elementDef
	cfg      map[string]*string
	external string
	code     string
}

// provision checks the configuration and the authentication mode.
func provision(el *elementDef, cfg map[string]*string, external string, providerData map[string]string) (*provisioning, error) {
	p := &provisioning{el: el, cfg: cfg, external: external, code: providerData["code"]}
	if p.code != "" {
		p.external = externalNone
	}
	if el.OAuth == nil && p.external == externalInitial {
		return nil, badRequestf("externalAuthentication \"initial\" is only supported by OAuth elements; %s uses %s", el.Key, el.AuthType)
	}
	if missing := missingKeys(el, p.external, cfg); len(missing) > 0 {
		return nil, badRequestf("Missing required configuration entries for element %s: %s", el.Key, strings.Join(missing, ", "))
	}
	return p, nil
}

// authorize performs the OAuth code exchange, if any, and stores the tokens.
func (c *call) authorize(p *provisioning) error {
	if p.code == "" {
		return nil
	}
	tok, err := c.s.exchangeCode(c.r, p.el, p.cfg[keyOAuthAPIKey], p.cfg[keyOAuthAPISecret], p.cfg[keyOAuthCallbackURL], p.code)
	if err != nil {
		return err
	}
	p.cfg[keyOAuthUserToken] = &tok.access
	p.cfg[keyOAuthRefresh] = &tok.refresh
	return nil
}

// noteEvents keeps the subscription and the polling start time current
// after a change from old (nil on create) to inst.
func (s *Server) noteEvents(old, inst *instance) {
	if inst.eventsEnabled() && inst.value(keyCallbackURL) != "" && inst.SubscriptionID == 0 {
		inst.SubscriptionID = s.st.NextSubscriptionID
		s.st.NextSubscriptionID++
	}
	if pollingActive(inst) && (old == nil || !pollingActive(old)) {
		inst.EventsSince = s.pollClock()
	}
}

func pollingActive(inst *instance) bool {
	return !inst.Disabled && inst.eventsEnabled() && inst.value(keyPollerConfig) != ""
}

func (s *Server) createInstance(c *call)        { s.create(c, "") }
func (s *Server) createElementInstance(c *call) { s.create(c, c.params["keyOrId"]) }

func (s *Server) create(c *call, pathElement string) {
	req, err := parseInstanceRequest(c.body)
	if err != nil {
		c.failErr(err)
		return
	}
	ref := pathElement
	if ref == "" {
		ref = req.element
	}
	if ref == "" {
		c.fail(http.StatusBadRequest, "element is required: {\"element\": {\"key\": \"...\"}}")
		return
	}
	el, err := resolveElement(ref)
	if err != nil {
		c.failErr(err)
		return
	}
	name := sanitize(req.name)
	if name == "" {
		c.fail(http.StatusBadRequest, "name is required")
		return
	}
	cfg, err := normalizeConfig(el, req.config, nil)
	if err != nil {
		c.failErr(err)
		return
	}
	external := req.external
	if external == "" {
		external = externalNone
	}
	p, err := provision(el, withDefaults(el, cfg), external, req.providerData)
	if err == nil && el.OAuth != nil && p.code == "" && p.external != externalInitial {
		err = badRequestf("Element %s uses OAuth 2.0: send providerData.code, or externalAuthentication \"initial\" with %s", el.Key, keyOAuthRefresh)
	}
	if err == nil {
		err = c.authorize(p)
	}
	if err != nil {
		c.failErr(err)
		return
	}
	tags := []string{name}
	if req.hasTags {
		tags = sanitizeTags(req.tags)
	}

	c.change(func() (any, error) {
		inst := &instance{
			ID:           s.st.NextID,
			Name:         name,
			Created:      s.now().UTC().Truncate(1e9),
			Token:        s.newToken(),
			ElementKey:   el.Key,
			Tags:         tags,
			Config:       p.cfg,
			ExternalAuth: p.external,
		}
		s.st.NextID++
		s.st.assignConfigIDs(inst)
		s.noteEvents(nil, inst)
		s.st.Instances[inst.ID] = inst
		return renderInstance(inst), nil
	})
}

// targetID is the instance a route acts on: the {id} in the path, or the
// instance of the Element token on id-less routes.
func (c *call) targetID() (int64, error) {
	raw, ok := c.params["id"]
	if !ok {
		return c.auth.instanceID, nil
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return 0, &notFound{msg: "No element instance found with id " + raw}
	}
	return id, nil
}

// lookup returns the target instance; the caller holds s.mu.
func (c *call) lookup() (*instance, error) {
	id, err := c.targetID()
	if err != nil {
		return nil, err
	}
	inst := c.s.st.Instances[id]
	if inst == nil {
		return nil, &notFound{msg: "No element instance found with id " + strconv.FormatInt(id, 10)}
	}
	return inst, nil
}

func (s *Server) getInstance(c *call) {
	c.read(func() (any, error) {
		inst, err := c.lookup()
		if err != nil {
			return nil, err
		}
		return renderInstance(inst), nil
	})
}

// listInstances answers GET /instances a page at a time, as the platform
// does (reference section 2.1): at most pageSize items (default and maximum
// Options.PageSize) in id order, Elements-Total-Count and
// Elements-Returned-Count, and Elements-Next-Page-Token while more follow.
// hydrate=false gives abridged items. 404 when nothing matches at all.
func (s *Server) listInstances(c *call) {
	f, size, after, err := s.parseListQuery(c.r.URL.Query())
	if err != nil {
		c.failErr(err)
		return
	}
	c.read(func() (any, error) {
		var matching []*instance
		for _, inst := range s.st.sortedInstances() {
			if f.matches(inst) {
				matching = append(matching, inst)
			}
		}
		if len(matching) == 0 {
			return nil, &notFound{msg: "No element instances found"}
		}
		page := matching[sort.Search(len(matching), func(i int) bool { return matching[i].ID > after }):]
		more := len(page) > size
		if more {
			page = page[:size]
		}
		h := c.w.Header()
		h.Set("Elements-Total-Count", strconv.Itoa(len(matching)))
		h.Set("Elements-Returned-Count", strconv.Itoa(len(page)))
		if more {
			h.Set("Elements-Next-Page-Token", f.pageToken(page[len(page)-1].ID))
		}
		if f.abridged {
			out := make([]abridgedInstanceView, 0, len(page))
			for _, inst := range page {
				out = append(out, renderAbridged(inst))
			}
			return out, nil
		}
		out := make([]instanceView, 0, len(page))
		for _, inst := range page {
			out = append(out, renderInstance(inst))
		}
		return out, nil
	})
}

// listFilter is what GET /instances selects by.
type listFilter struct {
	tags     []string
	search   string
	abridged bool
}

func (f listFilter) matches(inst *instance) bool {
	return hasAllTags(inst.Tags, f.tags) && strings.Contains(strings.ToLower(inst.Name), f.search)
}

// fingerprint names the query a page token belongs to, so that a next page
// asked for with other filters is refused rather than answered with a mix.
func (f listFilter) fingerprint() string {
	tags := slices.Clone(f.tags)
	sort.Strings(tags)
	h := fnv.New64a()
	_, _ = fmt.Fprintf(h, "%q|%q|%v", tags, f.search, f.abridged)
	return strconv.FormatUint(h.Sum64(), 36)
}

// pageToken is the opaque Elements-Next-Page-Token of the page ending at
// lastID. Paging by id rather than by offset keeps pages stable while
// instances are created or deleted between them.
func (f listFilter) pageToken(lastID int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("v1:" + strconv.FormatInt(lastID, 10) + ":" + f.fingerprint()))
}

// parseListQuery reads the filters, the page size and the position after
// which the page starts (0 for the first page).
func (s *Server) parseListQuery(q url.Values) (f listFilter, size int, after int64, err error) {
	f = listFilter{
		tags:     append(q["tags[]"], q["tags"]...),
		search:   strings.ToLower(q.Get("searchText")),
		abridged: strings.EqualFold(q.Get("hydrate"), "false"),
	}
	size = s.opts.PageSize
	if raw := q.Get("pageSize"); raw != "" {
		n, convErr := strconv.Atoi(raw)
		if convErr != nil || n < 1 {
			return f, 0, 0, badRequestf("pageSize must be a whole number of at least 1, not %q", raw)
		}
		size = min(n, s.opts.PageSize)
	}
	if raw := q.Get("nextPage"); raw != "" {
		b, decErr := base64.RawURLEncoding.DecodeString(raw)
		parts := strings.Split(string(b), ":")
		if decErr != nil || len(parts) != 3 || parts[0] != "v1" {
			return f, 0, 0, badRequestf("Invalid nextPage token %q", raw)
		}
		if after, err = strconv.ParseInt(parts[1], 10, 64); err != nil {
			return f, 0, 0, badRequestf("Invalid nextPage token %q", raw)
		}
		if parts[2] != f.fingerprint() {
			return f, 0, 0, badRequestf("The nextPage token belongs to another query: repeat its tags[], searchText and hydrate parameters")
		}
	}
	return f, size, after, nil
}

func hasAllTags(have, want []string) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			if h == w {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func (s *Server) listElementInstances(c *call) {
	el, ok := c.element()
	if !ok {
		return
	}
	c.read(func() (any, error) {
		out := []instanceView{}
		for _, inst := range s.st.sortedInstances() {
			if inst.ElementKey == el.Key {
				out = append(out, renderInstance(inst))
			}
		}
		return out, nil
	})
}

// update applies a PATCH or PUT body to a copy of the target instance:
// the element switch and new name, then apply, then re-provisioning. It
// does so twice at most: once to validate and learn whether an OAuth code
// must be exchanged, and, after the exchange (done without holding the
// lock), once more to commit.
func (s *Server) update(c *call, apply func(inst *instance, el *elementDef, req *instanceRequest) error) {
	req, err := parseInstanceRequest(c.body)
	if err != nil {
		c.failErr(err)
		return
	}
	build := func(inst *instance) (*instance, *provisioning, error) {
		el, err := applyElementAndName(inst, req)
		if err == nil {
			err = apply(inst, el, req)
		}
		if err != nil {
			return nil, nil, err
		}
		return reprovision(el, inst, req)
	}

	s.mu.Lock()
	cur, err := c.lookup()
	var p *provisioning
	if err == nil {
		_, p, err = build(cur.clone())
	}
	s.mu.Unlock()
	if err == nil && p != nil && p.code != "" {
		err = c.authorize(p)
	}
	if err != nil {
		c.failErr(err)
		return
	}

	c.change(func() (any, error) {
		cur, err := c.lookup()
		if err != nil {
			return nil, err
		}
		next, p2, err := build(cur.clone())
		if err != nil {
			return nil, err
		}
		if p != nil && p.code != "" {
			// Tokens come from the exchange done above.
			p2.cfg[keyOAuthUserToken] = p.cfg[keyOAuthUserToken]
			p2.cfg[keyOAuthRefresh] = p.cfg[keyOAuthRefresh]
		}
		s.st.assignConfigIDs(next)
		s.noteEvents(cur, next)
		s.st.Instances[next.ID] = next
		return renderInstance(next), nil
	})
}

// patchInstance changes what the body names and keeps the rest.
func (s *Server) patchInstance(c *call) {
	s.update(c, func(inst *instance, el *elementDef, req *instanceRequest) error {
		if req.hasTags {
			inst.Tags = sanitizeTags(req.tags)
		}
		changes, err := normalizeConfig(el, req.config, inst.Config)
		if err != nil {
			return err
		}
		maps.Copy(inst.Config, changes)
		return nil
	})
}

// putInstance re-provisions: the configuration, when sent, replaces the
// stored one (element defaults fill the rest); tags are replaced as on
// create. The OAuth user tokens survive unless a new code is exchanged.
func (s *Server) putInstance(c *call) {
	s.update(c, func(inst *instance, el *elementDef, req *instanceRequest) error {
		inst.Tags = []string{inst.Name}
		if req.hasTags {
			inst.Tags = sanitizeTags(req.tags)
		}
		if !req.hasConfig {
			return nil
		}
		cfg, err := normalizeConfig(el, req.config, inst.Config)
		if err != nil {
			return err
		}
		for _, k := range []string{keyOAuthUserToken, keyOAuthRefresh} {
			if _, sent := cfg[k]; !sent && inst.Config[k] != nil {
				cfg[k] = inst.Config[k]
			}
		}
		inst.Config = cfg
		return nil
	})
}

// applyElementAndName applies an update's element switch and new name, and
// returns the element the instance now belongs to.
func applyElementAndName(inst *instance, req *instanceRequest) (*elementDef, error) {
	el := inst.element()
	if req.hasElement {
		var err error
		if el, err = resolveElement(req.element); err != nil {
			return nil, err
		}
		inst.ElementKey = el.Key
	}
	if req.hasName {
		if inst.Name = sanitize(req.name); inst.Name == "" {
			return nil, badRequestf("name must not be empty")
		}
	}
	return el, nil
}

// reprovision fills the element's defaults and authenticates again, with a
// new code when the update carries one.
func reprovision(el *elementDef, inst *instance, req *instanceRequest) (*instance, *provisioning, error) {
	withDefaults(el, inst.Config)
	if req.external != "" {
		inst.ExternalAuth = req.external
	}
	p, err := provision(el, inst.Config, inst.ExternalAuth, req.providerData)
	if err != nil {
		return nil, nil, err
	}
	inst.ExternalAuth = p.external
	return inst, p, nil
}

func (s *Server) deleteInstance(c *call) {
	c.change(func() (any, error) {
		inst, err := c.lookup()
		if err != nil {
			return nil, err
		}
		delete(s.st.Instances, inst.ID)
		delete(s.st.Mailboxes, inst.ID)
		return emptyBody{}, nil
	})
}

func (s *Server) setDisabled(c *call, disabled bool) {
	c.change(func() (any, error) {
		inst, err := c.lookup()
		if err != nil {
			return nil, err
		}
		old := inst.clone()
		inst.Disabled = disabled
		s.noteEvents(old, inst)
		return renderInstance(inst), nil
	})
}

func (s *Server) enableInstance(c *call)  { s.setDisabled(c, false) }
func (s *Server) disableInstance(c *call) { s.setDisabled(c, true) }

func (s *Server) listInstanceConfiguration(c *call) {
	c.read(func() (any, error) {
		inst, err := c.lookup()
		if err != nil {
			return nil, err
		}
		return renderConfigEntries(inst), nil
	})
}

// configTarget is the target instance and the key of {configId} in it; the
// caller holds s.mu.
func (c *call) configTarget() (*instance, string, error) {
	inst, err := c.lookup()
	if err != nil {
		return nil, "", err
	}
	raw := c.params["configId"]
	id, _ := strconv.ParseInt(raw, 10, 64)
	for k, v := range inst.ConfigIDs {
		if v == id {
			if _, ok := inst.Config[k]; ok {
				return inst, k, nil
			}
		}
	}
	return nil, "", &notFound{msg: "No configuration entry found with id " + raw}
}

func (s *Server) getInstanceConfiguration(c *call) {
	c.read(func() (any, error) {
		inst, key, err := c.configTarget()
		if err != nil {
			return nil, err
		}
		return renderConfigEntry(inst, key), nil
	})
}

// patchInstanceConfiguration takes the whole entry and applies its propertyValue.
func (s *Server) patchInstanceConfiguration(c *call) {
	var body map[string]json.RawMessage
	if err := decodeJSON(c.body, &body); err != nil || body == nil {
		c.fail(http.StatusBadRequest, "Invalid JSON body: a configuration entry with a propertyValue is required")
		return
	}
	raw, ok := body["propertyValue"]
	if !ok {
		c.fail(http.StatusBadRequest, "propertyValue is required")
		return
	}
	c.change(func() (any, error) {
		inst, key, err := c.configTarget()
		if err != nil {
			return nil, err
		}
		next := inst.clone()
		changes, err := normalizeConfig(next.element(), map[string]json.RawMessage{key: raw}, next.Config)
		if err != nil {
			return nil, err
		}
		next.Config[key] = changes[key]
		if _, err := provision(next.element(), next.Config, next.ExternalAuth, nil); err != nil {
			return nil, err
		}
		s.noteEvents(inst, next)
		s.st.Instances[next.ID] = next
		return renderConfigEntry(next, key), nil
	})
}
