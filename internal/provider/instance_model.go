package provider

import (
	"context"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// instanceModel is the state and plan of opencon_instance.
type instanceModel struct {
	ID                                     types.String   `tfsdk:"id"`
	ElementKey                             types.String   `tfsdk:"element_key"`
	Name                                   types.String   `tfsdk:"name"`
	Tags                                   types.Set      `tfsdk:"tags"`
	AuthorizationCode                      types.String   `tfsdk:"authorization_code"`
	AuthorizationCodeWO                    types.String   `tfsdk:"authorization_code_wo"`
	AuthorizationCodeWOVersion             types.Number   `tfsdk:"authorization_code_wo_version"`
	OAuthRefreshToken                      types.String   `tfsdk:"oauth_refresh_token"`
	OAuthRefreshTokenWO                    types.String   `tfsdk:"oauth_refresh_token_wo"`
	OAuthRefreshTokenWOVersion             types.Number   `tfsdk:"oauth_refresh_token_wo_version"`
	OAuthAPIKey                            types.String   `tfsdk:"oauth_api_key"`
	OAuthAPISecret                         types.String   `tfsdk:"oauth_api_secret"`
	OAuthAPISecretWO                       types.String   `tfsdk:"oauth_api_secret_wo"`
	OAuthAPISecretWOVersion                types.Number   `tfsdk:"oauth_api_secret_wo_version"`
	OAuthCallbackURL                       types.String   `tfsdk:"oauth_callback_url"`
	EventNotificationEnabled               types.Bool     `tfsdk:"event_notification_enabled"`
	EventNotificationCallbackURL           types.String   `tfsdk:"event_notification_callback_url"`
	EventNotificationSignatureKey          types.String   `tfsdk:"event_notification_signature_key"`
	EventNotificationSignatureKeyWO        types.String   `tfsdk:"event_notification_signature_key_wo"`
	EventNotificationSignatureKeyWOVersion types.Number   `tfsdk:"event_notification_signature_key_wo_version"`
	EventPollerRefreshInterval             types.Number   `tfsdk:"event_poller_refresh_interval"`
	PollingResources                       types.Set      `tfsdk:"polling_resource"`
	Configuration                          types.Map      `tfsdk:"configuration"`
	SensitiveConfiguration                 types.Map      `tfsdk:"sensitive_configuration"`
	Enabled                                types.Bool     `tfsdk:"enabled"`
	Token                                  types.String   `tfsdk:"token"`
	Valid                                  types.Bool     `tfsdk:"valid"`
	CreatedDate                            types.String   `tfsdk:"created_date"`
	ElementID                              types.Int64    `tfsdk:"element_id"`
	ExternalAuthentication                 types.String   `tfsdk:"external_authentication"`
	Timeouts                               timeouts.Value `tfsdk:"timeouts"`
}

// Integer arguments are number attributes with a wholeNumber validator
// rather than int64 attributes, whose fractional values the framework
// refuses with a garbled "Value %!s(*big.Float=1.5) is not an integer"
// before any validator runs. Both are `number` to Terraform, so state is the
// same. These convert the validated values.

// int64Of is the value of a known whole number n.
func int64Of(n types.Number) int64 {
	i, _ := n.ValueBigFloat().Int64()
	return i
}

// int64PointerOf is n as a pointer, nil when n is null or unknown.
func int64PointerOf(n types.Number) *int64 {
	if n.IsNull() || n.IsUnknown() {
		return nil
	}
	i := int64Of(n)
	return &i
}

// numberOf is i as a number value.
func numberOf(i int64) types.Number {
	return types.NumberValue(new(big.Float).SetInt64(i))
}

// numberPointerOf is p as a number value, null when p is nil.
func numberPointerOf(p *int64) types.Number {
	if p == nil {
		return types.NumberNull()
	}
	return numberOf(*p)
}

// typedKeys maps each configuration key a typed argument owns to that argument,
// so that `configuration` can name the argument to use instead.
var typedKeys = map[string]string{
	opencon.KeyOAuthAPIKey:                   "oauth_api_key",
	opencon.KeyOAuthAPISecret:                "oauth_api_secret",
	opencon.KeyOAuthCallbackURL:              "oauth_callback_url",
	opencon.KeyOAuthUserRefreshToken:         "oauth_refresh_token",
	opencon.KeyEventNotificationEnabled:      "event_notification_enabled",
	opencon.KeyEventNotificationCallbackURL:  "event_notification_callback_url",
	opencon.KeyEventNotificationSignatureKey: "event_notification_signature_key",
	opencon.KeyEventPollerRefreshInterval:    "event_poller_refresh_interval",
	opencon.KeyEventPollerConfiguration:      "polling_resource",
}

func stringMap(ctx context.Context, m types.Map) (map[string]string, diag.Diagnostics) {
	if m.IsNull() || m.IsUnknown() {
		return map[string]string{}, nil
	}
	out := map[string]string{}
	diags := m.ElementsAs(ctx, &out, false)
	return out, diags
}

// sanitizeName does what the platform does to names: strip HTML tags.
func sanitizeName(name string) string { return opencon.SanitizeName(name) }

// parseInstanceID reads an instance id, a positive whole number.
func parseInstanceID(id string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(id), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("instance ids are positive whole numbers such as 12345, not %q", id)
	}
	return n, nil
}

// instanceID is the numeric id of the instance in state.
func (m *instanceModel) instanceID(diags *diag.Diagnostics) (int64, bool) {
	return instanceIDOf(m.ID, diags)
}

// instanceIDOf is the numeric id an `id` attribute holds; a bad one is an
// error on that attribute.
func instanceIDOf(attribute types.String, diags *diag.Diagnostics) (int64, bool) {
	id, err := parseInstanceID(attribute.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("id"), "Invalid instance id", err.Error())
		return 0, false
	}
	return id, true
}
