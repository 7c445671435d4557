package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// TestWriteOnlyArgsDriveTheSchema: each row gives a sensitive plain
// argument a write-only twin and a version, its fields are the model's
// fields of those names, and no write-only attribute lacks a row.
func TestWriteOnlyArgsDriveTheSchema(t *testing.T) {
	t.Parallel()
	s := resourceSchema(t)
	var m instanceModel
	fieldByTag := map[string]any{}
	v := reflect.ValueOf(&m).Elem()
	for i := range v.NumField() {
		fieldByTag[v.Type().Field(i).Tag.Get("tfsdk")] = v.Field(i).Addr().Interface()
	}
	rows := map[string]bool{}
	for _, a := range writeOnlyArgs {
		rows[a.attribute()] = true
		plain, ok := s.Attributes[a.plain].(schema.StringAttribute)
		if !ok || !plain.Sensitive || plain.WriteOnly {
			t.Errorf("%s: no sensitive, stored plain argument in the schema", a.plain)
		}
		twin, ok := s.Attributes[a.attribute()].(schema.StringAttribute)
		if !ok || !twin.WriteOnly || !twin.Sensitive || !twin.Optional {
			t.Errorf("%s: no optional, sensitive, write-only twin in the schema", a.attribute())
		}
		if _, ok := s.Attributes[a.versionAttribute()].(schema.NumberAttribute); !ok {
			t.Errorf("%s: no version in the schema", a.versionAttribute())
		}
		p, w, ver := a.fields(&m)
		for name, field := range map[string]any{a.plain: p, a.attribute(): w, a.versionAttribute(): ver} {
			if fieldByTag[name] != field {
				t.Errorf("%s: the row's field is not the model's field tagged %q", a.plain, name)
			}
		}
	}
	for name, at := range s.Attributes {
		if sa, ok := at.(schema.StringAttribute); ok && sa.WriteOnly && !rows[name] {
			t.Errorf("write-only attribute %s has no row in writeOnlyArgs", name)
		}
	}
}

// validateStrings runs the validators of every string attribute that cfg
// sets, as the framework does at validate time.
func validateStrings(t *testing.T, attrs map[string]tftypes.Value) diag.Diagnostics {
	t.Helper()
	ctx := context.Background()
	cfg := resourceConfig(t, attrs)
	var diags diag.Diagnostics
	for name, at := range resourceSchema(t).Attributes {
		sa, ok := at.(schema.StringAttribute)
		if _, set := attrs[name]; !ok || !set {
			continue
		}
		var value types.String
		diags.Append(cfg.GetAttribute(ctx, path.Root(name), &value)...)
		for _, v := range sa.Validators {
			req := validator.StringRequest{Path: path.Root(name), PathExpression: path.MatchRoot(name), Config: cfg, ConfigValue: value}
			var resp validator.StringResponse
			v.ValidateString(ctx, req, &resp)
			diags.Append(resp.Diagnostics...)
		}
	}
	return diags
}

func TestWriteOnlyArgumentsExcludeEachOther(t *testing.T) {
	t.Parallel()
	str := func(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
	num := tftypes.NewValue(tftypes.Number, 1)
	cases := []struct {
		name     string
		attrs    map[string]tftypes.Value
		conflict string // "" when accepted
	}{
		{"a plain code", map[string]tftypes.Value{"authorization_code": str("c")}, ""},
		{"a write-only code with its version", map[string]tftypes.Value{"authorization_code_wo": str("c"), "authorization_code_wo_version": num}, ""},
		{"both forms of the code", map[string]tftypes.Value{"authorization_code": str("c"), "authorization_code_wo": str("c"), "authorization_code_wo_version": num}, "authorization_code_wo"},
		{"a code and a refresh token", map[string]tftypes.Value{"authorization_code": str("c"), "oauth_refresh_token": str("r")}, "oauth_refresh_token"},
		{"a code and a write-only refresh token", map[string]tftypes.Value{"authorization_code": str("c"), "oauth_refresh_token_wo": str("r"), "oauth_refresh_token_wo_version": num}, "oauth_refresh_token_wo"},
		{"a write-only code and a refresh token", map[string]tftypes.Value{"authorization_code_wo": str("c"), "authorization_code_wo_version": num, "oauth_refresh_token": str("r")}, "oauth_refresh_token"},
		{"both forms of the API secret", map[string]tftypes.Value{"oauth_api_secret": str("s"), "oauth_api_secret_wo": str("s"), "oauth_api_secret_wo_version": num}, "oauth_api_secret_wo"},
		{"both forms of the signature key", map[string]tftypes.Value{"event_notification_signature_key": str("k"), "event_notification_signature_key_wo": str("k"), "event_notification_signature_key_wo_version": num}, "event_notification_signature_key_wo"},
		{"a twin without its version", map[string]tftypes.Value{"oauth_api_secret_wo": str("s")}, "oauth_api_secret_wo_version"},
		{"an empty twin", map[string]tftypes.Value{"oauth_api_secret_wo": str(""), "oauth_api_secret_wo_version": num}, "at least 1"},
	}
	for _, c := range cases {
		diags := validateStrings(t, c.attrs)
		text := diagnosticsText(diags)
		switch {
		case c.conflict == "" && diags.HasError():
			t.Errorf("%s: refused:\n%s", c.name, text)
		case c.conflict != "" && (!diags.HasError() || !strings.Contains(text, c.conflict)):
			t.Errorf("%s: want an error naming %s, got:\n%s", c.name, c.conflict, text)
		}
	}
}

func TestWriteOnlyFromConfigReadsEveryTwin(t *testing.T) {
	t.Parallel()
	attrs := map[string]tftypes.Value{}
	want := writeOnlyValues{}
	for i, a := range writeOnlyArgs {
		value := fmt.Sprintf("value-%d", i)
		attrs[a.attribute()] = tftypes.NewValue(tftypes.String, value)
		want[a.attribute()] = value
	}
	got, diags := writeOnlyFromConfig(context.Background(), resourceConfig(t, attrs))
	requireNoError(t, diags)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read %v, want %v", got, want)
	}

	// Null and not yet known twins are absent.
	got, diags = writeOnlyFromConfig(context.Background(), resourceConfig(t, map[string]tftypes.Value{
		"oauth_api_secret_wo": tftypes.NewValue(tftypes.String, tftypes.UnknownValue),
	}))
	requireNoError(t, diags)
	if len(got) != 0 {
		t.Errorf("read %v from a configuration without known twins", got)
	}
}

func TestWriteOnlyPairs(t *testing.T) {
	t.Parallel()
	versions := func(code, refresh, secret, key int64) *instanceModel {
		version := func(n int64) types.Number {
			if n == 0 {
				return types.NumberNull()
			}
			return numberOf(n)
		}
		return &instanceModel{
			AuthorizationCodeWOVersion: version(code), OAuthRefreshTokenWOVersion: version(refresh),
			OAuthAPISecretWOVersion: version(secret), EventNotificationSignatureKeyWOVersion: version(key),
		}
	}
	wo := writeOnlyValues{"authorization_code_wo": "code", "oauth_api_secret_wo": "secret", "event_notification_signature_key_wo": "key"}
	cases := []struct {
		name        string
		plan, state *instanceModel
		sent        writeOnlyValues
	}{
		{"on create every value is sent", versions(1, 0, 1, 1), nil, wo},
		{"unchanged versions send nothing", versions(1, 0, 1, 1), versions(1, 0, 1, 1), writeOnlyValues{}},
		{"a bumped version sends its value only", versions(1, 0, 2, 1), versions(1, 0, 1, 1), writeOnlyValues{"oauth_api_secret_wo": "secret"}},
		{"a version set for the first time counts as bumped", versions(1, 0, 1, 1), versions(0, 0, 1, 1), writeOnlyValues{"authorization_code_wo": "code"}},
		{"a removed version sends nothing", versions(1, 0, 1, 0), versions(1, 0, 1, 1), writeOnlyValues{}},
		{"a bumped version without a value sends nothing", versions(1, 2, 1, 1), versions(1, 1, 1, 1), writeOnlyValues{}},
	}
	for _, c := range cases {
		pairs := writeOnlyPairs(c.plan, c.state, wo)
		if len(pairs) != len(writeOnlyArgs) {
			t.Fatalf("%s: %d pairs for %d rows", c.name, len(pairs), len(writeOnlyArgs))
		}
		if got := toSend(pairs); !reflect.DeepEqual(got, c.sent) {
			t.Errorf("%s: sends %v, want %v", c.name, got, c.sent)
		}
	}
}

// privateState is the provider's private state between two calls.
type privateState map[string][]byte

func (p privateState) GetKey(_ context.Context, key string) ([]byte, diag.Diagnostics) {
	return p[key], nil
}

func (p privateState) SetKey(_ context.Context, key string, value []byte) diag.Diagnostics {
	p[key] = value
	return nil
}

func TestWriteOnlyHashes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pair := func(attribute, value string, sent bool) writeOnlyPair {
		return writeOnlyPair{attribute: attribute, value: value, versionChanged: sent}
	}
	cases := []struct {
		name     string
		previous privateState
		pairs    []writeOnlyPair
		want     map[string]string
	}{
		{"a sent value is recorded by hash", privateState{}, []writeOnlyPair{pair("oauth_api_secret_wo", "secret-one", true)},
			map[string]string{"oauth_api_secret_wo": hashWriteOnly("secret-one")}},
		{"a value not sent keeps the hash of the one that was", privateState{privateWriteOnlyHashesKey: hashesJSON(t, map[string]string{"oauth_api_secret_wo": hashWriteOnly("secret-one")})},
			[]writeOnlyPair{pair("oauth_api_secret_wo", "secret-two", false)}, map[string]string{"oauth_api_secret_wo": hashWriteOnly("secret-one")}},
		{"a value no longer configured forgets its hash", privateState{privateWriteOnlyHashesKey: hashesJSON(t, map[string]string{"oauth_api_secret_wo": hashWriteOnly("secret-one")})},
			[]writeOnlyPair{pair("oauth_api_secret_wo", "", false)}, map[string]string{}},
		{"unreadable hashes are reset", privateState{privateWriteOnlyHashesKey: []byte("{")},
			[]writeOnlyPair{pair("authorization_code_wo", "code-one", true)}, map[string]string{"authorization_code_wo": hashWriteOnly("code-one")}},
	}
	for _, c := range cases {
		next := privateState{}
		diags := storeWriteOnlyHashes(ctx, next, c.pairs, c.previous)
		requireNoError(t, diags)
		got, diags := readWriteOnlyHashes(ctx, next)
		requireNoError(t, diags)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: hashes %v, want %v", c.name, got, c.want)
		}
		for _, p := range c.pairs {
			if p.value != "" && strings.Contains(string(next[privateWriteOnlyHashesKey]), p.value) {
				t.Errorf("%s: private state holds the value itself", c.name)
			}
		}
	}
}

func hashesJSON(t *testing.T, hashes map[string]string) []byte {
	t.Helper()
	raw, err := json.Marshal(hashes)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
