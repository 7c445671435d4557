package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
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

// writeOnlyFromConfig reads the write-only attributes, which exist only in the configuration.
func writeOnlyFromConfig(ctx context.Context, cfg tfsdk.Config) (writeOnlyInputs, diag.Diagnostics) {
	var diags diag.Diagnostics
	var out writeOnlyInputs
	for attr, dst := range map[string]*string{
		"authorization_code_wo":               &out.AuthorizationCode,
		"oauth_refresh_token_wo":              &out.OAuthRefreshToken,
		"oauth_api_secret_wo":                 &out.OAuthAPISecret,
		"event_notification_signature_key_wo": &out.EventNotificationSignatureKey,
	} {
		var v types.String
		diags.Append(cfg.GetAttribute(ctx, path.Root(attr), &v)...)
		if !v.IsNull() && !v.IsUnknown() {
			*dst = v.ValueString()
		}
	}
	return out, diags
}

// writeOnlyPair is one write-only attribute with its value from the
// configuration and whether its version asks for it to be sent.
type writeOnlyPair struct {
	attribute      string
	value          string
	versionChanged bool
	assign         func(*writeOnlyInputs)
}

// writeOnlyPairs lists the write-only attributes; state is nil on create,
// where every set value is sent.
func writeOnlyPairs(plan, state *instanceModel, wo writeOnlyInputs) []writeOnlyPair {
	changed := func(planVersion types.Int64, stateVersion func(*instanceModel) types.Int64) bool {
		return state == nil || versionBumped(planVersion, stateVersion(state))
	}
	return []writeOnlyPair{
		{"authorization_code_wo", wo.AuthorizationCode,
			changed(plan.AuthorizationCodeWOVersion, func(s *instanceModel) types.Int64 { return s.AuthorizationCodeWOVersion }),
			func(w *writeOnlyInputs) { w.AuthorizationCode = wo.AuthorizationCode }},
		{"oauth_refresh_token_wo", wo.OAuthRefreshToken,
			changed(plan.OAuthRefreshTokenWOVersion, func(s *instanceModel) types.Int64 { return s.OAuthRefreshTokenWOVersion }),
			func(w *writeOnlyInputs) { w.OAuthRefreshToken = wo.OAuthRefreshToken }},
		{"oauth_api_secret_wo", wo.OAuthAPISecret,
			changed(plan.OAuthAPISecretWOVersion, func(s *instanceModel) types.Int64 { return s.OAuthAPISecretWOVersion }),
			func(w *writeOnlyInputs) { w.OAuthAPISecret = wo.OAuthAPISecret }},
		{"event_notification_signature_key_wo", wo.EventNotificationSignatureKey,
			changed(plan.EventNotificationSignatureKeyWOVersion, func(s *instanceModel) types.Int64 { return s.EventNotificationSignatureKeyWOVersion }),
			func(w *writeOnlyInputs) { w.EventNotificationSignatureKey = wo.EventNotificationSignatureKey }},
	}
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

// writeOnlyInputs are the values read from the configuration only (never from
// plan or state), because they belong to write-only attributes.
type writeOnlyInputs struct {
	AuthorizationCode             string
	OAuthRefreshToken             string
	OAuthAPISecret                string
	EventNotificationSignatureKey string
}

// secret returns the write-only value when it is set, else the plain attribute.
func secret(plain types.String, writeOnly string) (string, bool) {
	if writeOnly != "" {
		return writeOnly, true
	}
	if plain.IsNull() || plain.IsUnknown() {
		return "", false
	}
	return plain.ValueString(), true
}

func versionBumped(plan, state types.Int64) bool {
	return !plan.IsNull() && !plan.Equal(state)
}
