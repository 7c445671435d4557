package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
)

// nullObject is a value of typ with every attribute null but id, which is
// a valid instance id wherever the type has one: the entry points then get
// as far as they can without the platform.
func nullObject(t *testing.T, typ tftypes.Type) tftypes.Value {
	t.Helper()
	obj, ok := typ.(tftypes.Object)
	if !ok {
		t.Fatalf("schema type %s is not an object", typ)
	}
	values := make(map[string]tftypes.Value, len(obj.AttributeTypes))
	for name, at := range obj.AttributeTypes {
		values[name] = tftypes.NewValue(at, nil)
		if name == "id" && at.Is(tftypes.String) {
			values[name] = tftypes.NewValue(tftypes.String, "12345")
		}
	}
	return tftypes.NewValue(obj, values)
}

// survives runs call and turns a panic into a test failure.
func survives(t *testing.T, what string, call func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s panicked without a configured provider: %v", what, r)
		}
	}()
	call()
}

func expectErrorDiagnostic(t *testing.T, what string, diags diag.Diagnostics) {
	t.Helper()
	if !diags.HasError() {
		t.Errorf("%s without a configured provider: no error, want one saying the provider is not configured (got %v)", what, diags)
	}
}

// TestEveryEntryPointSurvivesAnUnconfiguredProvider: when the provider's own
// configuration is unknown (base_url = terraform_data.x.output while that
// is replaced), Configure hands the objects no client. Every CRUD entry
// point of every resource, data source and ephemeral resource the provider
// lists must then answer with a diagnostic, never a nil-pointer panic; a
// resource's Read keeps the prior state, with a warning. The lists are the
// provider's own, so an object added later is covered without editing this.
func TestEveryEntryPointSurvivesAnUnconfiguredProvider(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := New("test")()

	resourceSchemas := map[string]fwresource.SchemaResponse{}
	for _, newResource := range p.Resources(ctx) {
		r := newResource()
		var meta fwresource.MetadataResponse
		r.Metadata(ctx, fwresource.MetadataRequest{ProviderTypeName: "opencon"}, &meta)
		name := meta.TypeName
		var sch fwresource.SchemaResponse
		r.Schema(ctx, fwresource.SchemaRequest{}, &sch)
		requireNoError(t, sch.Diagnostics)
		resourceSchemas[name] = sch
		if c, ok := r.(fwresource.ResourceWithConfigure); ok {
			var resp fwresource.ConfigureResponse
			c.Configure(ctx, fwresource.ConfigureRequest{ProviderData: nil}, &resp)
			requireNoError(t, resp.Diagnostics)
		}
		raw := nullObject(t, sch.Schema.Type().TerraformType(ctx))
		state := tfsdk.State{Schema: sch.Schema, Raw: raw}
		plan := tfsdk.Plan{Schema: sch.Schema, Raw: raw}
		config := tfsdk.Config{Schema: sch.Schema, Raw: raw}
		emptyState := tfsdk.State{Schema: sch.Schema, Raw: tftypes.NewValue(raw.Type(), nil)}

		survives(t, name+" Create", func() {
			resp := fwresource.CreateResponse{State: emptyState}
			r.Create(ctx, fwresource.CreateRequest{Plan: plan, Config: config}, &resp)
			expectErrorDiagnostic(t, name+" Create", resp.Diagnostics)
		})
		survives(t, name+" Read", func() {
			resp := fwresource.ReadResponse{State: state}
			r.Read(ctx, fwresource.ReadRequest{State: state}, &resp)
			if resp.Diagnostics.HasError() || resp.Diagnostics.WarningsCount() == 0 {
				t.Errorf("%s Read without a configured provider: %v, want one warning and no error", name, resp.Diagnostics)
			}
			if !resp.State.Raw.Equal(state.Raw) {
				t.Errorf("%s Read without a configured provider changed the state to %s", name, resp.State.Raw)
			}
		})
		survives(t, name+" Update", func() {
			resp := fwresource.UpdateResponse{State: state}
			r.Update(ctx, fwresource.UpdateRequest{Plan: plan, State: state, Config: config}, &resp)
			expectErrorDiagnostic(t, name+" Update", resp.Diagnostics)
		})
		survives(t, name+" Delete", func() {
			resp := fwresource.DeleteResponse{State: state}
			r.Delete(ctx, fwresource.DeleteRequest{State: state}, &resp)
			expectErrorDiagnostic(t, name+" Delete", resp.Diagnostics)
		})
		if m, ok := r.(fwresource.ResourceWithModifyPlan); ok {
			survives(t, name+" ModifyPlan", func() {
				resp := fwresource.ModifyPlanResponse{Plan: plan}
				m.ModifyPlan(ctx, fwresource.ModifyPlanRequest{Plan: plan, State: state, Config: config}, &resp)
			})
		}
		if i, ok := r.(fwresource.ResourceWithImportState); ok {
			survives(t, name+" ImportState", func() {
				resp := fwresource.ImportStateResponse{State: emptyState}
				i.ImportState(ctx, fwresource.ImportStateRequest{ID: "12345"}, &resp)
			})
		}
	}

	for _, newDataSource := range p.DataSources(ctx) {
		d := newDataSource()
		var meta datasource.MetadataResponse
		d.Metadata(ctx, datasource.MetadataRequest{ProviderTypeName: "opencon"}, &meta)
		name := "data." + meta.TypeName
		var sch datasource.SchemaResponse
		d.Schema(ctx, datasource.SchemaRequest{}, &sch)
		requireNoError(t, sch.Diagnostics)
		if c, ok := d.(datasource.DataSourceWithConfigure); ok {
			var resp datasource.ConfigureResponse
			c.Configure(ctx, datasource.ConfigureRequest{ProviderData: nil}, &resp)
			requireNoError(t, resp.Diagnostics)
		}
		raw := nullObject(t, sch.Schema.Type().TerraformType(ctx))
		survives(t, name+" Read", func() {
			resp := datasource.ReadResponse{State: tfsdk.State{Schema: sch.Schema, Raw: raw}}
			d.Read(ctx, datasource.ReadRequest{Config: tfsdk.Config{Schema: sch.Schema, Raw: raw}}, &resp)
			expectErrorDiagnostic(t, name+" Read", resp.Diagnostics)
		})
	}

	if withEphemeral, ok := p.(provider.ProviderWithEphemeralResources); ok {
		for _, newEphemeral := range withEphemeral.EphemeralResources(ctx) {
			checkEphemeralUnconfigured(t, newEphemeral())
		}
	}
	if withLists, ok := p.(provider.ProviderWithListResources); ok {
		for _, newList := range withLists.ListResources(ctx) {
			checkListUnconfigured(t, newList(), resourceSchemas)
		}
	}
	if withActions, ok := p.(provider.ProviderWithActions); ok {
		for _, newAction := range withActions.Actions(ctx) {
			checkActionUnconfigured(t, newAction())
		}
	}
}

func checkEphemeralUnconfigured(t *testing.T, e ephemeral.EphemeralResource) {
	ctx := context.Background()
	var meta ephemeral.MetadataResponse
	e.Metadata(ctx, ephemeral.MetadataRequest{ProviderTypeName: "opencon"}, &meta)
	name := "ephemeral." + meta.TypeName
	var sch ephemeral.SchemaResponse
	e.Schema(ctx, ephemeral.SchemaRequest{}, &sch)
	requireNoError(t, sch.Diagnostics)
	if c, ok := e.(ephemeral.EphemeralResourceWithConfigure); ok {
		var resp ephemeral.ConfigureResponse
		c.Configure(ctx, ephemeral.ConfigureRequest{ProviderData: nil}, &resp)
		requireNoError(t, resp.Diagnostics)
	}
	raw := nullObject(t, sch.Schema.Type().TerraformType(ctx))
	survives(t, name+" Open", func() {
		resp := ephemeral.OpenResponse{Result: tfsdk.EphemeralResultData{Schema: sch.Schema, Raw: raw}}
		e.Open(ctx, ephemeral.OpenRequest{Config: tfsdk.Config{Schema: sch.Schema, Raw: raw}}, &resp)
		expectErrorDiagnostic(t, name+" Open", resp.Diagnostics)
	})
	if rn, ok := e.(ephemeral.EphemeralResourceWithRenew); ok {
		survives(t, name+" Renew", func() {
			var resp ephemeral.RenewResponse
			rn.Renew(ctx, ephemeral.RenewRequest{}, &resp)
		})
	}
	if cl, ok := e.(ephemeral.EphemeralResourceWithClose); ok {
		survives(t, name+" Close", func() {
			var resp ephemeral.CloseResponse
			cl.Close(ctx, ephemeral.CloseRequest{}, &resp)
		})
	}
}

// checkListUnconfigured: a list resource streams an error, not a panic.
func checkListUnconfigured(t *testing.T, l list.ListResource, resourceSchemas map[string]fwresource.SchemaResponse) {
	ctx := context.Background()
	var meta fwresource.MetadataResponse
	l.Metadata(ctx, fwresource.MetadataRequest{ProviderTypeName: "opencon"}, &meta)
	name := "list." + meta.TypeName
	var sch list.ListResourceSchemaResponse
	l.ListResourceConfigSchema(ctx, list.ListResourceSchemaRequest{}, &sch)
	requireNoError(t, sch.Diagnostics)
	if c, ok := l.(list.ListResourceWithConfigure); ok {
		var resp fwresource.ConfigureResponse
		c.Configure(ctx, fwresource.ConfigureRequest{ProviderData: nil}, &resp)
		requireNoError(t, resp.Diagnostics)
	}
	raw := nullObject(t, sch.Schema.Type().TerraformType(ctx))
	survives(t, name+" List", func() {
		stream := list.ListResultsStream{}
		l.List(ctx, list.ListRequest{
			Config:         tfsdk.Config{Schema: sch.Schema, Raw: raw},
			ResourceSchema: resourceSchemas[meta.TypeName].Schema,
		}, &stream)
		var diags diag.Diagnostics
		if stream.Results != nil {
			for result := range stream.Results {
				diags.Append(result.Diagnostics...)
			}
		}
		expectErrorDiagnostic(t, name+" List", diags)
	})
}

func checkActionUnconfigured(t *testing.T, a action.Action) {
	ctx := context.Background()
	var meta action.MetadataResponse
	a.Metadata(ctx, action.MetadataRequest{ProviderTypeName: "opencon"}, &meta)
	name := "action." + meta.TypeName
	var sch action.SchemaResponse
	a.Schema(ctx, action.SchemaRequest{}, &sch)
	requireNoError(t, sch.Diagnostics)
	if c, ok := a.(action.ActionWithConfigure); ok {
		var resp action.ConfigureResponse
		c.Configure(ctx, action.ConfigureRequest{ProviderData: nil}, &resp)
		requireNoError(t, resp.Diagnostics)
	}
	raw := nullObject(t, sch.Schema.Type().TerraformType(ctx))
	survives(t, name+" Invoke", func() {
		resp := action.InvokeResponse{SendProgress: func(action.InvokeProgressEvent) {}}
		a.Invoke(ctx, action.InvokeRequest{Config: tfsdk.Config{Schema: sch.Schema, Raw: raw}}, &resp)
		expectErrorDiagnostic(t, name+" Invoke", resp.Diagnostics)
	})
}

// TestAccInstance_providerConfigUnknownWhileInState: base_url comes from a
// terraform_data whose replacement makes it unknown during the plan, while
// an instance is in state. The refresh then has no client: it keeps the
// instance as it was (it panicked in Client.do before), the apply configures
// the provider with the new value, and the plan after it is empty.
func TestAccInstance_providerConfigUnknownWhileInState(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	cfg := func(generation int) string {
		return fmt.Sprintf(`
terraform {
  required_providers {
    opencon = {
      source = %q
    }
  }
}

resource "terraform_data" "endpoint" {
  input            = %q
  triggers_replace = [%d]
}

provider "opencon" {
  base_url            = terraform_data.endpoint.output
  user_secret         = %q
  organization_secret = %q
  max_retries         = 0
}
`, testProviderSource(), e.baseURL, generation, testUserSecret, testOrganizationSecret) + netsuiteResource
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg(1)},
			{
				Config: cfg(2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("terraform_data.endpoint", plancheck.ResourceActionReplace),
						plancheck.ExpectResourceAction("opencon_instance.erp", plancheck.ResourceActionNoop),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
	if n := e.emu.InstanceCount(); n != 0 {
		t.Fatalf("after destroy the emulator still holds %d instances", n)
	}
}
