package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/opencon/terraform-provider-opencon/internal/emulator"
)

// TestAccInstance_switchFromRefreshTokenToCode: an instance created from a
// refresh token (externalAuthentication "initial") re-authenticated with a
// code becomes "none". The plan marks everything the re-authentication
// changes unknown, so the apply is consistent (it failed with "Provider
// produced inconsistent result" on external_authentication), and the plan
// after it is empty. Issue 9.4.
func TestAccInstance_switchFromRefreshTokenToCode(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		code func(code string) []string
		cli  []tfversion.TerraformVersionCheck
	}{
		{"plain code", func(code string) []string { return []string{"authorization_code", fmt.Sprintf("%q", code)} }, nil},
		{"write-only code", func(code string) []string {
			return []string{"authorization_code_wo", fmt.Sprintf("%q", code), "authorization_code_wo_version", "1"}
		}, writeOnlyCLIs},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t)
			fromRefreshToken := with(gmailArgs(""), "authorization_code", "", "oauth_refresh_token", `"1//refresh-token-from-ci"`)
			withCode := with(with(gmailArgs(""), "authorization_code", ""), c.code(e.authorizationCode())...)
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories,
				TerraformVersionChecks:   c.cli,
				Steps: []resource.TestStep{
					{
						Config: instanceConfig(e, "gmail", fromRefreshToken, changedMessagesBlock),
						ConfigStateChecks: []statecheck.StateCheck{
							statecheck.ExpectKnownValue(gmailAddr, tfjsonpath.New("external_authentication"), knownvalue.StringExact("initial")),
						},
					},
					{
						Config: instanceConfig(e, "gmail", withCode, changedMessagesBlock),
						ConfigPlanChecks: resource.ConfigPlanChecks{
							PreApply: []plancheck.PlanCheck{
								plancheck.ExpectResourceAction(gmailAddr, plancheck.ResourceActionUpdate),
								plancheck.ExpectUnknownValue(gmailAddr, tfjsonpath.New("external_authentication")),
								plancheck.ExpectUnknownValue(gmailAddr, tfjsonpath.New("token")),
								plancheck.ExpectUnknownValue(gmailAddr, tfjsonpath.New("valid")),
							},
							PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
						},
						ConfigStateChecks: []statecheck.StateCheck{
							statecheck.ExpectKnownValue(gmailAddr, tfjsonpath.New("external_authentication"), knownvalue.StringExact("none")),
						},
					},
				},
			})
		})
	}
}

// modifyPlan runs the resource's ModifyPlan on state → plan, the paths in
// requiresReplace already marked by the attributes' plan modifiers.
func modifyPlan(t *testing.T, plan, state *instanceModel, requiresReplace path.Paths) *fwresource.ModifyPlanResponse {
	t.Helper()
	ctx := context.Background()
	s := resourceSchema(t)
	null := tftypes.NewValue(s.Type().TerraformType(ctx), nil)
	// The timeouts block, null, with its type.
	plan.Timeouts = timeouts.Value{Object: types.ObjectNull(timeoutsAttrTypes(t, s))}
	state.Timeouts = plan.Timeouts
	p := tfsdk.Plan{Schema: s, Raw: null}
	requireNoError(t, p.Set(ctx, plan))
	st := tfsdk.State{Schema: s, Raw: null}
	requireNoError(t, st.Set(ctx, state))
	cfg := tfsdk.Config{Schema: s, Raw: p.Raw}
	resp := &fwresource.ModifyPlanResponse{Plan: p, RequiresReplace: requiresReplace}
	(&instanceResource{}).ModifyPlan(ctx, fwresource.ModifyPlanRequest{Plan: p, State: st, Config: cfg}, resp)
	return resp
}

func timeoutsAttrTypes(t *testing.T, s schema.Schema) map[string]attr.Type {
	t.Helper()
	typ, ok := s.Blocks["timeouts"].Type().(timeouts.Type)
	if !ok {
		t.Fatalf("timeouts block type %T", s.Blocks["timeouts"].Type())
	}
	return typ.AttrTypes
}

// TestModifyPlanWarnsBeforeReplacingWithSpentCode: a plan that replaces a
// code-authenticated instance says the code is spent (issue 9.2); a new
// code, or an in-place update, is not warned about.
func TestModifyPlanWarnsBeforeReplacingWithSpentCode(t *testing.T) {
	t.Parallel()
	const summary = "Replacing the instance needs a new authorization code"
	replace := path.Paths{path.Root("element_key")}
	resp := modifyPlan(t, documentedPlan(t, func(m *instanceModel) { m.ElementKey = types.StringValue("gmail2") }), documentedPlan(t), replace)
	requireNoError(t, resp.Diagnostics)
	expectWarning(t, resp.Diagnostics, summary)

	for name, c := range map[string]struct {
		plan    *instanceModel
		replace path.Paths
	}{
		"a replacement with a new code": {documentedPlan(t, func(m *instanceModel) { m.AuthorizationCode = types.StringValue("code-2") }), replace},
		"an in-place update":            {documentedPlan(t, func(m *instanceModel) { m.Name = types.StringValue("Renamed") }), nil},
	} {
		resp := modifyPlan(t, c.plan, documentedPlan(t), c.replace)
		if strings.Contains(diagnosticsText(resp.Diagnostics), summary) {
			t.Errorf("%s: warned %q", name, summary)
		}
	}
}

// TestAccInstance_createSurvivesAFailedDisable: with enabled = false, the
// disable after the POST fails (a 503, retries off). The create still
// succeeds, with a warning, so the instance is not tainted: the next
// refresh reads it as enabled and the next apply disables it in place
// instead of replacing it, which the spent code could not do. Issue 9.2.
func TestAccInstance_createSurvivesAFailedDisable(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	cfg := instanceConfig(e, "gmail", with(gmailArgs(e.authorizationCode()), "enabled", "false"), changedMessagesBlock)
	e.emu.InjectFault("DELETE /instances/{id}/enabled", emulator.FaultUnavailable, 1)
	var id string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check: func(s *terraform.State) error {
					id = s.RootModule().Resources[gmailAddr].Primary.ID
					return expectEqual("disabled on the platform", fmt.Sprint(serverInstance(t, e, s, gmailAddr).Disabled), "false")
				},
				// The next plan, after a refresh, shows the disable still to do.
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectResourceAction(gmailAddr, plancheck.ResourceActionUpdate)},
				},
				ExpectNonEmptyPlan: true,
			},
			{
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(gmailAddr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: func(s *terraform.State) error {
					inst := serverInstance(t, e, s, gmailAddr)
					if fmt.Sprint(inst.ID) != id || e.emu.InstanceCount() != 1 || e.emu.Stats()["POST /instances"] != 1 {
						return fmt.Errorf("the instance was replaced (id %d, was %s; %d instances)", inst.ID, id, e.emu.InstanceCount())
					}
					return expectEqual("disabled on the platform", fmt.Sprint(inst.Disabled), "true")
				},
			},
		},
	})
}

// TestNoRequestAfterAConversionError: should a value the validators let
// through fail to convert (a null tag here), Create and Update stop before
// calling the platform (issue 9.6).
func TestNoRequestAfterAConversionError(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newTestEnv(t)
	s := resourceSchema(t)
	typ := s.Type().TerraformType(ctx).(tftypes.Object)
	values := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		values[name] = tftypes.NewValue(at, nil)
	}
	values["id"] = tftypes.NewValue(tftypes.String, "12345")
	values["element_key"] = tftypes.NewValue(tftypes.String, "netsuiteerp")
	values["name"] = tftypes.NewValue(tftypes.String, "erp")
	values["enabled"] = tftypes.NewValue(tftypes.Bool, true)
	values["tags"] = tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, []tftypes.Value{
		tftypes.NewValue(tftypes.String, nil), tftypes.NewValue(tftypes.String, "a"),
	})
	raw := tftypes.NewValue(typ, values)
	plan, config := tfsdk.Plan{Schema: s, Raw: raw}, tfsdk.Config{Schema: s, Raw: raw}
	state := tfsdk.State{Schema: s, Raw: raw.Copy()}
	r := &instanceResource{client: e.client}

	e.emu.ResetStats()
	create := fwresource.CreateResponse{State: tfsdk.State{Schema: s, Raw: tftypes.NewValue(typ, nil)}}
	r.Create(ctx, fwresource.CreateRequest{Plan: plan, Config: config}, &create)
	expectErrorDiagnostic(t, "Create with a null tag", create.Diagnostics)

	stateValues := map[string]tftypes.Value{}
	for k, v := range values {
		stateValues[k] = v
	}
	stateValues["tags"] = tftypes.NewValue(tftypes.Set{ElementType: tftypes.String}, []tftypes.Value{tftypes.NewValue(tftypes.String, "b")})
	state.Raw = tftypes.NewValue(typ, stateValues)
	update := fwresource.UpdateResponse{State: state}
	r.Update(ctx, fwresource.UpdateRequest{Plan: plan, State: state, Config: config}, &update)
	expectErrorDiagnostic(t, "Update with a null tag", update.Diagnostics)
	if n := e.apiCalls(); n != 0 {
		t.Fatalf("%d API calls after a conversion error (%v), want none", n, e.emu.Stats())
	}
}
