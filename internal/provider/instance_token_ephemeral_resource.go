package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/ephemeral/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

var _ ephemeral.EphemeralResourceWithConfigure = (*instanceTokenEphemeralResource)(nil)

// NewInstanceTokenEphemeralResource is the opencon_instance_token ephemeral resource.
func NewInstanceTokenEphemeralResource() ephemeral.EphemeralResource {
	return &instanceTokenEphemeralResource{}
}

type instanceTokenEphemeralResource struct {
	client *opencon.Client
}

type instanceTokenModel struct {
	ID       types.String   `tfsdk:"id"`
	Token    types.String   `tfsdk:"token"`
	Timeouts timeouts.Value `tfsdk:"timeouts"`
}

func (r *instanceTokenEphemeralResource) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_instance_token"
}

func (r *instanceTokenEphemeralResource) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	r.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *instanceTokenEphemeralResource) Schema(ctx context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads an instance's token (`GET /instances/{id}`) without writing it to plan or state " +
			"(Terraform 1.10+, OpenTofu 1.11+). Use it where an ephemeral value is accepted: another provider's configuration, " +
			"a write-only argument, an ephemeral local or output. The token is sent as `Element <token>` in the `Authorization` header of hub calls.",
		Blocks: map[string]schema.Block{"timeouts": timeouts.BlockWithOpts(ctx, timeouts.Opts{
			OpenDescription: fmt.Sprintf("How long opening may take, as a Go duration such as `30s` or `2m`, every request and retry included. Defaults to `%s`.", defaultDataSourceReadTimeout),
		})},
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The instance id, for example `opencon_instance.gmail.id`.",
				Required:            true,
				Validators:          []validator.String{instanceIDValidator{}},
			},
			"token": schema.StringAttribute{
				MarkdownDescription: "The instance token.",
				Computed:            true,
				Sensitive:           true,
			},
		},
	}
}

func (r *instanceTokenEphemeralResource) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var cfg instanceTokenModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() || !clientReady(r.client, &resp.Diagnostics) {
		return
	}
	id, ok := instanceIDOf(cfg.ID, &resp.Diagnostics)
	if !ok {
		return
	}
	ctx, cancel := withTimeout(ctx, cfg.Timeouts.Open, defaultDataSourceReadTimeout, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}
	inst, err := r.client.GetInstance(ctx, id)
	if errors.Is(err, opencon.ErrNotFound) {
		resp.Diagnostics.AddAttributeError(path.Root("id"), "Instance not found", fmt.Sprintf("No instance with id %d exists.", id))
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot read the instance", err.Error())
		return
	}
	if inst.Token == "" {
		resp.Diagnostics.AddError("Instance has no token", fmt.Sprintf("The platform returned instance %d without a token.", id))
		return
	}
	cfg.Token = types.StringValue(inst.Token)
	resp.Diagnostics.Append(resp.Result.Set(ctx, &cfg)...)
}
