package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/hashicorp/terraform-plugin-framework-validators/actionvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

var (
	_ action.ActionWithConfigure        = (*instanceReauthenticateAction)(nil)
	_ action.ActionWithConfigValidators = (*instanceReauthenticateAction)(nil)
)

// NewInstanceReauthenticateAction is the opencon_instance_reauthenticate action.
func NewInstanceReauthenticateAction() action.Action {
	return &instanceReauthenticateAction{}
}

type instanceReauthenticateAction struct {
	client *opencon.Client
}

type instanceReauthenticateModel struct {
	InstanceID        types.String `tfsdk:"instance_id"`
	AuthorizationCode types.String `tfsdk:"authorization_code"`
	OAuthRefreshToken types.String `tfsdk:"oauth_refresh_token"`
}

func (a *instanceReauthenticateAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_instance_reauthenticate"
}

func (a *instanceReauthenticateAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	a.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

func (a *instanceReauthenticateAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Re-authenticates an existing instance in place (`PATCH /instances/{id}`), for example after the vendor revoked " +
			"or expired its OAuth grant, with a new authorization code or a refresh token: the same request `opencon_instance` sends " +
			"when its `authorization_code` or `oauth_refresh_token` changes. Reports the outcome as progress messages and fails " +
			"when the platform refuses the code or reports the instance invalid afterwards (Terraform 1.14+). " +
			"The `opencon_instance` that manages the instance shows no change afterwards: its `token` and `valid` are read anew at its next refresh.",
		Attributes: map[string]schema.Attribute{
			"instance_id": schema.StringAttribute{
				MarkdownDescription: "The instance to re-authenticate, for example `opencon_instance.gmail.id`.",
				Required:            true,
				Validators:          []validator.String{instanceIDValidator{}},
			},
			"authorization_code": schema.StringAttribute{
				MarkdownDescription: "A new one-time OAuth authorization code, sent as `providerData.code`; the platform exchanges it with the vendor. " +
					"Exactly one of `authorization_code` and `oauth_refresh_token`. " + writeOnlyActionArgument,
				Optional:   true,
				WriteOnly:  true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"oauth_refresh_token": schema.StringAttribute{
				MarkdownDescription: "An OAuth refresh token, sent as the configuration key `oauth.user.refresh_token`. " +
					"Exactly one of `authorization_code` and `oauth_refresh_token`. " + writeOnlyActionArgument,
				Optional:   true,
				WriteOnly:  true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
		},
	}
}

func (a *instanceReauthenticateAction) ConfigValidators(context.Context) []action.ConfigValidator {
	return []action.ConfigValidator{
		actionvalidator.ExactlyOneOf(path.MatchRoot("authorization_code"), path.MatchRoot("oauth_refresh_token")),
	}
}

func (a *instanceReauthenticateAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var cfg instanceReauthenticateModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() || !clientReady(a.client, &resp.Diagnostics) {
		return
	}
	id, err := parseInstanceID(cfg.InstanceID.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("instance_id"), "Invalid instance id", err.Error())
		return
	}
	argument, with := path.Root("authorization_code"), "a new authorization code"
	if !cfg.OAuthRefreshToken.IsNull() {
		argument, with = path.Root("oauth_refresh_token"), "a refresh token"
	}
	patch, diags := reauthenticationRequest(ctx, cfg.AuthorizationCode.ValueString(), cfg.OAuthRefreshToken.ValueString())
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	progress := func(format string, args ...any) {
		resp.SendProgress(action.InvokeProgressEvent{Message: fmt.Sprintf(format, args...)})
	}
	ctx, cancel := context.WithTimeout(ctx, defaultUpdateTimeout)
	defer cancel()

	before, err := a.client.GetInstance(ctx, id)
	if errors.Is(err, opencon.ErrNotFound) {
		resp.Diagnostics.AddAttributeError(path.Root("instance_id"), "Instance not found", fmt.Sprintf("No instance with id %d exists; nothing was sent.", id))
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot read the instance", err.Error())
		return
	}
	progress("Re-authenticating instance %d (%q) with %s", id, before.Name, with)
	if _, err := a.client.UpdateInstance(ctx, id, patch); err != nil {
		var apiErr *opencon.APIError
		if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusBadRequest {
			resp.Diagnostics.AddAttributeError(argument, "The platform refused the re-authentication",
				fmt.Sprintf("Instance %d was not changed: %s", id, err))
			return
		}
		resp.Diagnostics.AddError("Cannot re-authenticate the instance", err.Error())
		return
	}

	after, err := a.client.GetInstance(ctx, id)
	if err != nil {
		resp.Diagnostics.AddError("Instance re-authenticated but not read back",
			fmt.Sprintf("The platform accepted %s for instance %d, but reading the instance afterwards failed: %s", with, id, err))
		return
	}
	if cfg.OAuthRefreshToken.IsNull() {
		progress("The platform exchanged the code for new OAuth tokens of instance %d", id)
	} else {
		progress("The platform stored the refresh token of instance %d", id)
	}
	if after.Token != before.Token {
		progress("The instance token of instance %d changed; opencon_instance reads the new one at its next refresh", id)
	} else {
		progress("The instance token of instance %d is unchanged", id)
	}
	if !after.Valid {
		resp.Diagnostics.AddAttributeError(argument, "Instance not valid after re-authentication",
			fmt.Sprintf("The platform accepted %s, but reports instance %d as not valid: authenticate it again with another code.", with, id))
		return
	}
	progress("Instance %d is valid", id)
}
