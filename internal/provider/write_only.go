package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"

	"github.com/hashicorp/terraform-plugin-framework-validators/numbervalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// privateWriteOnlyHashesKey holds, in private state, a SHA-256 of each
// write-only value last sent, so that a changed value is noticed without
// the value itself ever being stored.
const privateWriteOnlyHashesKey = "write_only_hashes"

type privateGetter interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
}

type privateSetter interface {
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

// writeOnlyActionArgument describes a secret argument of an action.
// Terraform keeps a write-only argument's ephemeral value out of the plan,
// but not a literal or a plain variable.
const writeOnlyActionArgument = "Write-only: accepts ephemeral values, such as an `ephemeral = true` variable, which never reach plan or state. " +
	"A literal or a non-ephemeral variable is kept in a saved plan."

// writeOnlyArg is one sensitive argument with a write-only twin,
// <plain>_wo, that is sent on create and whenever <plain>_wo_version
// changes. The rows of writeOnlyArgs drive the twin's and its version's
// schema, reading the twin from the configuration, the configuration key
// both forms are sent as, what a read keeps from prior state, and the twin's
// hash in private state: another secret costs one row and its model fields.
type writeOnlyArg struct {
	// plain is the sensitive argument, stored in state.
	plain string
	// key is the configuration key both forms are sent as; empty for the
	// authorization code, which is sent as providerData.code.
	key string
	// readBack says that the platform returns key (masked), so that a read
	// notices the key was removed on the server. Without it a read keeps the
	// prior value: the code is spent, and the platform replaces the refresh
	// token it was given.
	readBack bool
	// excludes names other plain arguments that neither form of this one
	// may be set with, nor their twins.
	excludes []string
	// fields are the plain argument, the twin and the twin's version in m.
	fields func(m *instanceModel) (plain, writeOnly *types.String, version *types.Number)
}

var (
	authorizationCodeArg = writeOnlyArg{
		plain:    "authorization_code",
		excludes: []string{"oauth_refresh_token"},
		fields: func(m *instanceModel) (*types.String, *types.String, *types.Number) {
			return &m.AuthorizationCode, &m.AuthorizationCodeWO, &m.AuthorizationCodeWOVersion
		},
	}
	refreshTokenArg = writeOnlyArg{
		plain: "oauth_refresh_token",
		key:   opencon.KeyOAuthUserRefreshToken,
		fields: func(m *instanceModel) (*types.String, *types.String, *types.Number) {
			return &m.OAuthRefreshToken, &m.OAuthRefreshTokenWO, &m.OAuthRefreshTokenWOVersion
		},
	}
	apiSecretArg = writeOnlyArg{
		plain:    "oauth_api_secret",
		key:      opencon.KeyOAuthAPISecret,
		readBack: true,
		fields: func(m *instanceModel) (*types.String, *types.String, *types.Number) {
			return &m.OAuthAPISecret, &m.OAuthAPISecretWO, &m.OAuthAPISecretWOVersion
		},
	}
	signatureKeyArg = writeOnlyArg{
		plain:    "event_notification_signature_key",
		key:      opencon.KeyEventNotificationSignatureKey,
		readBack: true,
		fields: func(m *instanceModel) (*types.String, *types.String, *types.Number) {
			return &m.EventNotificationSignatureKey, &m.EventNotificationSignatureKeyWO, &m.EventNotificationSignatureKeyWOVersion
		},
	}
)

// writeOnlyArgs is every argument with a write-only twin. A row left out
// here has no twin in the schema, which the model's fields then fail on.
var writeOnlyArgs = []writeOnlyArg{authorizationCodeArg, refreshTokenArg, apiSecretArg, signatureKeyArg}

// attribute is the write-only twin, <plain>_wo.
func (a writeOnlyArg) attribute() string { return a.plain + "_wo" }

// versionAttribute is the twin's version, <plain>_wo_version.
func (a writeOnlyArg) versionAttribute() string { return a.plain + "_wo_version" }

// excluded is every form of the arguments a excludes.
func (a writeOnlyArg) excluded() []path.Expression {
	var out []path.Expression
	for _, other := range a.excludes {
		out = append(out, path.MatchRoot(other), path.MatchRoot(other+"_wo"))
	}
	return out
}

// plainValidators are the plain argument's: not empty, and not set with its
// twin or with what it excludes.
func (a writeOnlyArg) plainValidators() []validator.String {
	return []validator.String{
		stringvalidator.LengthAtLeast(1),
		stringvalidator.ConflictsWith(append(a.excluded(), path.MatchRoot(a.attribute()))...),
	}
}

// addSchema adds the twin and its version to a resource's attributes.
func (a writeOnlyArg) addSchema(attributes map[string]schema.Attribute) {
	twin := []validator.String{
		stringvalidator.LengthAtLeast(1),
		stringvalidator.AlsoRequires(path.MatchRoot(a.versionAttribute())),
	}
	if excluded := a.excluded(); len(excluded) > 0 {
		twin = append(twin, stringvalidator.ConflictsWith(excluded...))
	}
	attributes[a.attribute()] = schema.StringAttribute{
		MarkdownDescription: fmt.Sprintf("Write-only twin of `%s`. Write-only: never stored in plan or state (Terraform 1.11+, OpenTofu 1.11+). "+
			"Sent on create and whenever `%s` changes.", a.plain, a.versionAttribute()),
		Optional:   true,
		Sensitive:  true,
		WriteOnly:  true,
		Validators: twin,
	}
	attributes[a.versionAttribute()] = schema.NumberAttribute{
		MarkdownDescription: fmt.Sprintf("Any whole number; change it to send a new `%s`.", a.attribute()),
		Optional:            true,
		Validators: []validator.Number{
			wholeNumber(math.MinInt64, math.MaxInt64),
			numbervalidator.AlsoRequires(path.MatchRoot(a.attribute())),
		},
	}
}

// value is what is sent for a in m: the twin's value when the configuration
// sets it, else the plain argument's.
func (a writeOnlyArg) value(m *instanceModel, wo writeOnlyValues) (string, bool) {
	if v := wo[a.attribute()]; v != "" {
		return v, true
	}
	plain, _, _ := a.fields(m)
	if plain.IsNull() || plain.IsUnknown() {
		return "", false
	}
	return plain.ValueString(), true
}

// versionBumped reports whether the plan sets a's version to a new value.
func (a writeOnlyArg) versionBumped(plan, state *instanceModel) bool {
	_, _, planned := a.fields(plan)
	_, _, current := a.fields(state)
	return !planned.IsNull() && !planned.Equal(*current)
}

// changed reports whether an update sends a anew: the plain argument is
// set to a new value, or the version is.
func (a writeOnlyArg) changed(plan, state *instanceModel) bool {
	planned, _, _ := a.fields(plan)
	current, _, _ := a.fields(state)
	return (!planned.IsNull() && !planned.Equal(*current)) || a.versionBumped(plan, state)
}

// writeOnlyValues are the twins' values by attribute. They come from the
// configuration only: plan and state never hold them.
type writeOnlyValues map[string]string

// writeOnlyFromConfig reads the twins from the configuration.
func writeOnlyFromConfig(ctx context.Context, cfg tfsdk.Config) (writeOnlyValues, diag.Diagnostics) {
	var diags diag.Diagnostics
	out := writeOnlyValues{}
	for _, a := range writeOnlyArgs {
		var v types.String
		diags.Append(cfg.GetAttribute(ctx, path.Root(a.attribute()), &v)...)
		if !v.IsNull() && !v.IsUnknown() {
			out[a.attribute()] = v.ValueString()
		}
	}
	return out, diags
}

// writeOnlyPair is one twin with its value from the configuration and
// whether its version asks for it to be sent.
type writeOnlyPair struct {
	attribute      string
	value          string
	versionChanged bool
}

// writeOnlyPairs lists the twins; state is nil on create, where every set
// value is sent.
func writeOnlyPairs(plan, state *instanceModel, wo writeOnlyValues) []writeOnlyPair {
	out := make([]writeOnlyPair, 0, len(writeOnlyArgs))
	for _, a := range writeOnlyArgs {
		out = append(out, writeOnlyPair{
			attribute:      a.attribute(),
			value:          wo[a.attribute()],
			versionChanged: state == nil || a.versionBumped(plan, state),
		})
	}
	return out
}

// toSend is the values of the twins whose version asks for them to be sent.
func toSend(pairs []writeOnlyPair) writeOnlyValues {
	out := writeOnlyValues{}
	for _, p := range pairs {
		if p.versionChanged && p.value != "" {
			out[p.attribute] = p.value
		}
	}
	return out
}

func hashWriteOnly(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:])
}

func readWriteOnlyHashes(ctx context.Context, private privateGetter) (map[string]string, diag.Diagnostics) {
	out := map[string]string{}
	if private == nil {
		return out, nil
	}
	raw, diags := private.GetKey(ctx, privateWriteOnlyHashesKey)
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			diags.AddWarning("Unreadable private state", "The hashes of write-only values could not be read and are reset: "+err.Error())
			out = map[string]string{}
		}
	}
	return out, diags
}

// storeWriteOnlyHashes records the hash of every value that was sent, keeping
// the hashes of values that were not.
func storeWriteOnlyHashes(ctx context.Context, dst privateSetter, pairs []writeOnlyPair, previous privateGetter) diag.Diagnostics {
	hashes, diags := readWriteOnlyHashes(ctx, previous)
	for _, p := range pairs {
		switch {
		case p.value == "":
			delete(hashes, p.attribute)
		case p.versionChanged:
			hashes[p.attribute] = hashWriteOnly(p.value)
		}
	}
	raw, err := json.Marshal(hashes)
	if err != nil {
		diags.AddError("Cannot record write-only hashes", err.Error())
		return diags
	}
	diags.Append(dst.SetKey(ctx, privateWriteOnlyHashesKey, raw)...)
	return diags
}
