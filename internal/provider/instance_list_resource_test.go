package provider

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// These tests speak the plugin protocol to the provider directly, as
// Terraform 1.14 does for `terraform query`, without a CLI: they compare a
// list result with what import and read return, count concurrent reads and
// answer single reads with faults.

// listingServer is a provider server that serves list resources.
type listingServer interface {
	tfprotov6.ProviderServer
	tfprotov6.ListResourceServer
}

// protoProvider is one provider server, configured against an emulator.
type protoProvider struct {
	t      *testing.T
	srv    listingServer
	schema *tfprotov6.GetProviderSchemaResponse
	idType tftypes.Type
}

func newProtoProvider(t *testing.T, baseURL string, configure bool) *protoProvider {
	t.Helper()
	ctx := context.Background()
	server, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	srv, ok := server.(listingServer)
	if !ok {
		t.Fatalf("the provider server %T serves no list resources", server)
	}
	schema, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || hasProtoError(schema.Diagnostics) {
		t.Fatalf("provider schema: %v %v", err, schema.Diagnostics)
	}
	ids, err := srv.GetResourceIdentitySchemas(ctx, &tfprotov6.GetResourceIdentitySchemasRequest{})
	if err != nil || hasProtoError(ids.Diagnostics) {
		t.Fatalf("identity schemas: %v %v", err, ids.Diagnostics)
	}
	p := &protoProvider{t: t, srv: srv, schema: schema, idType: ids.IdentitySchemas["opencon_instance"].ValueType()}
	if configure {
		cfg := p.dynamic(objectWith(t, schema.Provider.ValueType(), map[string]tftypes.Value{
			"base_url":            tftypes.NewValue(tftypes.String, baseURL),
			"user_secret":         tftypes.NewValue(tftypes.String, testUserSecret),
			"organization_secret": tftypes.NewValue(tftypes.String, testOrganizationSecret),
			"max_retries":         tftypes.NewValue(tftypes.Number, 0),
		}))
		resp, err := srv.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{Config: cfg})
		if err != nil || hasProtoError(resp.Diagnostics) {
			t.Fatalf("configure: %v %v", err, resp.Diagnostics)
		}
	}
	return p
}

func (p *protoProvider) dynamic(v tftypes.Value) *tfprotov6.DynamicValue {
	p.t.Helper()
	dv, err := tfprotov6.NewDynamicValue(v.Type(), v)
	if err != nil {
		p.t.Fatal(err)
	}
	return &dv
}

func (p *protoProvider) decode(dv *tfprotov6.DynamicValue, typ tftypes.Type) tftypes.Value {
	p.t.Helper()
	if dv == nil {
		p.t.Fatal("no value")
	}
	v, err := dv.Unmarshal(typ)
	if err != nil {
		p.t.Fatal(err)
	}
	return v
}

func (p *protoProvider) resourceType() tftypes.Type {
	return p.schema.ResourceSchemas["opencon_instance"].ValueType()
}

// list runs the list resource with the given filters.
func (p *protoProvider) list(filters map[string]tftypes.Value, includeResource bool, limit int64) []tfprotov6.ListResourceResult {
	p.t.Helper()
	cfg := p.dynamic(objectWith(p.t, p.schema.ListResourceSchemas["opencon_instance"].ValueType(), filters))
	stream, err := p.srv.ListResource(context.Background(), &tfprotov6.ListResourceRequest{
		TypeName: "opencon_instance", Config: cfg, IncludeResource: includeResource, Limit: limit,
	})
	if err != nil {
		p.t.Fatal(err)
	}
	var out []tfprotov6.ListResourceResult
	for r := range stream.Results {
		out = append(out, r)
	}
	return out
}

// importAndRead is `terraform import` of id: ImportResourceState, then the
// ReadResource that follows it.
func (p *protoProvider) importAndRead(id int64) (state, identity tftypes.Value) {
	p.t.Helper()
	ctx := context.Background()
	imp, err := p.srv.ImportResourceState(ctx, &tfprotov6.ImportResourceStateRequest{TypeName: "opencon_instance", ID: strconv.FormatInt(id, 10)})
	if err != nil || hasProtoError(imp.Diagnostics) || len(imp.ImportedResources) != 1 {
		p.t.Fatalf("import %d: %v %v", id, err, imp.Diagnostics)
	}
	got := imp.ImportedResources[0]
	read, err := p.srv.ReadResource(ctx, &tfprotov6.ReadResourceRequest{
		TypeName: "opencon_instance", CurrentState: got.State, Private: got.Private, CurrentIdentity: got.Identity,
	})
	if err != nil || hasProtoError(read.Diagnostics) {
		p.t.Fatalf("read %d after import: %v %v", id, err, read.Diagnostics)
	}
	return p.decode(read.NewState, p.resourceType()), p.decode(read.NewIdentity.IdentityData, p.idType)
}

func hasProtoError(diags []*tfprotov6.Diagnostic) bool {
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			return true
		}
	}
	return false
}

func protoErrors(diags []*tfprotov6.Diagnostic) string {
	var b strings.Builder
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			b.WriteString(d.Summary + ": " + d.Detail + "\n")
		}
	}
	return b.String()
}

func stringList(values ...string) tftypes.Value {
	elems := make([]tftypes.Value, 0, len(values))
	for _, v := range values {
		elems = append(elems, tftypes.NewValue(tftypes.String, v))
	}
	return tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, elems)
}

// resultIDs are the instance ids of results, from their identities.
func (p *protoProvider) resultIDs(results []tfprotov6.ListResourceResult) []string {
	p.t.Helper()
	ids := make([]string, 0, len(results))
	for _, r := range results {
		if hasProtoError(r.Diagnostics) {
			p.t.Fatalf("error result: %s", protoErrors(r.Diagnostics))
		}
		var attrs map[string]tftypes.Value
		if err := p.decode(r.Identity.IdentityData, p.idType).As(&attrs); err != nil {
			p.t.Fatal(err)
		}
		var id string
		if err := attrs["id"].As(&id); err != nil {
			p.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func idsOf(insts ...*opencon.Instance) []string {
	out := make([]string, 0, len(insts))
	for _, inst := range insts {
		out = append(out, strconv.FormatInt(inst.ID, 10))
	}
	return out
}

// createAccount makes, directly through the API, the instances the list and
// adoption tests find: two Gmail mailboxes (one named with HTML tags) and a
// NetSuite instance with a username and password.
func createAccount(t *testing.T, e *testEnv) (sales, support, erp *opencon.Instance) {
	t.Helper()
	return createGmail(t, e, "<b>Sales</b> mailbox", "mail", "sales"),
		createGmail(t, e, "Support mailbox", "mail"),
		createNetsuite(t, e, "ERP", "finance", "sales")
}

func TestInstanceListResource_includeResourceIsWhatImportReads(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	sales, support, erp := createAccount(t, e)
	p := newProtoProvider(t, e.baseURL, true)

	results := p.list(nil, true, 100)
	if got, want := p.resultIDs(results), idsOf(sales, support, erp); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("listed %v, want %v in id order", got, want)
	}
	for i, inst := range []*opencon.Instance{sales, support, erp} {
		r := results[i]
		if r.DisplayName != inst.Name {
			t.Errorf("display name %q, want the instance name %q", r.DisplayName, inst.Name)
		}
		state, identity := p.importAndRead(inst.ID)
		listed := p.decode(r.Resource, p.resourceType())
		if !listed.Equal(state) {
			diffs, _ := listed.Diff(state)
			t.Errorf("instance %d: the listed resource differs from what import reads: %v", inst.ID, diffs)
		}
		if got := p.decode(r.Identity.IdentityData, p.idType); !got.Equal(identity) {
			t.Errorf("instance %d: listed identity %v, import reads %v", inst.ID, got, identity)
		}
	}

	// Without include_resource: identities and names only, one list call.
	e.emu.ResetStats()
	results = p.list(nil, false, 100)
	if len(results) != 3 || results[0].Resource != nil {
		t.Fatalf("without include_resource: %d results, first resource %v", len(results), results[0].Resource)
	}
	if stats := e.emu.Stats(); stats["GET /instances"] != 1 || e.apiCalls() != 1 {
		t.Errorf("without include_resource the calls were %v, want one GET /instances", stats)
	}
}

func TestInstanceListResource_filtersAndLimit(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	sales, support, erp := createAccount(t, e)
	lower := createNetsuite(t, e, "sales mailbox")
	p := newProtoProvider(t, e.baseURL, true)
	str := func(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
	for _, tc := range []struct {
		name    string
		filters map[string]tftypes.Value
		limit   int64
		want    []*opencon.Instance
	}{
		{"everything", nil, 100, []*opencon.Instance{sales, support, erp, lower}},
		{"limit", nil, 2, []*opencon.Instance{sales, support}},
		{"one tag", map[string]tftypes.Value{"tags": stringList("mail")}, 100, []*opencon.Instance{sales, support}},
		{"every tag must match", map[string]tftypes.Value{"tags": stringList("mail", "sales")}, 100, []*opencon.Instance{sales}},
		{"element", map[string]tftypes.Value{"element_key": str("netsuiteerp")}, 100, []*opencon.Instance{erp, lower}},
		{"element and tag", map[string]tftypes.Value{"element_key": str("netsuiteerp"), "tags": stringList("sales")}, 100, []*opencon.Instance{erp}},
		{"exact name after stripping tags", map[string]tftypes.Value{"name": str("<i>Sales</i> mailbox")}, 100, []*opencon.Instance{sales}},
		{"names are case-sensitive", map[string]tftypes.Value{"name": str("sales mailbox")}, 100, []*opencon.Instance{lower}},
		{"part of a name is no match", map[string]tftypes.Value{"name": str("mailbox")}, 100, nil},
		{"nothing matches", map[string]tftypes.Value{"tags": stringList("none")}, 100, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.t = t
			got := p.resultIDs(p.list(tc.filters, false, tc.limit))
			if want := idsOf(tc.want...); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("listed %v, want %v", got, want)
			}
		})
	}
}

// gatedServer serves an emulator and holds GET /instances/{id} calls until
// maxConcurrentReads of them are in flight (or a generous safety delay has
// passed), recording the most ever in flight at once: a correct reader never
// exceeds the bound, whatever the timing. fail answers single reads of some
// ids itself.
type gatedServer struct {
	emu  http.Handler
	fail map[string]int // id -> status to answer GET /instances/{id} with

	mu       sync.Mutex
	inFlight int
	most     int
	release  chan struct{}
}

var singleRead = regexp.MustCompile(`/instances/([0-9]+)$`)

func (g *gatedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := singleRead.FindStringSubmatch(r.URL.Path)
	if r.Method != http.MethodGet || m == nil {
		g.emu.ServeHTTP(w, r)
		return
	}
	g.mu.Lock()
	g.inFlight++
	g.most = max(g.most, g.inFlight)
	release := g.release
	if release != nil && g.inFlight == maxConcurrentReads {
		// A reader that does not wait for these would start another
		// meanwhile; a bounded one cannot, however long this takes.
		time.AfterFunc(50*time.Millisecond, func() { close(release) })
		g.release = make(chan struct{})
	}
	status, fail := g.fail[m[1]]
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.inFlight--
		g.mu.Unlock()
	}()
	if release != nil {
		select {
		case <-release:
		case <-time.After(10 * time.Second): // only a serial implementation waits here
		}
	}
	if fail {
		http.Error(w, `{"requestId":"x","message":"injected"}`, status)
		return
	}
	g.emu.ServeHTTP(w, r)
}

func (g *gatedServer) failWith(id int64, status int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.fail[strconv.FormatInt(id, 10)] = status
}

func TestInstanceListResource_readsInFullAFewAtATime(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	var made []*opencon.Instance
	for i := range 2 * maxConcurrentReads {
		made = append(made, createNetsuite(t, e, "erp "+strconv.Itoa(i)))
	}
	gate := &gatedServer{emu: e.emu, release: make(chan struct{})}
	srv := httptest.NewServer(gate)
	t.Cleanup(srv.Close)
	p := newProtoProvider(t, srv.URL+"/elements/api-v2", true)

	got := p.resultIDs(p.list(nil, true, 100))
	if want := idsOf(made...); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("listed %v, want %v", got, want)
	}
	if gate.most != maxConcurrentReads {
		t.Errorf("at most %d reads were in flight at once, want exactly %d", gate.most, maxConcurrentReads)
	}
}

func TestInstanceListResource_readFaults(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	first := createNetsuite(t, e, "first")
	gone := createNetsuite(t, e, "deleted after listing")
	last := createNetsuite(t, e, "last")
	gate := &gatedServer{emu: e.emu, fail: map[string]int{}}
	gate.failWith(gone.ID, http.StatusNotFound)
	srv := httptest.NewServer(gate)
	t.Cleanup(srv.Close)
	p := newProtoProvider(t, srv.URL+"/elements/api-v2", true)

	// An instance deleted between the list and its read is left out.
	if got, want := p.resultIDs(p.list(nil, true, 100)), idsOf(first, last); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("listed %v, want %v", got, want)
	}

	// A read that fails ends the listing with an error naming the instance.
	gate.failWith(gone.ID, http.StatusInternalServerError)
	results := p.list(nil, true, 100)
	last1 := results[len(results)-1]
	if !hasProtoError(last1.Diagnostics) || !strings.Contains(protoErrors(last1.Diagnostics), "instance "+strconv.FormatInt(gone.ID, 10)) {
		t.Fatalf("want an error result naming instance %d, got %d results ending with %v", gone.ID, len(results), last1.Diagnostics)
	}
}

func TestInstanceListResource_validationAndUnconfiguredProvider(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	p := newProtoProvider(t, e.baseURL, false)
	cfg := p.dynamic(objectWith(t, p.schema.ListResourceSchemas["opencon_instance"].ValueType(), map[string]tftypes.Value{
		"name": tftypes.NewValue(tftypes.String, "<b></b>"),
	}))
	v, err := p.srv.ValidateListResourceConfig(context.Background(), &tfprotov6.ValidateListResourceConfigRequest{TypeName: "opencon_instance", Config: cfg})
	if err != nil || !strings.Contains(protoErrors(v.Diagnostics), "Empty instance name") {
		t.Fatalf("validate: %v %v", err, v.Diagnostics)
	}

	results := p.list(nil, true, 100)
	if len(results) != 1 || !strings.Contains(protoErrors(results[0].Diagnostics), "Provider not configured") {
		t.Fatalf("unconfigured: %v", results)
	}
	if n := e.apiCalls(); n != 0 {
		t.Fatalf("%d API calls, want none", n)
	}
}
