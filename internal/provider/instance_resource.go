package provider

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
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
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

var (
	_ resource.ResourceWithConfigure        = (*instanceResource)(nil)
	_ resource.ResourceWithImportState      = (*instanceResource)(nil)
	_ resource.ResourceWithModifyPlan       = (*instanceResource)(nil)
	_ resource.ResourceWithConfigValidators = (*instanceResource)(nil)
)

// privateImportKey marks, between ImportState and the Read that follows it,
// that there is no prior state telling which configuration keys are managed.
const privateImportKey = "imported"

// Default operation timeouts; the `timeouts` block overrides them. They bound
// the retries of every request an operation makes.
const (
	defaultCreateTimeout = 10 * time.Minute
	defaultReadTimeout   = 5 * time.Minute
	defaultUpdateTimeout = 10 * time.Minute
	defaultDeleteTimeout = 10 * time.Minute
)

// createdClockSkew is how much earlier than the request's start an instance
// may be stamped by the server and still count as the one the request made.
const createdClockSkew = 2 * time.Minute

// NewInstanceResource is the opencon_instance resource.
func NewInstanceResource() resource.Resource {
	return &instanceResource{}
}

type instanceResource struct {
	client *opencon.Client
}

func (r *instanceResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_instance"
}

func (r *instanceResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *instanceResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keepState := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		Version: 0, // state written by released versions must keep planning empty: see DESIGN.md, "State upgrades"
		MarkdownDescription: "A connector instance (`/instances`): one authenticated connection to one vendor account, for any element, " +
			"with polling events configured through `polling_resource` blocks.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The instance id (`id`).",
				Computed:            true,
				PlanModifiers:       keepState,
			},
			"element_key": schema.StringAttribute{
				MarkdownDescription: "The element (connector) key, `element.key`, for example `gmail`. Changing it replaces the instance.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "The instance name, `name`. The platform strips HTML tags from it; a name that differs only by such tags is not a change.",
				Required:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"tags": schema.SetAttribute{
				MarkdownDescription: "Tags, `tags`. Replaced as a whole on update. When omitted the platform tags the instance with its name.",
				ElementType:         types.StringType,
				Optional:            true,
				Computed:            true,
				Validators:          []validator.Set{setvalidator.ValueStringsAre(sanitizedByPlatform{})},
				PlanModifiers:       []planmodifier.Set{setplanmodifier.UseStateForUnknown()},
			},
			"authorization_code": schema.StringAttribute{
				MarkdownDescription: "A one-time OAuth authorization grant code, `providerData.code`, exchanged by the platform on create. " +
					"A new value later re-authenticates the existing instance in place. Never returned by the API.",
				Optional:  true,
				Sensitive: true,
				Validators: []validator.String{
					stringvalidator.LengthAtLeast(1),
					stringvalidator.ConflictsWith(path.MatchRoot("oauth_refresh_token"), path.MatchRoot("oauth_refresh_token_wo"), path.MatchRoot("authorization_code_wo")),
				},
			},
			"authorization_code_wo":         writeOnlyTwin("authorization_code", path.MatchRoot("oauth_refresh_token"), path.MatchRoot("oauth_refresh_token_wo")),
			"authorization_code_wo_version": versionAttribute("authorization_code_wo"),
			"oauth_refresh_token": schema.StringAttribute{
				MarkdownDescription: "An existing OAuth refresh token, `oauth.user.refresh_token`: creates the instance with `externalAuthentication: \"initial\"`, " +
					"without an interactive code. The non-interactive path for CI. Never returned by the API.",
				Optional:  true,
				Sensitive: true,
				Validators: []validator.String{
					stringvalidator.LengthAtLeast(1),
					stringvalidator.ConflictsWith(path.MatchRoot("oauth_refresh_token_wo")),
				},
			},
			"oauth_refresh_token_wo":         writeOnlyTwin("oauth_refresh_token"),
			"oauth_refresh_token_wo_version": versionAttribute("oauth_refresh_token_wo"),
			"oauth_api_key": schema.StringAttribute{
				MarkdownDescription: "The OAuth client id of your app at the vendor, `oauth.api.key`. The API returns it masked, so it is never read back.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"oauth_api_secret": schema.StringAttribute{
				MarkdownDescription: "The OAuth client secret, `oauth.api.secret`. Never returned by the API.",
				Optional:            true,
				Sensitive:           true,
				Validators: []validator.String{
					stringvalidator.LengthAtLeast(1),
					stringvalidator.ConflictsWith(path.MatchRoot("oauth_api_secret_wo")),
				},
			},
			"oauth_api_secret_wo":         writeOnlyTwin("oauth_api_secret"),
			"oauth_api_secret_wo_version": versionAttribute("oauth_api_secret_wo"),
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
				Validators: []validator.String{
					stringvalidator.LengthAtLeast(1),
					stringvalidator.ConflictsWith(path.MatchRoot("event_notification_signature_key_wo")),
				},
			},
			"event_notification_signature_key_wo":         writeOnlyTwin("event_notification_signature_key"),
			"event_notification_signature_key_wo_version": versionAttribute("event_notification_signature_key_wo"),
			"event_poller_refresh_interval": schema.Int64Attribute{
				MarkdownDescription: "How often, in whole minutes, the platform polls the `polling_resource`s, `event.poller.refresh_interval`. At least 1. The element's default (15 for Gmail) applies when omitted.",
				Optional:            true,
				Computed:            true,
				Validators:          []validator.Int64{int64validator.AtLeast(1)},
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.UseStateForUnknown()},
			},
			"configuration": schema.MapAttribute{
				MarkdownDescription: "Any other element-specific configuration key, as strings (for example `\"netsuite.sandbox\" = \"false\"`). " +
					"Keys owned by a typed argument are refused. Removing a key stops managing it; the platform keeps its value.",
				ElementType: types.StringType,
				Optional:    true,
				Validators:  []validator.Map{mapvalidator.SizeAtLeast(1), configurationKeys{}},
			},
			"sensitive_configuration": schema.MapAttribute{
				MarkdownDescription: "Like `configuration`, for secret keys such as `user.password`: hidden in plan output and kept from state on read because the API masks them.",
				ElementType:         types.StringType,
				Optional:            true,
				Sensitive:           true,
				Validators:          []validator.Map{mapvalidator.SizeAtLeast(1), configurationKeys{}},
			},
			"enabled": schema.BoolAttribute{
				MarkdownDescription: "Whether the instance is enabled, driven through `PUT`/`DELETE /instances/{id}/enabled`. Defaults to `true`.",
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(true),
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
		},
		Blocks: map[string]schema.Block{
			"polling_resource": pollingResourceBlock(),
			"timeouts":         timeouts.Block(ctx, timeouts.Opts{Create: true, Read: true, Update: true, Delete: true}),
		},
	}
}

// writeOnlyTwin is the write-only form of the sensitive argument plain,
// sent when its `<plain>_wo_version` changes.
func writeOnlyTwin(plain string, conflicts ...path.Expression) schema.StringAttribute {
	version := plain + "_wo_version"
	validators := []validator.String{
		stringvalidator.LengthAtLeast(1),
		stringvalidator.AlsoRequires(path.MatchRoot(version)),
	}
	if len(conflicts) > 0 {
		validators = append(validators, stringvalidator.ConflictsWith(conflicts...))
	}
	return schema.StringAttribute{
		MarkdownDescription: fmt.Sprintf("Write-only twin of `%s`. Write-only: never stored in plan or state (Terraform 1.11+, OpenTofu 1.11+). "+
			"Sent on create and whenever `%s` changes.", plain, version),
		Optional:   true,
		Sensitive:  true,
		WriteOnly:  true,
		Validators: validators,
	}
}

func versionAttribute(of string) schema.Int64Attribute {
	return schema.Int64Attribute{
		MarkdownDescription: fmt.Sprintf("Any number; change it to send a new `%s`.", of),
		Optional:            true,
		Validators:          []validator.Int64{int64validator.AlsoRequires(path.MatchRoot(of))},
	}
}

func pollingResourceBlock() schema.SetNestedBlock {
	optionalString := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: desc, Optional: true}
	}
	return schema.SetNestedBlock{
		MarkdownDescription: "One resource the platform polls, an entry of `event.poller.configuration`. The order of blocks does not matter.",
		Validators:          []validator.Set{uniquePollingNames{}},
		NestedObject: schema.NestedBlockObject{
			Attributes: map[string]schema.Attribute{
				"name": schema.StringAttribute{
					MarkdownDescription: "The resource's key in `event.poller.configuration`, for example `changed-messages`; becomes the events' `objectType`.",
					Required:            true,
					Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
				},
				"url": schema.StringAttribute{
					MarkdownDescription: "The hub URL to poll (`url`), for example `/hubs/general/changed-messages`; may hold date placeholders such as `${gmtDate:yyyy-MM-dd'T'HH:mm:ss'Z'}`, written `$${...}` in HCL so that Terraform leaves them alone.",
					Required:            true,
					Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
				},
				"id_field":                optionalString("The JSON path of the object's id (`idField`), for example `id`; may be empty."),
				"filter_by_updated_date":  schema.BoolAttribute{MarkdownDescription: "`filterByUpdatedDate`; the platform's default is `true`.", Optional: true},
				"page_size":               schema.Int64Attribute{MarkdownDescription: "`pageSize`: how many objects one poll reads.", Optional: true, Validators: []validator.Int64{int64validator.AtLeast(1)}},
				"poll_delay":              schema.Int64Attribute{MarkdownDescription: "`pollDelay`: seconds subtracted from the last poll date; the platform's default is 0.", Optional: true, Validators: []validator.Int64{int64validator.AtLeast(0)}},
				"created_check_tolerance": schema.Int64Attribute{MarkdownDescription: "`createdCheckTolerance`: seconds within which an object's updated and created dates make it CREATED rather than UPDATED.", Optional: true, Validators: []validator.Int64{int64validator.AtLeast(0)}},
			},
			Blocks: map[string]schema.Block{
				"dates": schema.SingleNestedBlock{
					MarkdownDescription: "`datesConfiguration`: where the objects keep their dates and in which format (Java `SimpleDateFormat`) and time zone. Without it polling uses UTC.",
					Attributes: map[string]schema.Attribute{
						"updated_date_field":    optionalString("`updatedDateField`."),
						"updated_date_format":   optionalString("`updatedDateFormat`, for example `yyyy-MM-dd'T'HH:mm:ss'Z'`."),
						"updated_date_timezone": optionalString("`updatedDateTimezone`, for example `GMT` or `America/New_York`."),
						"created_date_field":    optionalString("`createdDateField`."),
						"created_date_format":   optionalString("`createdDateFormat`."),
						"created_date_timezone": optionalString("`createdDateTimezone`."),
					},
				},
			},
		},
	}
}

func (r *instanceResource) ConfigValidators(_ context.Context) []resource.ConfigValidator {
	return []resource.ConfigValidator{eventsNeedCallback{}}
}

// ModifyPlan marks the token and validity unknown when the instance is about
// to be re-authenticated, and warns when a write-only secret changed without
// its version.
func (r *instanceResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || req.State.Raw.IsNull() {
		return
	}
	var plan, state instanceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if reauthenticates(&plan, &state) {
		plan.Token = types.StringUnknown()
		plan.Valid = types.BoolUnknown()
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
	}
	wo, diags := writeOnlyFromConfig(ctx, req.Config)
	resp.Diagnostics.Append(diags...)
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

func reauthenticates(plan, state *instanceModel) bool {
	codeChanged := !plan.AuthorizationCode.IsNull() && !plan.AuthorizationCode.Equal(state.AuthorizationCode)
	refreshChanged := !plan.OAuthRefreshToken.IsNull() && !plan.OAuthRefreshToken.Equal(state.OAuthRefreshToken)
	return codeChanged || refreshChanged ||
		versionBumped(plan.AuthorizationCodeWOVersion, state.AuthorizationCodeWOVersion) ||
		versionBumped(plan.OAuthRefreshTokenWOVersion, state.OAuthRefreshTokenWOVersion)
}

func versionBumped(plan, state types.Int64) bool {
	return !plan.IsNull() && !plan.Equal(state)
}

func (r *instanceResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan instanceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	wo, diags := writeOnlyFromConfig(ctx, req.Config)
	resp.Diagnostics.Append(diags...)
	configuration, diags := plan.desiredConfiguration(ctx, wo)
	resp.Diagnostics.Append(diags...)
	ctx, cancel := withTimeout(ctx, plan.Timeouts.Create, defaultCreateTimeout, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}

	body := opencon.CreateInstanceRequest{
		Element:       &opencon.ElementRef{Key: plan.ElementKey.ValueString()},
		Name:          plan.Name.ValueString(),
		Configuration: configuration,
	}
	if !plan.Tags.IsNull() && !plan.Tags.IsUnknown() {
		tags := []string{}
		resp.Diagnostics.Append(plan.Tags.ElementsAs(ctx, &tags, false)...)
		body.Tags = tags
	}
	if code, ok := secret(plan.AuthorizationCode, wo.AuthorizationCode); ok {
		body.ProviderData = map[string]string{"code": code}
	}
	if _, ok := configuration[opencon.KeyOAuthUserRefreshToken]; ok {
		body.ExternalAuthentication = opencon.ExternalAuthenticationInitial
	}

	started := time.Now()
	inst, err := r.client.CreateInstance(ctx, body)
	if errors.Is(err, opencon.ErrAmbiguous) {
		tflog.Warn(ctx, "create outcome unknown; looking the instance up", map[string]any{"error": err.Error()})
		inst, err = r.findCreatedInstance(ctx, plan, started, err)
		if err == nil {
			resp.Diagnostics.AddWarning("Instance adopted after an interrupted create",
				fmt.Sprintf("The create request got no clear answer, but the platform had created instance %d; it is now managed here.", inst.ID))
		}
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot create the instance", err.Error())
		return
	}

	var state instanceModel
	resp.Diagnostics.Append(state.readInto(ctx, inst, &plan, nil)...)
	state.Timeouts = plan.Timeouts
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	resp.Diagnostics.Append(storeWriteOnlyHashes(ctx, resp.Private, writeOnlyPairs(&plan, nil, wo), nil)...)
	if resp.Diagnostics.HasError() {
		return
	}

	if !plan.Enabled.ValueBool() {
		if err := r.client.DisableInstance(ctx, inst.ID); err != nil {
			resp.Diagnostics.AddError("Instance created but not disabled",
				fmt.Sprintf("Instance %d was created and is saved in state, but disabling it failed: %s", inst.ID, err))
			return
		}
		state.Enabled = types.BoolValue(false)
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	}
}

// findCreatedInstance looks for the instance an ambiguous create may have made:
// same name and element, stamped after the request began. It never creates.
func (r *instanceResource) findCreatedInstance(ctx context.Context, plan instanceModel, started time.Time, createErr error) (*opencon.Instance, error) {
	// The create may have failed because its context ran out; the lookup
	// still deserves its own short time.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	name := sanitizeName(plan.Name.ValueString())
	list, err := r.client.ListInstances(ctx, opencon.ListInstancesOptions{SearchText: name})
	if err != nil {
		return nil, fmt.Errorf("%w; looking for an instance it may have created failed too: %v", createErr, err)
	}
	var ids []int64
	for _, it := range list {
		if it.Name != name {
			continue
		}
		if it.Element.Key != "" && it.Element.Key != plan.ElementKey.ValueString() {
			continue
		}
		created, err := time.Parse(time.RFC3339, it.CreatedDate)
		if err != nil || created.Before(started.Add(-createdClockSkew)) {
			continue
		}
		ids = append(ids, it.ID)
	}
	switch len(ids) {
	case 0:
		return nil, fmt.Errorf("%w; no instance named %q was created, so nothing is left behind: run apply again", createErr, name)
	case 1:
		inst, err := r.client.GetInstance(ctx, ids[0])
		if err != nil {
			return nil, fmt.Errorf("%w; instance %d seems to have been created by it, but reading it failed: %v (import it with its id)", createErr, ids[0], err)
		}
		if inst.Element.Key != plan.ElementKey.ValueString() {
			return nil, fmt.Errorf("%w; no instance of element %q named %q was created", createErr, plan.ElementKey.ValueString(), name)
		}
		return inst, nil
	default:
		return nil, fmt.Errorf("%w; %d instances named %q were created since the request began (ids %v), so the one it made cannot be told apart: import the right one and delete the others", createErr, len(ids), name, ids)
	}
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
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot read the instance", err.Error())
		return
	}

	imported, diags := req.Private.GetKey(ctx, privateImportKey)
	resp.Diagnostics.Append(diags...)
	var next instanceModel
	if len(imported) > 0 {
		defaults := r.elementDefaults(ctx, inst.Element.Key, &resp.Diagnostics)
		resp.Diagnostics.Append(next.readInto(ctx, inst, nil, defaults)...)
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateImportKey, nil)...)
	} else {
		resp.Diagnostics.Append(next.readInto(ctx, inst, &state, nil)...)
	}
	next.Timeouts = state.Timeouts
	resp.Diagnostics.Append(resp.State.Set(ctx, &next)...)
}

// elementDefaults reads the element's configuration defaults so that import
// does not adopt them as managed keys.
func (r *instanceResource) elementDefaults(ctx context.Context, elementKey string, diags interface{ AddWarning(string, string) }) map[string]*string {
	entries, err := r.client.ListElementConfiguration(ctx, elementKey)
	if err != nil {
		diags.AddWarning("Element defaults unavailable",
			fmt.Sprintf("Reading the configuration of element %q failed (%s), so every non-secret configuration key is adopted into `configuration`.", elementKey, err))
		return nil
	}
	out := make(map[string]*string, len(entries))
	for _, e := range entries {
		out[e.Key] = e.DefaultValue
	}
	return out
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
	ctx, cancel := withTimeout(ctx, plan.Timeouts.Update, defaultUpdateTimeout, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}

	pairs := writeOnlyPairs(&plan, &state, wo)
	toSend := writeOnlyInputs{}
	for _, p := range pairs {
		if p.versionChanged {
			p.assign(&toSend)
		}
	}
	prior, diags := state.desiredConfiguration(ctx, writeOnlyInputs{})
	resp.Diagnostics.Append(diags...)
	planned, diags := plan.desiredConfiguration(ctx, toSend)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}

	patch := opencon.UpdateInstanceRequest{}
	changed := false
	if !plan.Name.Equal(state.Name) {
		name := plan.Name.ValueString()
		patch.Name = &name
		changed = true
	}
	if !plan.Tags.IsUnknown() && !plan.Tags.Equal(state.Tags) {
		tags := []string{}
		resp.Diagnostics.Append(plan.Tags.ElementsAs(ctx, &tags, false)...)
		patch.Tags = &tags
		changed = true
	}
	if c := changedConfiguration(prior, planned); len(c) > 0 {
		patch.Configuration = c
		changed = true
	}
	if code, ok := secret(plan.AuthorizationCode, toSend.AuthorizationCode); ok && (toSend.AuthorizationCode != "" || !plan.AuthorizationCode.Equal(state.AuthorizationCode)) {
		patch.ProviderData = map[string]string{"code": code}
		changed = true
	}

	var inst *opencon.Instance
	var err error
	if changed {
		inst, err = r.client.UpdateInstance(ctx, id, patch)
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
	resp.Diagnostics.Append(storeWriteOnlyHashes(ctx, resp.Private, pairs, req.Private)...)
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
	if resp.Diagnostics.HasError() {
		return
	}
	if err := r.client.DeleteInstance(ctx, id); err != nil && !errors.Is(err, opencon.ErrNotFound) {
		resp.Diagnostics.AddError("Cannot delete the instance", err.Error())
	}
}

func (r *instanceResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if _, err := parseInstanceID(req.ID); err != nil {
		resp.Diagnostics.AddError("Invalid import id", err.Error())
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateImportKey, []byte("true"))...)
}

// instanceID is the numeric id of the instance in state.
func (m *instanceModel) instanceID(diags *diag.Diagnostics) (int64, bool) {
	id, err := parseInstanceID(m.ID.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("id"), "Invalid instance id", err.Error())
		return 0, false
	}
	return id, true
}

// withTimeout bounds ctx by an operation's timeout from the timeouts block.
func withTimeout(ctx context.Context, get func(context.Context, time.Duration) (time.Duration, diag.Diagnostics), def time.Duration, diags *diag.Diagnostics) (context.Context, context.CancelFunc) {
	timeout, d := get(ctx, def)
	diags.Append(d...)
	return context.WithTimeout(ctx, timeout)
}

func parseInstanceID(id string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(id), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("instance ids are positive whole numbers such as 12345, not %q", id)
	}
	return n, nil
}
