package server

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// A provider with one resource, test_thing, whose Read waits for its
// context to end when the state's id is "block" and reports how it ended.
type testProvider struct{ reads chan error }

func (testProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "test"
}
func (testProvider) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse) {}
func (testProvider) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}
func (testProvider) DataSources(context.Context) []func() datasource.DataSource { return nil }
func (p testProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{func() resource.Resource { return testThing(p) }}
}

type testThing testProvider

func (testThing) Metadata(_ context.Context, _ resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = "test_thing"
}
func (testThing) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{Attributes: map[string]schema.Attribute{"id": schema.StringAttribute{Required: true}}}
}
func (t testThing) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var id string
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("id"), &id)...)
	if id != "block" {
		return
	}
	t.reads <- nil // started
	<-ctx.Done()
	t.reads <- ctx.Err()
}
func (testThing) Create(context.Context, resource.CreateRequest, *resource.CreateResponse) {}
func (testThing) Update(context.Context, resource.UpdateRequest, *resource.UpdateResponse) {}
func (testThing) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}

func newTestServer(t *testing.T, wrapped bool) (tfprotov6.ProviderServer, chan error) {
	t.Helper()
	reads := make(chan error, 2)
	ps := providerserver.NewProtocol6(testProvider{reads: reads})()
	if !wrapped {
		return ps, reads
	}
	s, err := Wrap(ps)
	if err != nil {
		t.Fatal(err)
	}
	return s, reads
}

func readRequest(t *testing.T, id string) *tfprotov6.ReadResourceRequest {
	t.Helper()
	typ := tftypes.Object{AttributeTypes: map[string]tftypes.Type{"id": tftypes.String}}
	state, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, map[string]tftypes.Value{"id": tftypes.NewValue(tftypes.String, id)}))
	if err != nil {
		t.Fatal(err)
	}
	return &tfprotov6.ReadResourceRequest{TypeName: "test_thing", CurrentState: &state}
}

// waitRead returns what the blocking Read reported, failing after a minute:
// a bound on a hang, not a speed requirement.
func waitRead(t *testing.T, reads chan error) error {
	t.Helper()
	select {
	case err := <-reads:
		return err
	case <-time.After(time.Minute):
		t.Fatal("Read did not return")
		return nil
	}
}

// StopProvider, which Terraform sends on Ctrl-C, still cancels a Read in
// flight: the framework's own cancelable context, derived from the detached
// one, is what it cancels.
func TestStopProviderCancelsARequestInFlight(t *testing.T) {
	s, reads := newTestServer(t, true)
	rpcDone := make(chan *tfprotov6.ReadResourceResponse, 1)
	go func() {
		resp, _ := s.ReadResource(context.Background(), readRequest(t, "block"))
		rpcDone <- resp
	}()
	if err := waitRead(t, reads); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StopProvider(context.Background(), &tfprotov6.StopProviderRequest{}); err != nil {
		t.Fatal(err)
	}
	if err := waitRead(t, reads); !errors.Is(err, context.Canceled) {
		t.Errorf("Read's context ended with %v, want context.Canceled", err)
	}
	<-rpcDone
}

// The end of the RPC's own context (the gRPC stream ending, or the
// stoppable context terraform-plugin-go cancels on StopProvider) reaches
// the provider as well.
func TestTheRPCContextsEndReachesTheProvider(t *testing.T) {
	s, reads := newTestServer(t, true)
	ctx, cancel := context.WithCancel(context.Background())
	rpcDone := make(chan struct{})
	go func() {
		_, _ = s.ReadResource(ctx, readRequest(t, "block"))
		close(rpcDone)
	}()
	if err := waitRead(t, reads); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := waitRead(t, reads); !errors.Is(err, context.Canceled) {
		t.Errorf("Read's context ended with %v, want context.Canceled", err)
	}
	<-rpcDone
}

// The framework keeps every RPC's context until StopProvider; through Server
// it keeps next to nothing of it. Each RPC's context here carries 16 KiB,
// about what terraform-plugin-go's loggers add to a real one.
func TestRequestsDoNotAccumulate(t *testing.T) {
	const rpcs, payload = 1000, 16 << 10
	growth := func(wrapped bool) int64 {
		s, _ := newTestServer(t, wrapped)
		type key struct{}
		before := liveHeapAfterGC()
		for range rpcs {
			ctx, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, make([]byte, payload)))
			resp, err := s.ReadResource(ctx, readRequest(t, "x"))
			cancel()
			if err != nil || len(resp.Diagnostics) > 0 {
				t.Fatalf("ReadResource: %v %+v", err, resp.Diagnostics)
			}
		}
		after := liveHeapAfterGC()
		runtime.KeepAlive(s)
		return after - before
	}
	if g := growth(false); g < rpcs*payload/2 {
		// The check below proves something only while the framework leaks.
		t.Errorf("unwrapped, the live heap grew by %d bytes over %d requests: the framework no longer keeps "+
			"request contexts (see Server), so internal/server's detaching may be removed", g, rpcs)
	}
	if g := growth(true); g > 1<<20 {
		t.Errorf("wrapped, the live heap grew by %d bytes over %d requests, want < 1 MiB", g, rpcs)
	}
}

func liveHeapAfterGC() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// Wrap refuses a server that lacks an optional RPC rather than hiding it
// from terraform-plugin-go.
func TestWrapRefusesAPartialServer(t *testing.T) {
	var partial struct{ tfprotov6.ProviderServer }
	if _, err := Wrap(partial); err == nil {
		t.Error("Wrap accepted a server without list, action and state store RPCs")
	}
}
