package provider

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// A plan without changes, as every instance of a no-op plan is, returns
// from ModifyPlan early unless a write-only value is configured; then the
// warning about a value changed without its version must still come.
func TestModifyPlanWithoutChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var sresp resource.SchemaResponse
	(&instanceResource{}).Schema(ctx, resource.SchemaRequest{}, &sresp)
	s := sresp.Schema
	typ := s.Type().TerraformType(ctx)

	// The state after creating with authorization_code_wo = "first", version 1.
	state := tfsdk.State{Schema: s, Raw: tftypes.NewValue(typ, nil)}
	for attr, v := range map[string]any{
		"id": "42", "element_key": "gmail", "name": "mail",
		"authorization_code_wo_version": int64(1),
	} {
		var d = state.SetAttribute(ctx, path.Root(attr), v)
		if d.HasError() {
			t.Fatal(d)
		}
	}
	hashes, _ := json.Marshal(map[string]string{"authorization_code_wo": hashWriteOnly("first")})
	private, _ := json.Marshal(map[string][]byte{privateWriteOnlyHashesKey: hashes})

	dv := func(v tftypes.Value) *tfprotov6.DynamicValue {
		out, err := tfprotov6.NewDynamicValue(typ, v)
		if err != nil {
			t.Fatal(err)
		}
		return &out
	}
	planFrom := func(prior tftypes.Value, code types.String) *tfprotov6.PlanResourceChangeResponse {
		cfg := tfsdk.State{Schema: s, Raw: prior.Copy()}
		if d := cfg.SetAttribute(ctx, path.Root("authorization_code_wo"), code); d.HasError() {
			t.Fatal(d)
		}
		ps := providerserver.NewProtocol6(New("test")())()
		resp, err := ps.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{
			TypeName:         "opencon_instance",
			PriorState:       dv(prior),
			ProposedNewState: dv(prior),
			Config:           dv(cfg.Raw),
			PriorPrivate:     private,
		})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	// The state as a plan leaves it (defaults filled in), so that planning
	// it again changes nothing.
	first := planFrom(state.Raw, types.StringNull())
	prior, err := first.PlannedState.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	plan := func(code types.String) *tfprotov6.PlanResourceChangeResponse {
		resp := planFrom(prior, code)
		planned, err := resp.PlannedState.Unmarshal(typ)
		if err != nil {
			t.Fatal(err)
		}
		if !planned.Equal(prior) {
			t.Fatalf("the plan changes the state:\n%v\n%v", prior, planned)
		}
		return resp
	}
	warned := func(resp *tfprotov6.PlanResourceChangeResponse) bool {
		for _, d := range resp.Diagnostics {
			if d.Severity == tfprotov6.DiagnosticSeverityError {
				t.Fatalf("plan failed: %s: %s", d.Summary, d.Detail)
			}
			if strings.Contains(d.Summary, "changed without a new version") {
				return true
			}
		}
		return false
	}

	if resp := plan(types.StringNull()); warned(resp) {
		t.Error("a warning without a write-only value in the configuration")
	}
	if resp := plan(types.StringValue("first")); warned(resp) {
		t.Error("a warning for the write-only value last sent")
	}
	if resp := plan(types.StringValue("second")); !warned(resp) {
		t.Error("no warning for a write-only value changed without its version")
	}
}
