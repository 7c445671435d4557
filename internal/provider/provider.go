package provider

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// Environment variables the provider configuration falls back to.
const (
	EnvBaseURL            = "OPENCON_BASE_URL"
	EnvUserSecret         = "OPENCON_USER_SECRET"
	EnvOrganizationSecret = "OPENCON_ORGANIZATION_SECRET"
)

var (
	_ provider.Provider                       = (*openconProvider)(nil)
	_ provider.ProviderWithEphemeralResources = (*openconProvider)(nil)
	_ provider.ProviderWithListResources      = (*openconProvider)(nil)
	_ provider.ProviderWithActions            = (*openconProvider)(nil)
)

type openconProvider struct {
	version string
}

// New returns a constructor of the provider, as providerserver.Serve expects.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &openconProvider{version: version}
	}
}

func (p *openconProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "opencon"
	resp.Version = p.version
}

func (p *openconProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manages SAP Open Connectors (Cloud Elements `elements/api-v2`) connector instances.",
		Attributes: map[string]schema.Attribute{
			"base_url": schema.StringAttribute{
				MarkdownDescription: "The API root, for example `https://api.openconnectors.us2.ext.hana.ondemand.com/elements/api-v2`, with or without `/elements/api-v2`. " +
					"`http://` is accepted only for loopback hosts (the local emulator). Falls back to `" + EnvBaseURL + "` when not set; an empty string is an error, not \"unset\".",
				Optional:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"user_secret": schema.StringAttribute{
				MarkdownDescription: "The user secret sent as `User <secret>` in the `Authorization` header. Falls back to `" + EnvUserSecret + "` when not set; an empty string is an error, not \"unset\".",
				Optional:            true,
				Sensitive:           true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"organization_secret": schema.StringAttribute{
				MarkdownDescription: "The organization secret sent as `Organization <secret>` in the `Authorization` header. Falls back to `" + EnvOrganizationSecret + "` when not set; an empty string is an error, not \"unset\".",
				Optional:            true,
				Sensitive:           true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"request_timeout": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("How long one HTTP request may take from when it is sent, as a Go duration such as `30s` or `2m`; retries, and waits for `max_requests_per_second` or `max_concurrent_requests`, not included. Defaults to `%ds`.", opencon.DefaultRequestTimeout/time.Second),
				Optional:            true,
				Validators:          []validator.String{durationValidator{}},
			},
			"max_retries": schema.NumberAttribute{
				MarkdownDescription: fmt.Sprintf("How many times a request is retried on transport errors, 429 and 5xx answers (honouring `Retry-After`, each wait capped at %d seconds). "+
					"A create whose answer was lost is looked up first and sent again only when the lookup proves it created nothing. Defaults to %d; 0 turns retries off.",
					opencon.MaxRetryAfter/time.Second, opencon.DefaultMaxRetries),
				Optional:   true,
				Validators: []validator.Number{wholeNumber(0, 20)},
			},
			"max_requests_per_second": schema.Float64Attribute{
				MarkdownDescription: "The most requests per second this provider configuration sends, retries included, shared by every resource, data source and ephemeral resource that uses it; " +
					"requests are spaced evenly. Unset means no limit: the platform documents none, and a `429` answer makes every request of the provider wait for its `Retry-After`. " +
					"Set it to the account's limit to stay under it with a high `-parallelism`.",
				Optional:   true,
				Validators: []validator.Float64{positiveFloat{}},
			},
			"max_concurrent_requests": schema.NumberAttribute{
				MarkdownDescription: fmt.Sprintf("The most requests this provider configuration has in flight at once, shared like `max_requests_per_second`. "+
					"Defaults to %d, Terraform's default `-parallelism`, so that a default run is never slowed and a raised `-parallelism` does not open more connections.", opencon.DefaultMaxConcurrentRequests),
				Optional:   true,
				Validators: []validator.Number{wholeNumber(1, 1000)},
			},
			"create_journal": schema.StringAttribute{
				MarkdownDescription: "The directory where the provider notes each create, from just before its request until a later plan sees the instance in state, " +
					"so that after an apply killed mid-create (the CLI got `SIGKILL`, the runner was lost) the next apply adopts the instances it made instead of creating them again. " +
					"Defaults to `" + createJournalDirName + "` in Terraform's data directory (`TF_DATA_DIR`, else `.terraform`) of the working directory; `" + createJournalOff + "` keeps no journal. " +
					"The files hold names, element keys, times, ids and a hash identifying the account, never a secret; they cost no API call. Falls back to `" + EnvCreateJournal + "`.",
				Optional: true,
			},
		},
	}
}

type providerModel struct {
	BaseURL            types.String  `tfsdk:"base_url"`
	UserSecret         types.String  `tfsdk:"user_secret"`
	OrganizationSecret types.String  `tfsdk:"organization_secret"`
	RequestTimeout     types.String  `tfsdk:"request_timeout"`
	MaxRetries         types.Number  `tfsdk:"max_retries"`
	MaxRequestsPerSec  types.Float64 `tfsdk:"max_requests_per_second"`
	MaxConcurrent      types.Number  `tfsdk:"max_concurrent_requests"`
	CreateJournal      types.String  `tfsdk:"create_journal"`
}

func (p *openconProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}

	unknown := false
	for name, v := range map[string]types.String{"base_url": cfg.BaseURL, "user_secret": cfg.UserSecret, "organization_secret": cfg.OrganizationSecret, "request_timeout": cfg.RequestTimeout, "create_journal": cfg.CreateJournal} {
		if v.IsUnknown() {
			unknown = true
			resp.Diagnostics.AddAttributeWarning(path.Root(name), "Provider configuration not yet known",
				fmt.Sprintf("%q depends on values known only after apply; the provider will be configured once it is known.", name))
		}
	}
	if cfg.MaxRetries.IsUnknown() || cfg.MaxRequestsPerSec.IsUnknown() || cfg.MaxConcurrent.IsUnknown() {
		unknown = true
	}
	if unknown {
		return
	}

	baseURL := settingOrEnv(cfg.BaseURL, EnvBaseURL)
	userSecret := settingOrEnv(cfg.UserSecret, EnvUserSecret)
	orgSecret := settingOrEnv(cfg.OrganizationSecret, EnvOrganizationSecret)
	for _, missing := range []struct{ attr, env, value string }{
		{"base_url", EnvBaseURL, baseURL},
		{"user_secret", EnvUserSecret, userSecret},
		{"organization_secret", EnvOrganizationSecret, orgSecret},
	} {
		if missing.value == "" {
			resp.Diagnostics.AddAttributeError(path.Root(missing.attr), "Missing provider configuration",
				fmt.Sprintf("Set %q in the provider block or the %s environment variable.", missing.attr, missing.env))
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}

	// Unset settings stay zero: the client owns their defaults.
	clientCfg := opencon.Config{
		BaseURL:            baseURL,
		UserSecret:         userSecret,
		OrganizationSecret: orgSecret,
		UserAgent:          userAgent(p.version, req.TerraformVersion),
		Logger:             tflogLogger{secrets: []string{userSecret, orgSecret}},
	}
	if !cfg.RequestTimeout.IsNull() {
		// The validator has accepted it as a positive duration.
		clientCfg.RequestTimeout, _ = time.ParseDuration(cfg.RequestTimeout.ValueString())
	}
	if !cfg.MaxRetries.IsNull() {
		clientCfg.MaxRetries = new(int(int64Of(cfg.MaxRetries)))
	}
	if !cfg.MaxRequestsPerSec.IsNull() {
		clientCfg.MaxRequestsPerSecond = cfg.MaxRequestsPerSec.ValueFloat64()
	}
	if !cfg.MaxConcurrent.IsNull() {
		clientCfg.MaxConcurrentRequests = int(int64Of(cfg.MaxConcurrent))
	}
	journal, err := openCreateJournal(settingOrEnv(cfg.CreateJournal, EnvCreateJournal))
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("create_journal"), "Invalid create_journal", err.Error())
		return
	}
	clientCfg.Journal = journal
	client, err := opencon.NewClient(clientCfg)
	var badURL *opencon.BaseURLError
	switch {
	case errors.As(err, &badURL):
		resp.Diagnostics.AddAttributeError(path.Root("base_url"), "Invalid base_url", badURL.Reason)
		return
	case err != nil:
		resp.Diagnostics.AddError("Cannot create the Open Connectors client", err.Error())
		return
	}
	data := &providerData{client: client}
	resp.ResourceData = data
	resp.DataSourceData = data
	resp.EphemeralResourceData = data
	resp.ListResourceData = data
	resp.ActionData = data
}

// positiveFloat accepts numbers greater than zero.
type positiveFloat struct{}

func (positiveFloat) Description(context.Context) string               { return "must be greater than 0" }
func (v positiveFloat) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (positiveFloat) ValidateFloat64(_ context.Context, req validator.Float64Request, resp *validator.Float64Response) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if v := req.ConfigValue.ValueFloat64(); !(v > 0) || math.IsInf(v, 0) {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+req.Path.String(),
			fmt.Sprintf("%s must be a number greater than 0, such as 10; got %v. Leave it unset for no limit.", req.Path, v))
	}
}

// settingOrEnv is the provider block's value of a setting, or env's when
// the block leaves it out. A value set in the block always wins, even an
// empty one: the schema refuses it, and Configure reports it as missing
// rather than silently using the environment.
func settingOrEnv(v types.String, env string) string {
	if !v.IsNull() {
		return v.ValueString()
	}
	return os.Getenv(env)
}

// userAgent is "terraform-provider-opencon/<version> Terraform/<version>".
func userAgent(providerVersion, terraformVersion string) string {
	if providerVersion == "" {
		providerVersion = "dev"
	}
	if terraformVersion == "" {
		terraformVersion = "unknown"
	}
	return opencon.DefaultUserAgent + "/" + providerVersion + " Terraform/" + terraformVersion
}

// tflogLogger routes the client's records through tflog at their level
// (each attempt at DEBUG, each wait before a retry at INFO, surprises at
// WARN), and tells the client when nobody listens, so that it redacts
// nothing in vain. The client already redacts; masking the secrets here as
// well keeps them out even of a log line a future change forgets to redact.
type tflogLogger struct{ secrets []string }

func (tflogLogger) Enabled(ctx context.Context, level opencon.Level) bool {
	switch level {
	case opencon.LevelDebug:
		return tflog.IsDebug(ctx)
	case opencon.LevelInfo:
		return tflog.IsInfo(ctx)
	default:
		return tflog.IsWarn(ctx)
	}
}

func (l tflogLogger) Log(ctx context.Context, level opencon.Level, msg string, fields map[string]any) {
	ctx = tflog.MaskMessageStrings(ctx, l.secrets...)
	ctx = tflog.MaskAllFieldValuesStrings(ctx, l.secrets...)
	switch level {
	case opencon.LevelDebug:
		tflog.Debug(ctx, msg, fields)
	case opencon.LevelInfo:
		tflog.Info(ctx, msg, fields)
	default:
		tflog.Warn(ctx, msg, fields)
	}
}

func (p *openconProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewInstanceResource,
	}
}

func (p *openconProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewInstanceDataSource,
		NewInstancesDataSource,
		NewOAuthURLDataSource,
	}
}

func (p *openconProvider) EphemeralResources(_ context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{
		NewInstanceTokenEphemeralResource,
	}
}

func (p *openconProvider) ListResources(_ context.Context) []func() list.ListResource {
	return []func() list.ListResource{
		NewInstanceListResource,
	}
}

func (p *openconProvider) Actions(_ context.Context) []func() action.Action {
	return []func() action.Action{
		NewInstanceReauthenticateAction,
		NewEventTestAction,
	}
}
