package provider

import (
	"context"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// instanceDataSourceModel is the opencon_instance data source.
type instanceDataSourceModel struct {
	ID                           types.String   `tfsdk:"id"`
	Name                         types.String   `tfsdk:"name"`
	ElementKey                   types.String   `tfsdk:"element_key"`
	ElementID                    types.Int64    `tfsdk:"element_id"`
	Tags                         types.Set      `tfsdk:"tags"`
	Valid                        types.Bool     `tfsdk:"valid"`
	Enabled                      types.Bool     `tfsdk:"enabled"`
	CreatedDate                  types.String   `tfsdk:"created_date"`
	Token                        types.String   `tfsdk:"token"`
	ExternalAuthentication       types.String   `tfsdk:"external_authentication"`
	EventNotificationEnabled     types.Bool     `tfsdk:"event_notification_enabled"`
	EventNotificationCallbackURL types.String   `tfsdk:"event_notification_callback_url"`
	EventPollerRefreshInterval   types.Number   `tfsdk:"event_poller_refresh_interval"`
	PollingResources             types.List     `tfsdk:"polling_resource"`
	Configuration                types.Map      `tfsdk:"configuration"`
	Timeouts                     timeouts.Value `tfsdk:"timeouts"`
}

// fill sets every attribute from the instance. The name keeps the form the
// user looked it up with when it differs only by the HTML tags the platform
// strips, so that the configured value is preserved.
func (m *instanceDataSourceModel) fill(ctx context.Context, inst *opencon.Instance, passwordKeys map[string]bool) diag.Diagnostics {
	var diags diag.Diagnostics
	m.ID = types.StringValue(strconv.FormatInt(inst.ID, 10))
	if m.Name.IsNull() || m.Name.IsUnknown() || sanitizeName(m.Name.ValueString()) != inst.Name {
		m.Name = types.StringValue(inst.Name)
	}
	m.ElementKey = types.StringValue(inst.Element.Key)
	m.ElementID = types.Int64Value(elementID(inst))
	m.Tags = stringSet(inst.Tags)
	m.Valid = types.BoolValue(inst.Valid)
	m.Enabled = types.BoolValue(!inst.Disabled)
	m.CreatedDate = types.StringValue(inst.CreatedDate)
	m.Token = types.StringValue(inst.Token)
	m.ExternalAuthentication = types.StringValue(inst.ExternalAuthentication)

	var d diag.Diagnostics
	m.EventNotificationEnabled, m.EventNotificationCallbackURL, m.EventPollerRefreshInterval, d = instanceEventSettings(inst)
	diags.Append(d...)
	m.PollingResources, d = instancePollingResources(ctx, inst)
	diags.Append(d...)
	m.Configuration = publicConfiguration(inst, passwordKeys)
	return diags
}
