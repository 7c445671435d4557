package provider

import (
	"context"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

var _ datasource.DataSourceWithConfigure = (*instancesDataSource)(nil)

// NewInstancesDataSource is the opencon_instances data source.
func NewInstancesDataSource() datasource.DataSource {
	return &instancesDataSource{}
}

type instancesDataSource struct {
	client *opencon.Client
}

type instancesDataSourceModel struct {
	Tags         types.Set              `tfsdk:"tags"`
	NameContains types.String           `tfsdk:"name_contains"`
	Instances    []instanceSummaryModel `tfsdk:"instances"`
	Timeouts     timeouts.Value         `tfsdk:"timeouts"`
}

type instanceSummaryModel struct {
	ID          types.String `tfsdk:"id"`
	Name        types.String `tfsdk:"name"`
	ElementKey  types.String `tfsdk:"element_key"`
	Tags        types.Set    `tfsdk:"tags"`
	Valid       types.Bool   `tfsdk:"valid"`
	Enabled     types.Bool   `tfsdk:"enabled"`
	CreatedDate types.String `tfsdk:"created_date"`
}

func (d *instancesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_instances"
}

func (d *instancesDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *instancesDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists connector instances (`GET /instances`), optionally filtered by tags and by part of the name. " +
			"No match is an empty list, not an error. A list item the platform returns abridged (without `disabled` or the element) is read in full " +
			"with `GET /instances/{id}`. Tokens are never exposed here: read one with the `opencon_instance` data source " +
			"or the `opencon_instance_token` ephemeral resource.",
		Blocks: map[string]schema.Block{"timeouts": readTimeoutBlock(ctx)},
		Attributes: map[string]schema.Attribute{
			"tags": schema.SetAttribute{
				MarkdownDescription: "Only instances that carry every one of these tags (sent as `tags[]`).",
				ElementType:         types.StringType,
				Optional:            true,
				Validators:          []validator.Set{setvalidator.NoNullValues(), setvalidator.ValueStringsAre(stringvalidator.LengthAtLeast(1))},
			},
			"name_contains": schema.StringAttribute{
				MarkdownDescription: "Only instances whose name contains this text, ignoring case (sent as `searchText`).",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"instances": schema.ListNestedAttribute{
				MarkdownDescription: "The matching instances, sorted by numeric id.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"id":           schema.StringAttribute{MarkdownDescription: "The instance id.", Computed: true},
						"name":         schema.StringAttribute{MarkdownDescription: "The instance name.", Computed: true},
						"element_key":  schema.StringAttribute{MarkdownDescription: "The element key (`element.key`).", Computed: true},
						"tags":         schema.SetAttribute{MarkdownDescription: "The instance's tags.", ElementType: types.StringType, Computed: true},
						"valid":        schema.BoolAttribute{MarkdownDescription: "Whether the instance's authentication is valid (`valid`).", Computed: true},
						"enabled":      schema.BoolAttribute{MarkdownDescription: "Whether the instance is enabled (the inverse of `disabled`).", Computed: true},
						"created_date": schema.StringAttribute{MarkdownDescription: "When the instance was created (`createdDate`), ISO-8601 UTC.", Computed: true},
					},
				},
			},
		},
	}
}

func (d *instancesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var cfg instancesDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() || !clientReady(d.client, &resp.Diagnostics) {
		return
	}
	ctx, cancel := withTimeout(ctx, cfg.Timeouts.Read, defaultDataSourceReadTimeout, &resp.Diagnostics)
	defer cancel()
	var tags []string
	if !cfg.Tags.IsNull() {
		resp.Diagnostics.Append(cfg.Tags.ElementsAs(ctx, &tags, false)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	search := cfg.NameContains.ValueString()

	// The platform filters already; filtering again keeps the documented
	// meaning (every tag, case-insensitive substring) whatever it does.
	matches := func(it *opencon.Instance) bool {
		return hasEveryTag(it.Tags, tags) && strings.Contains(strings.ToLower(it.Name), strings.ToLower(search))
	}
	list, err := listInstances(ctx, d.client, opencon.ListInstancesOptions{Tags: tags, SearchText: search}, matches, isAbridged)
	if err != nil {
		resp.Diagnostics.AddError("Cannot list instances", err.Error())
		return
	}

	out := make([]instanceSummaryModel, 0, len(list))
	for _, inst := range list {
		out = append(out, instanceSummaryModel{
			ID:          types.StringValue(strconv.FormatInt(inst.ID, 10)),
			Name:        types.StringValue(inst.Name),
			ElementKey:  types.StringValue(inst.Element.Key),
			Tags:        stringSet(inst.Tags),
			Valid:       types.BoolValue(inst.Valid),
			Enabled:     types.BoolValue(!inst.Disabled),
			CreatedDate: types.StringValue(inst.CreatedDate),
		})
	}
	cfg.Instances = out
	resp.Diagnostics.Append(resp.State.Set(ctx, &cfg)...)
}

func hasEveryTag(have, want []string) bool {
	set := make(map[string]bool, len(have))
	for _, h := range have {
		set[h] = true
	}
	for _, w := range want {
		if !set[w] {
			return false
		}
	}
	return true
}
