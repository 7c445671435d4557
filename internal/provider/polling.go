package provider

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// pollingResourceModel is one polling_resource block: one entry of
// event.poller.configuration.
type pollingResourceModel struct {
	Name                  types.String `tfsdk:"name"`
	URL                   types.String `tfsdk:"url"`
	IDField               types.String `tfsdk:"id_field"`
	FilterByUpdatedDate   types.Bool   `tfsdk:"filter_by_updated_date"`
	PageSize              types.Int64  `tfsdk:"page_size"`
	PollDelay             types.Int64  `tfsdk:"poll_delay"`
	CreatedCheckTolerance types.Int64  `tfsdk:"created_check_tolerance"`
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
	"page_size":               types.Int64Type,
	"poll_delay":              types.Int64Type,
	"created_check_tolerance": types.Int64Type,
	"dates":                   types.ObjectType{AttrTypes: datesAttrTypes},
}

var pollingResourceObjectType = types.ObjectType{AttrTypes: pollingResourceAttrTypes}

// pollerResource is the JSON form of one entry of event.poller.configuration
// (reference section 5.2). Unknown keys the platform may add are ignored.
type pollerResource struct {
	URL                   string              `json:"url"`
	IDField               *string             `json:"idField,omitempty"`
	FilterByUpdatedDate   *bool               `json:"filterByUpdatedDate,omitempty"`
	PageSize              *int64              `json:"pageSize,omitempty"`
	PollDelay             *int64              `json:"pollDelay,omitempty"`
	CreatedCheckTolerance *int64              `json:"createdCheckTolerance,omitempty"`
	DatesConfiguration    *datesConfiguration `json:"datesConfiguration,omitempty"`
}

type datesConfiguration struct {
	UpdatedDateField    *string `json:"updatedDateField,omitempty"`
	UpdatedDateFormat   *string `json:"updatedDateFormat,omitempty"`
	UpdatedDateTimezone *string `json:"updatedDateTimezone,omitempty"`
	CreatedDateField    *string `json:"createdDateField,omitempty"`
	CreatedDateFormat   *string `json:"createdDateFormat,omitempty"`
	CreatedDateTimezone *string `json:"createdDateTimezone,omitempty"`
}

// pollerConfiguration maps a resource name (e.g. "changed-messages") to its settings.
type pollerConfiguration map[string]pollerResource

func pollerConfigurationFromModels(models []pollingResourceModel) pollerConfiguration {
	out := make(pollerConfiguration, len(models))
	for _, m := range models {
		r := pollerResource{
			URL:                   m.URL.ValueString(),
			IDField:               m.IDField.ValueStringPointer(),
			FilterByUpdatedDate:   m.FilterByUpdatedDate.ValueBoolPointer(),
			PageSize:              m.PageSize.ValueInt64Pointer(),
			PollDelay:             m.PollDelay.ValueInt64Pointer(),
			CreatedCheckTolerance: m.CreatedCheckTolerance.ValueInt64Pointer(),
		}
		if d := m.Dates; d != nil {
			r.DatesConfiguration = &datesConfiguration{
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

// parsePollerConfiguration reads the JSON string the platform echoes back.
func parsePollerConfiguration(raw string) (pollerConfiguration, error) {
	var pc pollerConfiguration
	if err := json.Unmarshal([]byte(raw), &pc); err != nil {
		return nil, fmt.Errorf("event.poller.configuration is not a JSON object of resources: %w", err)
	}
	return pc, nil
}

// models returns the blocks sorted by name, so that the same configuration
// always gives the same state.
func (pc pollerConfiguration) models() []pollingResourceModel {
	names := make([]string, 0, len(pc))
	for n := range pc {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]pollingResourceModel, 0, len(pc))
	for _, n := range names {
		r := pc[n]
		m := pollingResourceModel{
			Name:                  types.StringValue(n),
			URL:                   types.StringValue(r.URL),
			IDField:               types.StringPointerValue(r.IDField),
			FilterByUpdatedDate:   types.BoolPointerValue(r.FilterByUpdatedDate),
			PageSize:              types.Int64PointerValue(r.PageSize),
			PollDelay:             types.Int64PointerValue(r.PollDelay),
			CreatedCheckTolerance: types.Int64PointerValue(r.CreatedCheckTolerance),
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

// sameMeaning reports whether two poller configurations poll the same way:
// the platform's documented defaults (filterByUpdatedDate true, pollDelay 0)
// count as set, and an empty datesConfiguration as absent.
func (pc pollerConfiguration) sameMeaning(other pollerConfiguration) bool {
	return reflect.DeepEqual(pc.normalized(), other.normalized())
}

func (pc pollerConfiguration) normalized() pollerConfiguration {
	out := make(pollerConfiguration, len(pc))
	for name, r := range pc {
		if r.FilterByUpdatedDate == nil {
			t := true
			r.FilterByUpdatedDate = &t
		}
		if r.PollDelay == nil {
			var zero int64
			r.PollDelay = &zero
		}
		if r.IDField == nil {
			empty := ""
			r.IDField = &empty
		}
		if d := r.DatesConfiguration; d != nil && *d == (datesConfiguration{}) {
			r.DatesConfiguration = nil
		}
		out[name] = r
	}
	return out
}
