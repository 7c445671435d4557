package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

var _ datasource.DataSourceWithConfigure = (*oauthURLDataSource)(nil)

// NewOAuthURLDataSource is the opencon_oauth_url data source.
func NewOAuthURLDataSource() datasource.DataSource {
	return &oauthURLDataSource{}
}

type oauthURLDataSource struct {
	client *opencon.Client
}

type oauthURLModel struct {
	ElementKey  types.String   `tfsdk:"element_key"`
	APIKey      types.String   `tfsdk:"api_key"`
	APISecret   types.String   `tfsdk:"api_secret"`
	CallbackURL types.String   `tfsdk:"callback_url"`
	Scope       types.String   `tfsdk:"scope"`
	State       types.String   `tfsdk:"state"`
	URL         types.String   `tfsdk:"url"`
	Timeouts    timeouts.Value `tfsdk:"timeouts"`
}

func (d *oauthURLDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_oauth_url"
}

func (d *oauthURLDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *oauthURLDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	nonEmpty := []validator.String{stringvalidator.LengthAtLeast(1)}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Step one of the OAuth flow for an OAuth element: asks the platform for the vendor's authorization URL " +
			"(`GET /elements/{key}/oauth/url`). Open `url` in a browser and approve; the vendor redirects to `callback_url` with " +
			"`?code=...`. Put that code in the `authorization_code` (or `authorization_code_wo`) argument of `opencon_instance`, " +
			"with the same `oauth_api_key`, `oauth_api_secret` and `oauth_callback_url`. The code is single-use and short-lived " +
			"(minutes): apply soon after approving.\n\n" +
			"Reading this data source only builds a URL: it never exchanges or spends a code, so it is safe to read on every plan. " +
			"Like every data source argument, `api_secret` is stored in the state (marked sensitive).",
		Blocks: map[string]schema.Block{"timeouts": readTimeoutBlock(ctx)},
		Attributes: map[string]schema.Attribute{
			"element_key": schema.StringAttribute{
				MarkdownDescription: "The element key or id, for example `gmail`.",
				Required:            true,
				Validators:          []validator.String{unpadded{}},
			},
			"api_key": schema.StringAttribute{
				MarkdownDescription: "The OAuth client id of your app at the vendor (`apiKey`); the instance's `oauth_api_key`.",
				Required:            true,
				Validators:          nonEmpty,
			},
			"api_secret": schema.StringAttribute{
				MarkdownDescription: "The OAuth client secret (`apiSecret`); the instance's `oauth_api_secret`.",
				Required:            true,
				Sensitive:           true,
				Validators:          nonEmpty,
			},
			"callback_url": schema.StringAttribute{
				MarkdownDescription: "The redirect URI registered with the vendor (`callbackUrl`), an `http` or `https` URL; the instance's `oauth_callback_url`.",
				Required:            true,
				Validators:          []validator.String{httpURL()},
			},
			"scope": schema.StringAttribute{
				MarkdownDescription: "Scopes to request instead of the element's default ones (`scope`), in the vendor's syntax.",
				Optional:            true,
				Validators:          nonEmpty,
			},
			"state": schema.StringAttribute{
				MarkdownDescription: "An opaque value the vendor hands back on the redirect (`state`); the platform uses the element key when omitted.",
				Optional:            true,
				Validators:          nonEmpty,
			},
			"url": schema.StringAttribute{
				MarkdownDescription: "The vendor's authorization URL (`oauthUrl`) to open in a browser.",
				Computed:            true,
			},
		},
	}
}

func (d *oauthURLDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var cfg oauthURLModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() || !clientReady(d.client, &resp.Diagnostics) {
		return
	}
	ctx, cancel := withTimeout(ctx, cfg.Timeouts.Read, defaultDataSourceReadTimeout, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}
	out, err := d.client.GetOAuthURL(ctx, cfg.ElementKey.ValueString(), opencon.OAuthURLRequest{
		APIKey:      cfg.APIKey.ValueString(),
		APISecret:   cfg.APISecret.ValueString(),
		CallbackURL: cfg.CallbackURL.ValueString(),
		Scope:       cfg.Scope.ValueString(),
		State:       cfg.State.ValueString(),
	})
	if err != nil {
		resp.Diagnostics.AddError("Cannot get the OAuth URL", err.Error())
		return
	}
	if out.OAuthURL == "" {
		resp.Diagnostics.AddError("Cannot get the OAuth URL", "The platform answered without an oauthUrl; is "+cfg.ElementKey.String()+" an OAuth element?")
		return
	}
	cfg.URL = types.StringValue(out.OAuthURL)
	resp.Diagnostics.Append(resp.State.Set(ctx, &cfg)...)
}
