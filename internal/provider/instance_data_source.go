package provider

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

var (
	_ datasource.DataSourceWithConfigure        = (*instanceDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*instanceDataSource)(nil)
)

// NewInstanceDataSource is the opencon_instance data source.
func NewInstanceDataSource() datasource.DataSource {
	return &instanceDataSource{}
}

type instanceDataSource struct {
	client *opencon.Client
}

func (d *instanceDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_instance"
}

func (d *instanceDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *instanceDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads one connector instance, by `id` or by exact `name` (optionally narrowed by `element_key`). " +
			"A name lookup lists the instances whose name contains it (`GET /instances?searchText=`), keeps those whose name is exactly it, " +
			"and fails unless exactly one is left; the instance is then read in full with `GET /instances/{id}`.\n\n" +
			"The result holds the instance `token` (sensitive): it is stored in the state of the configuration that reads it. " +
			"Use the `opencon_instance_token` ephemeral resource to get the token without storing it.",
		Blocks: map[string]schema.Block{"timeouts": readTimeoutBlock(ctx)},
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The instance id. Exactly one of `id` and `name` must be set.",
				Optional:            true,
				Computed:            true,
				Validators:          []validator.String{instanceIDValidator{}},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "The exact instance name. HTML tags are stripped first, as the platform does when it stores a name; " +
					"the comparison is then exact and case-sensitive. Zero or several matching instances are an error that lists their ids.",
				Optional:   true,
				Computed:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1), nameKeptByPlatform{}},
			},
			"element_key": schema.StringAttribute{
				MarkdownDescription: "With `name`: only instances of this element (for example `gmail`) match. Otherwise, the instance's element key.",
				Optional:            true,
				Computed:            true,
				Validators:          []validator.String{unpadded{}},
			},
			"element_id": schema.Int64Attribute{
				MarkdownDescription: "The numeric id of the element (`element.id`).",
				Computed:            true,
			},
			"tags": schema.SetAttribute{
				MarkdownDescription: "The instance's tags.",
				ElementType:         types.StringType,
				Computed:            true,
			},
			"valid": schema.BoolAttribute{
				MarkdownDescription: "Whether the platform considers the instance's authentication valid (`valid`).",
				Computed:            true,
			},
			"enabled": schema.BoolAttribute{
				MarkdownDescription: "Whether the instance is enabled (the inverse of `disabled`).",
				Computed:            true,
			},
			"created_date": schema.StringAttribute{
				MarkdownDescription: "When the instance was created (`createdDate`), ISO-8601 UTC.",
				Computed:            true,
			},
			"token": schema.StringAttribute{
				MarkdownDescription: "The instance token, sent as `Element <token>` in the `Authorization` header of hub calls. " +
					"Sensitive, and stored in state: prefer the `opencon_instance_token` ephemeral resource where the CLI supports it.",
				Computed:  true,
				Sensitive: true,
			},
			"external_authentication": schema.StringAttribute{
				MarkdownDescription: "`initial` when the instance was created from a refresh token, else `none` (`externalAuthentication`).",
				Computed:            true,
			},
			"event_notification_enabled": schema.BoolAttribute{
				MarkdownDescription: "`event.notification.enabled`; `false` when the key is absent.",
				Computed:            true,
			},
			"event_notification_callback_url": schema.StringAttribute{
				MarkdownDescription: "`event.notification.callback.url`; null when unset.",
				Computed:            true,
			},
			"event_poller_refresh_interval": schema.NumberAttribute{
				MarkdownDescription: "`event.poller.refresh_interval`, in minutes; null when unset.",
				Computed:            true,
			},
			"polling_resource": pollingResourceAttribute(),
			"configuration": schema.MapAttribute{
				MarkdownDescription: "The instance's configuration, minus everything secret: null values, values the platform masks as `********`, " +
					"keys whose names mark them secret (`oauth.api.key`, `oauth.api.secret`, `oauth.user.token`, `*password`, `*.secret`, `*token`…) " +
					"and keys the element declares as `PASSWORD`. Includes the element's defaults the platform fills in, and the raw `event.poller.configuration` JSON.",
				ElementType: types.StringType,
				Computed:    true,
			},
		},
	}
}

// readTimeoutBlock is a data source's `timeouts` block.
func readTimeoutBlock(ctx context.Context) schema.Block {
	return timeouts.BlockWithOpts(ctx, timeouts.Opts{
		ReadDescription: fmt.Sprintf("How long the read may take, as a Go duration such as `30s` or `2m`, every request and retry included. Defaults to `%s`.", defaultDataSourceReadTimeout),
	})
}

func (d *instanceDataSource) ConfigValidators(_ context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("name")),
		datasourcevalidator.Conflicting(path.MatchRoot("id"), path.MatchRoot("element_key")),
	}
}

func (d *instanceDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var cfg instanceDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !clientReady(d.client, &resp.Diagnostics) {
		return
	}
	client := d.client
	ctx, cancel := withTimeout(ctx, cfg.Timeouts.Read, defaultDataSourceReadTimeout, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}

	var id int64
	if !cfg.ID.IsNull() {
		n, ok := instanceIDOf(cfg.ID, &resp.Diagnostics)
		if !ok {
			return
		}
		id = n
	} else {
		n, diags := findInstanceByName(ctx, client, cfg.Name.ValueString(), cfg.ElementKey.ValueString())
		resp.Diagnostics.Append(diags...)
		if resp.Diagnostics.HasError() {
			return
		}
		id = n
	}

	inst, err := client.GetInstance(ctx, id)
	if errors.Is(err, opencon.ErrNotFound) {
		resp.Diagnostics.AddError("Instance not found", fmt.Sprintf("No instance with id %d exists.", id))
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot read the instance", err.Error())
		return
	}

	var secretKeys map[string]bool
	if inst.Element.Key != "" {
		entries, err := client.ListElementConfiguration(ctx, inst.Element.Key)
		if err != nil {
			resp.Diagnostics.AddWarning("Element configuration unavailable",
				fmt.Sprintf("Reading the configuration keys of element %q failed (%s): `configuration` leaves out masked values and keys secret by name, "+
					"but cannot leave out other PASSWORD-typed keys the platform might return in clear.", inst.Element.Key, err))
		} else {
			secretKeys = passwordKeys(entries)
		}
	}

	state := cfg
	resp.Diagnostics.Append(state.fill(ctx, inst, secretKeys)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// findInstanceByName returns the id of the one instance named exactly name
// (after HTML stripping), of element elementKey when that is not empty.
func findInstanceByName(ctx context.Context, client *opencon.Client, name, elementKey string) (int64, diag.Diagnostics) {
	var diags diag.Diagnostics
	want := sanitizeName(name)
	if want == "" {
		diags.AddAttributeError(path.Root("name"), "Empty instance name",
			fmt.Sprintf("%q is empty once HTML tags are stripped, and the platform stores no such name.", name))
		return 0, diags
	}
	named := func(it *opencon.Instance) bool { return it.Name == want }
	// An abridged list item lacks the element: read it to learn it.
	elementUnknown := func(it *opencon.Instance) bool { return elementKey != "" && it.Element.Key == "" }
	list, err := listInstances(ctx, client, opencon.ListInstancesOptions{SearchText: want}, named, elementUnknown)
	if err != nil {
		diags.AddError("Cannot list instances", err.Error())
		return 0, diags
	}
	var ids []int64
	for _, it := range list {
		if elementKey == "" || it.Element.Key == elementKey {
			ids = append(ids, it.ID)
		}
	}

	what := fmt.Sprintf("named %q", want)
	if elementKey != "" {
		what += fmt.Sprintf(" of element %q", elementKey)
	}
	switch len(ids) {
	case 1:
		return ids[0], diags
	case 0:
		diags.AddAttributeError(path.Root("name"), "No matching instance",
			fmt.Sprintf("Found 0 instances %s. Names match exactly and case-sensitively.", what))
	default:
		diags.AddAttributeError(path.Root("name"), "Several matching instances",
			fmt.Sprintf("Found %d instances %s: ids %s. Look the instance up by id instead, or narrow the search with element_key.",
				len(ids), what, joinIDs(ids)))
	}
	return 0, diags
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ", ")
}
