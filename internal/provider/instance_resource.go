package provider

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/numberplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

var (
	_ resource.ResourceWithConfigure        = (*instanceResource)(nil)
	_ resource.ResourceWithImportState      = (*instanceResource)(nil)
	_ resource.ResourceWithModifyPlan       = (*instanceResource)(nil)
	_ resource.ResourceWithConfigValidators = (*instanceResource)(nil)
	_ resource.ResourceWithIdentity         = (*instanceResource)(nil)
)

// privateImportKey marks, between ImportState and the Read that follows it,
// that there is no prior state telling which configuration keys are managed.
const privateImportKey = "imported"

// privateCredentialsUnseenKey marks, from ImportState until an update
// records a credential, that state has never seen how the instance
// authenticates (see sendsCredential).
const privateCredentialsUnseenKey = "credentials_unseen"

// credentialsUnseen reads privateCredentialsUnseenKey.
func credentialsUnseen(ctx context.Context, private privateGetter) (bool, diag.Diagnostics) {
	v, diags := private.GetKey(ctx, privateCredentialsUnseenKey)
	return len(v) > 0, diags
}

// Default operation timeouts; the `timeouts` block overrides them. They bound
// the retries of every request an operation makes.
const (
	defaultCreateTimeout = 10 * time.Minute
	defaultReadTimeout   = 5 * time.Minute
	defaultUpdateTimeout = 10 * time.Minute
	defaultDeleteTimeout = 10 * time.Minute
)

// NewInstanceResource is the opencon_instance resource.
func NewInstanceResource() resource.Resource {
	return &instanceResource{}
}

type instanceResource struct {
	client *opencon.Client
}

func (r *instanceResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_instance"
	// The identity's host is learnt only once the provider is configured (a
	// refresh without a client records the id alone), so the framework may
	// not refuse its change; Read refuses a change of host itself
	// (checkIdentityHost).
	resp.ResourceBehavior.MutableIdentity = true
}

func (r *instanceResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *instanceResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keepState := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	attributes := map[string]schema.Attribute{
		"id": schema.StringAttribute{
			MarkdownDescription: "The instance id (`id`).",
			Computed:            true,
			PlanModifiers:       keepState,
		},
		"element_key": schema.StringAttribute{
			MarkdownDescription: "The element (connector) key, `element.key`, for example `gmail`. Changing it replaces the instance, which needs a new `authorization_code` when it authenticates with one.",
			Required:            true,
			Validators:          []validator.String{unpadded{}},
			PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
		},
		"name": schema.StringAttribute{
			MarkdownDescription: "The instance name, `name`. The platform strips HTML tags and surrounding spaces from it; a name that differs only by such tags is not a change, " +
				"and one with nothing left once they are stripped is refused.",
			Required:   true,
			Validators: []validator.String{stringvalidator.LengthAtLeast(1), nameKeptByPlatform{}},
		},
		"tags": schema.SetAttribute{
			MarkdownDescription: "Tags, `tags`. Replaced as a whole on update. When omitted the platform tags the instance with its name.",
			ElementType:         types.StringType,
			Optional:            true,
			Computed:            true,
			Validators:          []validator.Set{setvalidator.NoNullValues(), setvalidator.ValueStringsAre(sanitizedByPlatform{})},
			PlanModifiers:       []planmodifier.Set{setplanmodifier.UseStateForUnknown()},
		},
		"authorization_code": schema.StringAttribute{
			MarkdownDescription: "A one-time OAuth authorization grant code, `providerData.code`, exchanged by the platform on create. " +
				"A new value later re-authenticates the existing instance in place. Never returned by the API; after an import the first value is recorded, not sent " +
				"(the instance is already authenticated). Replacing the instance needs a new code.",
			Optional:   true,
			Sensitive:  true,
			Validators: authorizationCodeArg.plainValidators(),
		},
		"oauth_refresh_token": schema.StringAttribute{
			MarkdownDescription: "An existing OAuth refresh token, `oauth.user.refresh_token`: creates the instance with `externalAuthentication: \"initial\"`, " +
				"without an interactive code. The non-interactive path for CI. A new value later re-authenticates in place. Never returned by the API; after an import the first value is recorded, not sent.",
			Optional:   true,
			Sensitive:  true,
			Validators: refreshTokenArg.plainValidators(),
		},
		"oauth_api_key": schema.StringAttribute{
			MarkdownDescription: "The OAuth client id of your app at the vendor, `oauth.api.key`. The API returns it masked, so it is never read back.",
			Optional:            true,
			Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
		},
		"oauth_api_secret": schema.StringAttribute{
			MarkdownDescription: "The OAuth client secret, `oauth.api.secret`. Never returned by the API.",
			Optional:            true,
			Sensitive:           true,
			Validators:          apiSecretArg.plainValidators(),
		},
		"oauth_callback_url": schema.StringAttribute{
			MarkdownDescription: "The redirect URI registered with the vendor, `oauth.callback.url`.",
			Optional:            true,
			Computed:            true,
			Validators:          []validator.String{httpURL()},
			PlanModifiers:       keepState,
		},
		"event_notification_enabled": schema.BoolAttribute{
			MarkdownDescription: "Whether events are sent, `event.notification.enabled`. Defaults to `false`. Needs `event_notification_callback_url`.",
			Optional:            true,
			Computed:            true,
			Default:             booldefault.StaticBool(false),
		},
		"event_notification_callback_url": schema.StringAttribute{
			MarkdownDescription: "Where the platform POSTs events, `event.notification.callback.url`; an `http` or `https` URL.",
			Optional:            true,
			Computed:            true,
			Validators:          []validator.String{httpURL()},
			PlanModifiers:       keepState,
		},
		"event_notification_signature_key": schema.StringAttribute{
			MarkdownDescription: "The key of the `Elements-Webhook-Signature` HMAC-SHA256 over each event body, `event.notification.signature.key`. Never returned by the API.",
			Optional:            true,
			Sensitive:           true,
			Validators:          signatureKeyArg.plainValidators(),
		},
		"event_poller_refresh_interval": schema.NumberAttribute{
			MarkdownDescription: "How often, in whole minutes, the platform polls the `polling_resource`s, `event.poller.refresh_interval`: a whole number from 1 to 2147483647. The element's default (15 for Gmail) applies when omitted.",
			Optional:            true,
			Computed:            true,
			Validators:          []validator.Number{wholeNumber(1, maxPlatformInt)},
			PlanModifiers:       []planmodifier.Number{numberplanmodifier.UseStateForUnknown()},
		},
		"configuration": schema.MapAttribute{
			MarkdownDescription: "Any other element-specific configuration key, as strings (for example `\"netsuite.sandbox\" = \"false\"`). " +
				"Keys owned by a typed argument, keys with surrounding spaces, null values and keys also in `sensitive_configuration` are refused. Removing a key stops managing it; the platform keeps its value.",
			ElementType: types.StringType,
			Optional:    true,
			Validators:  []validator.Map{mapvalidator.SizeAtLeast(1), mapvalidator.NoNullValues(), configurationKeys{}},
		},
		"sensitive_configuration": schema.MapAttribute{
			MarkdownDescription: "Like `configuration`, for secret keys such as `user.password`: hidden in plan output and kept from state on read because the API masks them.",
			ElementType:         types.StringType,
			Optional:            true,
			Sensitive:           true,
			Validators:          []validator.Map{mapvalidator.SizeAtLeast(1), mapvalidator.NoNullValues(), configurationKeys{}},
		},
		"enabled": schema.BoolAttribute{
			MarkdownDescription: "Whether the instance is enabled, driven through `PUT`/`DELETE /instances/{id}/enabled`. Defaults to `true`. " +
				"Should disabling a new instance fail, the create still succeeds with a warning and the next plan disables it in place.",
			Optional: true,
			Computed: true,
			Default:  booldefault.StaticBool(true),
		},
		"token": schema.StringAttribute{
			MarkdownDescription: "The instance token (`token`), sent as `Element <token>` in the `Authorization` header of hub calls.",
			Computed:            true,
			Sensitive:           true,
			PlanModifiers:       keepState,
		},
		"valid": schema.BoolAttribute{
			MarkdownDescription: "Whether the platform considers the instance's authentication valid (`valid`).",
			Computed:            true,
			PlanModifiers:       []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()},
		},
		"created_date": schema.StringAttribute{
			MarkdownDescription: "When the instance was created (`createdDate`), ISO-8601 UTC.",
			Computed:            true,
			PlanModifiers:       keepState,
		},
		"element_id": schema.Int64Attribute{
			MarkdownDescription: "The numeric id of the element (`element.id`).",
			Computed:            true,
			PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
		},
		"external_authentication": schema.StringAttribute{
			MarkdownDescription: "`initial` when created from `oauth_refresh_token`, else `none` (`externalAuthentication`).",
			Computed:            true,
			PlanModifiers:       keepState,
		},
	}
	for _, a := range writeOnlyArgs {
		a.addSchema(attributes)
	}
	resp.Schema = schema.Schema{
		Version: 0, // state written by released versions must keep planning empty: see DESIGN.md, "State upgrades"
		MarkdownDescription: "A connector instance (`/instances`): one authenticated connection to one vendor account, for any element, " +
			"with polling events configured through `polling_resource` blocks.",
		Attributes: attributes,
		Blocks: map[string]schema.Block{
			"polling_resource": pollingResourceBlock(),
			"timeouts":         timeouts.Block(ctx, timeouts.Opts{Create: true, Read: true, Update: true, Delete: true}),
		},
	}
}

func (r *instanceResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = instanceIdentitySchema()
}

func (r *instanceResource) ConfigValidators(_ context.Context) []resource.ConfigValidator {
	return []resource.ConfigValidator{eventsNeedCallback{}, distinctConfigurationKeys{}}
}

// ModifyPlan marks what the platform derives from the authentication
// unknown when the instance is about to be re-authenticated, says when a
// credential is recorded rather than sent after an import, and warns when a
// write-only secret changed without its version.
func (r *instanceResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if !req.State.Raw.IsNull() {
		var id types.String
		resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("id"), &id)...)
		confirmInState(ctx, r.client, id)
	}
	if req.Plan.Raw.IsNull() || req.State.Raw.IsNull() {
		return
	}
	wo, diags := writeOnlyFromConfig(ctx, req.Config)
	resp.Diagnostics.Append(diags...)
	// A plan that changes nothing re-authenticates nothing, replaces nothing
	// and records no credential, and can warn only about a write-only value
	// in the configuration: without one there is nothing to do. This is
	// every instance of a no-op plan, where the model reads below were most
	// of this method's cost.
	if len(wo) == 0 && !diags.HasError() && req.Plan.Raw.Equal(req.State.Raw) {
		return
	}
	var plan, state instanceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	unseen, diags := credentialsUnseen(ctx, req.Private)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if reauthenticates(&plan, &state, unseen) {
		plan.Token = types.StringUnknown()
		plan.Valid = types.BoolUnknown()
		plan.ExternalAuthentication = types.StringUnknown()
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
	}
	if len(resp.RequiresReplace) > 0 && replacementReusesCode(&plan, &state, unseen) {
		resp.Diagnostics.AddAttributeWarning(path.Root("authorization_code"), "Replacing the instance needs a new authorization code",
			"This plan replaces the instance, and creating the new one sends the authorization code of the configuration, which was spent when the current instance was authenticated: "+
				"the platform will refuse it and the create will fail after the current instance is destroyed. "+
				"Get a new code (opencon_oauth_url) and set it in authorization_code, or in authorization_code_wo with a new authorization_code_wo_version, before applying.")
	}
	for _, a := range credentialArgs {
		if unseen && a.changed(&plan, &state) {
			resp.Diagnostics.AddAttributeWarning(path.Root(a.plain), "Credential recorded, not sent, after import",
				fmt.Sprintf("The instance was imported and is already authenticated, so this apply records %s (or %s_version) in state without sending it: "+
					"a code is spent once, most likely when the instance was created. Change it after this apply to re-authenticate.", a.plain, a.attribute()))
		}
	}
	hashes, diags := readWriteOnlyHashes(ctx, req.Private)
	resp.Diagnostics.Append(diags...)
	for _, w := range writeOnlyPairs(&plan, &state, wo) {
		if w.value == "" || w.versionChanged {
			continue
		}
		if stored, ok := hashes[w.attribute]; ok && stored != hashWriteOnly(w.value) {
			resp.Diagnostics.AddAttributeWarning(path.Root(w.attribute), "Write-only value changed without a new version",
				fmt.Sprintf("%s differs from the value last sent, but %s_version did not change, so the new value will not be sent. Change %s_version to send it.", w.attribute, w.attribute, w.attribute))
		}
	}
}

func (r *instanceResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan instanceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	wo, diags := writeOnlyFromConfig(ctx, req.Config)
	resp.Diagnostics.Append(diags...)
	body, diags := createRequest(ctx, &plan, wo)
	resp.Diagnostics.Append(diags...)
	ctx, cancel := withTimeout(ctx, plan.Timeouts.Create, defaultCreateTimeout, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() || !clientReady(r.client, &resp.Diagnostics) {
		return
	}

	created, err := r.client.CreateInstanceReconciled(ctx, body)
	if err != nil {
		resp.Diagnostics.AddError("Cannot create the instance", err.Error())
		return
	}
	inst := created.Instance
	if created.Recovered {
		resp.Diagnostics.AddWarning("Instance adopted from an interrupted apply",
			fmt.Sprintf("An earlier apply ended while creating this instance, before Terraform recorded it; the platform had created instance %d, which is now managed here instead of being created again.", inst.ID))
	} else if created.Adopted {
		resp.Diagnostics.AddWarning("Instance adopted after an interrupted create",
			fmt.Sprintf("The create request got no clear answer, but the platform had created instance %d; it is now managed here.", inst.ID))
	}
	if len(created.Others) > 0 {
		resp.Diagnostics.AddWarning("Possible duplicate instances",
			fmt.Sprintf("Instance %d was created after earlier attempts got no clear answer and seemed to have created nothing, but instances %v have the same name and element and were created meanwhile. If one of them is a leftover of those attempts, delete it.", inst.ID, created.Others))
	}

	// The instance exists from here on, authenticated with a code that is
	// now spent. No later step may fail the create: Terraform would taint
	// the instance and replace it on the next apply, which that code cannot
	// do. What goes wrong is a warning.
	var state instanceModel
	resp.Diagnostics.Append(asWarnings(state.readInto(ctx, inst, &plan, nil))...)
	state.Timeouts = plan.Timeouts
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	resp.Diagnostics.Append(asWarnings(setInstanceIdentity(ctx, resp.Identity, r.client, inst.ID))...)
	resp.Diagnostics.Append(asWarnings(storeWriteOnlyHashes(ctx, resp.Private, writeOnlyPairs(&plan, nil, wo), nil))...)
	if resp.Diagnostics.HasError() || plan.Enabled.ValueBool() || !state.Enabled.ValueBool() {
		return
	}
	// Terraform refuses a create whose result differs from a known planned
	// value, so state says enabled = false either way; when the disable
	// failed, the next refresh reads the instance as enabled and the next
	// plan disables it in place.
	if err := r.client.DisableInstance(ctx, inst.ID); err != nil {
		resp.Diagnostics.AddAttributeWarning(path.Root("enabled"), "Instance created but not disabled",
			fmt.Sprintf("Instance %d was created and is saved in state, but disabling it failed: %s. "+
				"The instance is enabled on the platform; the next plan reads it back as enabled and disables it in place.", inst.ID, err))
	}
	state.Enabled = types.BoolValue(false)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// asWarnings turns the errors of diags into warnings, for what happens
// after the instance exists: an error there would taint it.
func asWarnings(diags diag.Diagnostics) diag.Diagnostics {
	out := make(diag.Diagnostics, 0, len(diags))
	for _, d := range diags {
		if d.Severity() != diag.SeverityError {
			out = append(out, d)
			continue
		}
		if p, ok := d.(diag.DiagnosticWithPath); ok {
			out.AddAttributeWarning(p.Path(), d.Summary(), d.Detail())
		} else {
			out.AddWarning(d.Summary(), d.Detail())
		}
	}
	return out
}

func (r *instanceResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state instanceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id, ok := state.instanceID(&resp.Diagnostics)
	if !ok {
		return
	}
	imported, diags := req.Private.GetKey(ctx, privateImportKey)
	resp.Diagnostics.Append(diags...)
	if len(imported) > 0 && r.client == nil {
		// An import has nothing to keep: only the id is known.
		clientReady(r.client, &resp.Diagnostics)
		return
	}
	if !clientReadyToRefresh(r.client, &resp.Diagnostics) {
		// resp.State still holds the prior state, and resp.Identity the
		// prior identity; a state without one gets the id alone.
		resp.Diagnostics.Append(setUnhostedIdentity(ctx, resp.Identity, id)...)
		return
	}
	resp.Diagnostics.Append(checkIdentityHost(ctx, req.Identity, r.client)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := withTimeout(ctx, state.Timeouts.Read, defaultReadTimeout, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}
	inst, err := r.client.GetInstance(ctx, id)
	if errors.Is(err, opencon.ErrNotFound) {
		resp.Diagnostics.AddWarning("Instance no longer exists",
			fmt.Sprintf("Instance %d was not found on the platform; it is removed from state and the next apply creates it again.", id))
		resp.State.RemoveResource(ctx)
		// The framework wants an identity even so; a state written by a
		// CLI without identity has none yet.
		resp.Diagnostics.Append(setInstanceIdentity(ctx, resp.Identity, r.client, id)...)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot read the instance", err.Error())
		return
	}

	var next instanceModel
	if len(imported) > 0 {
		defaults := elementDefaults(ctx, r.client, inst.Element.Key, &resp.Diagnostics)
		resp.Diagnostics.Append(next.readImported(ctx, inst, defaults)...)
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateImportKey, nil)...)
		forgetInterruptedCreate(ctx, r.client, inst)
	} else {
		resp.Diagnostics.Append(next.readInto(ctx, inst, &state, nil)...)
	}
	next.Timeouts = state.Timeouts
	resp.Diagnostics.Append(resp.State.Set(ctx, &next)...)
	resp.Diagnostics.Append(setInstanceIdentity(ctx, resp.Identity, r.client, inst.ID)...)
}

func (r *instanceResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state instanceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	wo, diags := writeOnlyFromConfig(ctx, req.Config)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	id, ok := state.instanceID(&resp.Diagnostics)
	if !ok {
		return
	}
	unseen, diags := credentialsUnseen(ctx, req.Private)
	resp.Diagnostics.Append(diags...)
	patch, send, diags := updateRequest(ctx, &plan, &state, wo, unseen)
	resp.Diagnostics.Append(diags...)
	ctx, cancel := withTimeout(ctx, plan.Timeouts.Update, defaultUpdateTimeout, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() || !clientReady(r.client, &resp.Diagnostics) {
		return
	}

	var inst *opencon.Instance
	var err error
	if send {
		inst, err = r.client.UpdateInstance(ctx, id, patch)
		if errors.Is(err, opencon.ErrAmbiguous) {
			// A re-authentication whose answer was lost: record what the
			// server holds, since the code may or may not have been spent.
			resp.Diagnostics.AddError("Cannot tell whether the instance was updated",
				err.Error()+". The state now holds what the platform has; if the instance is not valid, authenticate it again with a new code.")
			r.saveAfterPartialUpdate(ctx, id, &state, resp)
			return
		}
		if err != nil {
			resp.Diagnostics.AddError("Cannot update the instance", err.Error())
			return
		}
	}
	if !plan.Enabled.Equal(state.Enabled) {
		toggle := r.client.EnableInstance
		if !plan.Enabled.ValueBool() {
			toggle = r.client.DisableInstance
		}
		if err := toggle(ctx, id); err != nil {
			resp.Diagnostics.AddError("Cannot change whether the instance is enabled", err.Error())
			r.saveAfterPartialUpdate(ctx, id, &state, resp)
			return
		}
		inst = nil // the toggle's answer is not documented: read it back
	}
	if inst == nil {
		inst, err = r.client.GetInstance(ctx, id)
		if err != nil {
			resp.Diagnostics.AddError("Cannot read the instance after updating it", err.Error())
			return
		}
	}

	var next instanceModel
	resp.Diagnostics.Append(next.readInto(ctx, inst, &plan, nil)...)
	next.Timeouts = plan.Timeouts
	resp.Diagnostics.Append(resp.State.Set(ctx, &next)...)
	resp.Diagnostics.Append(setInstanceIdentity(ctx, resp.Identity, r.client, id)...)
	resp.Diagnostics.Append(storeWriteOnlyHashes(ctx, resp.Private, writeOnlyPairs(&plan, &state, wo), req.Private)...)
	if unseen && recordsCredential(&next) {
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateCredentialsUnseenKey, nil)...)
	}
}

// saveAfterPartialUpdate records what the server holds after an update that
// failed half-way, so that state matches the server.
func (r *instanceResource) saveAfterPartialUpdate(ctx context.Context, id int64, state *instanceModel, resp *resource.UpdateResponse) {
	inst, err := r.client.GetInstance(ctx, id)
	if err != nil {
		return
	}
	var next instanceModel
	resp.Diagnostics.Append(next.readInto(ctx, inst, state, nil)...)
	next.Timeouts = state.Timeouts
	resp.Diagnostics.Append(resp.State.Set(ctx, &next)...)
}

func (r *instanceResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state instanceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id, ok := state.instanceID(&resp.Diagnostics)
	if !ok {
		return
	}
	ctx, cancel := withTimeout(ctx, state.Timeouts.Delete, defaultDeleteTimeout, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() || !clientReady(r.client, &resp.Diagnostics) {
		return
	}
	if err := r.client.DeleteInstance(ctx, id); err != nil && !errors.Is(err, opencon.ErrNotFound) {
		resp.Diagnostics.AddError("Cannot delete the instance", err.Error())
	}
}

// ImportState takes the instance id, from `terraform import`, an import
// block's `id`, or an import block's `identity` (Terraform 1.12, OpenTofu 1.12).
func (r *instanceResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	var id int64
	if req.ID != "" {
		var err error
		if id, err = parseInstanceID(req.ID); err != nil {
			resp.Diagnostics.AddError("Invalid import id", err.Error())
			return
		}
	} else {
		var diags diag.Diagnostics
		if id, diags = importedInstanceID(ctx, req.Identity, r.client); diags.HasError() {
			resp.Diagnostics.Append(diags...)
			return
		}
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), strconv.FormatInt(id, 10))...)
	resp.Diagnostics.Append(setInstanceIdentity(ctx, resp.Identity, r.client, id)...)
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateImportKey, []byte("true"))...)
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateCredentialsUnseenKey, []byte("true"))...)
}
