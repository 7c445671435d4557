package provider

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	datasourceschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// polling_resource, in one place: the resource's blocks and the data
// sources' attribute, their model, the refusal of two blocks with one name,
// and the conversion to and from the client's opencon.PollerConfiguration,
// which owns the wire form and the platform's defaults.

// pollingResourceModel is one polling_resource block: one entry of
// event.poller.configuration.
type pollingResourceModel struct {
	Name                  types.String `tfsdk:"name"`
	URL                   types.String `tfsdk:"url"`
	IDField               types.String `tfsdk:"id_field"`
	FilterByUpdatedDate   types.Bool   `tfsdk:"filter_by_updated_date"`
	PageSize              types.Number `tfsdk:"page_size"`
	PollDelay             types.Number `tfsdk:"poll_delay"`
	CreatedCheckTolerance types.Number `tfsdk:"created_check_tolerance"`
	Dates                 *datesModel  `tfsdk:"dates"`
}

type datesModel struct {
	UpdatedDateField    types.String `tfsdk:"updated_date_field"`
	UpdatedDateFormat   types.String `tfsdk:"updated_date_format"`
	UpdatedDateTimezone types.String `tfsdk:"updated_date_timezone"`
	CreatedDateField    types.String `tfsdk:"created_date_field"`
	CreatedDateFormat   types.String `tfsdk:"created_date_format"`
	CreatedDateTimezone types.String `tfsdk:"created_date_timezone"`
}

var datesAttrTypes = map[string]attr.Type{
	"updated_date_field":    types.StringType,
	"updated_date_format":   types.StringType,
	"updated_date_timezone": types.StringType,
	"created_date_field":    types.StringType,
	"created_date_format":   types.StringType,
	"created_date_timezone": types.StringType,
}

var pollingResourceAttrTypes = map[string]attr.Type{
	"name":                    types.StringType,
	"url":                     types.StringType,
	"id_field":                types.StringType,
	"filter_by_updated_date":  types.BoolType,
	"page_size":               types.NumberType,
	"poll_delay":              types.NumberType,
	"created_check_tolerance": types.NumberType,
	"dates":                   types.ObjectType{AttrTypes: datesAttrTypes},
}

var pollingResourceObjectType = types.ObjectType{AttrTypes: pollingResourceAttrTypes}

// pollingResourceBlock is the resource's polling_resource blocks.
func pollingResourceBlock() schema.SetNestedBlock {
	optionalText := func(desc string) schema.StringAttribute {
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
					Validators:          []validator.String{notBlank()},
				},
				"url": schema.StringAttribute{
					MarkdownDescription: "The hub URL to poll (`url`), for example `/hubs/general/changed-messages`; may hold date placeholders such as `${gmtDate:yyyy-MM-dd'T'HH:mm:ss'Z'}`, written `$${...}` in HCL so that Terraform leaves them alone.",
					Required:            true,
					Validators:          []validator.String{notBlank()},
				},
				"id_field":                optionalText("The JSON path of the object's id (`idField`), for example `id`; may be empty."),
				"filter_by_updated_date":  schema.BoolAttribute{MarkdownDescription: "`filterByUpdatedDate`; the platform's default is `true`.", Optional: true},
				"page_size":               schema.NumberAttribute{MarkdownDescription: "`pageSize`: how many objects one poll reads, a whole number from 1 to 2147483647.", Optional: true, Validators: []validator.Number{wholeNumber(1, maxPlatformInt)}},
				"poll_delay":              schema.NumberAttribute{MarkdownDescription: "`pollDelay`: whole seconds subtracted from the last poll date, from 0 to 2147483647; the platform's default is 0.", Optional: true, Validators: []validator.Number{wholeNumber(0, maxPlatformInt)}},
				"created_check_tolerance": schema.NumberAttribute{MarkdownDescription: "`createdCheckTolerance`: whole seconds, from 0 to 2147483647, within which an object's updated and created dates make it CREATED rather than UPDATED.", Optional: true, Validators: []validator.Number{wholeNumber(0, maxPlatformInt)}},
			},
			Blocks: map[string]schema.Block{
				"dates": schema.SingleNestedBlock{
					MarkdownDescription: "`datesConfiguration`: where the objects keep their dates and in which format (Java `SimpleDateFormat`) and time zone. Without it polling uses UTC.",
					Attributes: map[string]schema.Attribute{
						"updated_date_field":    optionalText("`updatedDateField`."),
						"updated_date_format":   optionalText("`updatedDateFormat`, for example `yyyy-MM-dd'T'HH:mm:ss'Z'`."),
						"updated_date_timezone": optionalText("`updatedDateTimezone`, for example `GMT` or `America/New_York`."),
						"created_date_field":    optionalText("`createdDateField`."),
						"created_date_format":   optionalText("`createdDateFormat`."),
						"created_date_timezone": optionalText("`createdDateTimezone`."),
					},
				},
			},
		},
	}
}

// pollingResourceAttribute is the computed data-source form of the
// resource's polling_resource blocks: same fields, parsed from
// event.poller.configuration.
func pollingResourceAttribute() datasourceschema.ListNestedAttribute {
	computedString := func(desc string) datasourceschema.StringAttribute {
		return datasourceschema.StringAttribute{MarkdownDescription: desc, Computed: true}
	}
	return datasourceschema.ListNestedAttribute{
		MarkdownDescription: "The resources the platform polls, parsed from `event.poller.configuration`, sorted by `name`. " +
			"Same fields as the `polling_resource` blocks of the `opencon_instance` resource; a field the platform does not hold is null.",
		Computed: true,
		NestedObject: datasourceschema.NestedAttributeObject{
			Attributes: map[string]datasourceschema.Attribute{
				"name":                    computedString("The resource's key in `event.poller.configuration`, for example `changed-messages`."),
				"url":                     computedString("The hub URL polled (`url`)."),
				"id_field":                computedString("`idField`."),
				"filter_by_updated_date":  datasourceschema.BoolAttribute{MarkdownDescription: "`filterByUpdatedDate`.", Computed: true},
				"page_size":               datasourceschema.NumberAttribute{MarkdownDescription: "`pageSize`.", Computed: true},
				"poll_delay":              datasourceschema.NumberAttribute{MarkdownDescription: "`pollDelay`.", Computed: true},
				"created_check_tolerance": datasourceschema.NumberAttribute{MarkdownDescription: "`createdCheckTolerance`.", Computed: true},
				"dates": datasourceschema.SingleNestedAttribute{
					MarkdownDescription: "`datesConfiguration`; null when the resource has none.",
					Computed:            true,
					Attributes: map[string]datasourceschema.Attribute{
						"updated_date_field":    computedString("`updatedDateField`."),
						"updated_date_format":   computedString("`updatedDateFormat`."),
						"updated_date_timezone": computedString("`updatedDateTimezone`."),
						"created_date_field":    computedString("`createdDateField`."),
						"created_date_format":   computedString("`createdDateFormat`."),
						"created_date_timezone": computedString("`createdDateTimezone`."),
					},
				},
			},
		},
	}
}

// uniquePollingNames refuses two polling_resource blocks with one name: the
// poller configuration is keyed by name, so one would silently win.
type uniquePollingNames struct{}

func (uniquePollingNames) Description(context.Context) string {
	return "each polling_resource must have its own name"
}
func (v uniquePollingNames) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v uniquePollingNames) ValidateSet(ctx context.Context, req validator.SetRequest, resp *validator.SetResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	seen := map[string]bool{}
	for _, el := range req.ConfigValue.Elements() {
		obj, ok := el.(types.Object)
		if !ok || obj.IsUnknown() {
			continue
		}
		name, ok := obj.Attributes()["name"].(types.String)
		if !ok || name.IsNull() || name.IsUnknown() {
			continue
		}
		if seen[name.ValueString()] {
			resp.Diagnostics.AddAttributeError(req.Path, "Duplicate polling_resource name",
				fmt.Sprintf("Two polling_resource blocks are named %q; each resource of event.poller.configuration needs its own name.", name.ValueString()))
		}
		seen[name.ValueString()] = true
	}
}

// pollingBlocks decodes the polling_resource blocks of a plan or state;
// null or unknown is none.
func pollingBlocks(ctx context.Context, blocks types.Set) ([]pollingResourceModel, diag.Diagnostics) {
	if blocks.IsNull() || blocks.IsUnknown() {
		return nil, nil
	}
	var out []pollingResourceModel
	diags := blocks.ElementsAs(ctx, &out, false)
	return out, diags
}

// pollerConfigurationFromModels is what the blocks ask the platform to poll.
func pollerConfigurationFromModels(models []pollingResourceModel) opencon.PollerConfiguration {
	out := make(opencon.PollerConfiguration, len(models))
	for _, m := range models {
		r := opencon.PollerResource{
			URL:                   m.URL.ValueString(),
			IDField:               m.IDField.ValueStringPointer(),
			FilterByUpdatedDate:   m.FilterByUpdatedDate.ValueBoolPointer(),
			PageSize:              int64PointerOf(m.PageSize),
			PollDelay:             int64PointerOf(m.PollDelay),
			CreatedCheckTolerance: int64PointerOf(m.CreatedCheckTolerance),
		}
		if d := m.Dates; d != nil {
			r.DatesConfiguration = &opencon.PollerDates{
				UpdatedDateField:    d.UpdatedDateField.ValueStringPointer(),
				UpdatedDateFormat:   d.UpdatedDateFormat.ValueStringPointer(),
				UpdatedDateTimezone: d.UpdatedDateTimezone.ValueStringPointer(),
				CreatedDateField:    d.CreatedDateField.ValueStringPointer(),
				CreatedDateFormat:   d.CreatedDateFormat.ValueStringPointer(),
				CreatedDateTimezone: d.CreatedDateTimezone.ValueStringPointer(),
			}
		}
		out[m.Name.ValueString()] = r
	}
	return out
}

// pollingResourceModels is the configuration as blocks, sorted by name, so
// that the same configuration always gives the same state.
func pollingResourceModels(pc opencon.PollerConfiguration) []pollingResourceModel {
	out := make([]pollingResourceModel, 0, len(pc))
	for _, n := range slices.Sorted(maps.Keys(pc)) {
		r := pc[n]
		m := pollingResourceModel{
			Name:                  types.StringValue(n),
			URL:                   types.StringValue(r.URL),
			IDField:               types.StringPointerValue(r.IDField),
			FilterByUpdatedDate:   types.BoolPointerValue(r.FilterByUpdatedDate),
			PageSize:              numberPointerOf(r.PageSize),
			PollDelay:             numberPointerOf(r.PollDelay),
			CreatedCheckTolerance: numberPointerOf(r.CreatedCheckTolerance),
		}
		if d := r.DatesConfiguration; d != nil {
			m.Dates = &datesModel{
				UpdatedDateField:    types.StringPointerValue(d.UpdatedDateField),
				UpdatedDateFormat:   types.StringPointerValue(d.UpdatedDateFormat),
				UpdatedDateTimezone: types.StringPointerValue(d.UpdatedDateTimezone),
				CreatedDateField:    types.StringPointerValue(d.CreatedDateField),
				CreatedDateFormat:   types.StringPointerValue(d.CreatedDateFormat),
				CreatedDateTimezone: types.StringPointerValue(d.CreatedDateTimezone),
			}
		}
		out = append(out, m)
	}
	return out
}
