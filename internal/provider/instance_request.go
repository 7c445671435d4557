package provider

import (
	"context"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// Framework values → request bodies: what a plan asks the platform for, and
// the rule that says when an apply re-authenticates.

// createRequest is the body of POST /instances for plan, with every
// write-only value the configuration sets.
func createRequest(ctx context.Context, plan *instanceModel, wo writeOnlyValues) (opencon.CreateInstanceRequest, diag.Diagnostics) {
	configuration, diags := plan.desiredConfiguration(ctx, wo)
	body := opencon.CreateInstanceRequest{
		Element:       &opencon.ElementRef{Key: plan.ElementKey.ValueString()},
		Name:          plan.Name.ValueString(),
		Configuration: configuration,
	}
	if !plan.Tags.IsNull() && !plan.Tags.IsUnknown() {
		tags := []string{}
		diags.Append(plan.Tags.ElementsAs(ctx, &tags, false)...)
		body.Tags = tags
	}
	if code, ok := authorizationCodeArg.value(plan, wo); ok {
		body.ProviderData = map[string]string{"code": code}
	}
	if _, ok := configuration[opencon.KeyOAuthUserRefreshToken]; ok {
		body.ExternalAuthentication = opencon.ExternalAuthenticationInitial
	}
	return body, diags
}

// updateRequest is the PATCH /instances/{id} that takes the instance from
// state to plan. It sends only what changed, of the write-only values only
// those whose version changed, and of the credentials only those
// sendsCredential allows; send is false when nothing is left.
// credentialsUnseen is true after an import (see sendsCredential).
func updateRequest(ctx context.Context, plan, state *instanceModel, wo writeOnlyValues, credentialsUnseen bool) (patch opencon.UpdateInstanceRequest, send bool, diags diag.Diagnostics) {
	sent := toSend(writeOnlyPairs(plan, state, wo))
	var withheld []writeOnlyArg
	for _, a := range credentialArgs {
		if !sendsCredential(a, plan, state, credentialsUnseen) {
			withheld = append(withheld, a)
			delete(sent, a.attribute())
		}
	}
	prior, d := state.desiredConfiguration(ctx, nil)
	diags.Append(d...)
	planned, d := plan.desiredConfiguration(ctx, sent)
	diags.Append(d...)
	for _, a := range withheld {
		if a.key != "" {
			delete(prior, a.key)
			delete(planned, a.key)
		}
	}

	if sanitizeName(plan.Name.ValueString()) != sanitizeName(state.Name.ValueString()) {
		name := plan.Name.ValueString()
		patch.Name = &name
	}
	if !plan.Tags.IsUnknown() && !plan.Tags.Equal(state.Tags) {
		tags := []string{}
		diags.Append(plan.Tags.ElementsAs(ctx, &tags, false)...)
		patch.Tags = &tags
	}
	if c := changedConfiguration(prior, planned); len(c) > 0 {
		patch.Configuration = c
	}
	if sendsCredential(authorizationCodeArg, plan, state, credentialsUnseen) {
		if code, ok := authorizationCodeArg.value(plan, sent); ok {
			patch.ProviderData = map[string]string{"code": code}
		}
	}
	send = patch.Name != nil || patch.Tags != nil || patch.Configuration != nil || patch.ProviderData != nil
	return patch, send, diags
}

// reauthenticationRequest is the PATCH /instances/{id} that re-authenticates
// an instance with a code or a refresh token and changes nothing else. It is
// updateRequest itself, from a state without either to a plan with one of
// them: the opencon_instance_reauthenticate action sends exactly what the
// resource sends when its code or refresh token changes.
func reauthenticationRequest(ctx context.Context, code, refreshToken string) (opencon.UpdateInstanceRequest, diag.Diagnostics) {
	state := instanceModel{
		Tags:                   types.SetNull(types.StringType),
		PollingResources:       types.SetNull(pollingResourceObjectType),
		Configuration:          types.MapNull(types.StringType),
		SensitiveConfiguration: types.MapNull(types.StringType),
	}
	plan := state
	if code != "" {
		plan.AuthorizationCode = types.StringValue(code)
	}
	if refreshToken != "" {
		plan.OAuthRefreshToken = types.StringValue(refreshToken)
	}
	patch, _, diags := updateRequest(ctx, &plan, &state, nil, false)
	return patch, diags
}

// credentialArgs are the arguments that authenticate the instance: sending
// one re-authenticates it, and an authorization code is spent by it.
var credentialArgs = []writeOnlyArg{authorizationCodeArg, refreshTokenArg}

// sendsCredential is the one rule for whether an update sends a credential
// (an authorization code or a refresh token, plain or write-only) and so
// re-authenticates: a new value, or a new *_wo_version, of a credential
// state has already seen. The plan (through reauthenticates) and the update
// both ask it, so that what the plan announces is what is sent.
//
// After an import state has seen no credential (credentialsUnseen): the
// instance is already authenticated, and the code in the configuration is
// most likely the spent one it was created with. So the first value or
// version seen after an import is recorded in state and never sent; only a
// change after that re-authenticates. The other secrets (oauth_api_secret,
// event_notification_signature_key) are not one-time and are sent.
func sendsCredential(a writeOnlyArg, plan, state *instanceModel, credentialsUnseen bool) bool {
	return !credentialsUnseen && a.changed(plan, state)
}

// reauthenticates reports whether an update authenticates the instance
// anew, with a code or a refresh token, so that what the platform derives
// from the authentication (token, validity, external authentication) will
// change.
func reauthenticates(plan, state *instanceModel, credentialsUnseen bool) bool {
	for _, a := range credentialArgs {
		if sendsCredential(a, plan, state, credentialsUnseen) {
			return true
		}
	}
	return false
}

// replacementReusesCode reports whether replacing the instance would create
// the new one with an authorization code that was already spent: the one
// state holds (same value, or same authorization_code_wo_version), or,
// after an import, whatever code the configuration holds. The platform
// refuses a spent code, so such a create would fail.
func replacementReusesCode(plan, state *instanceModel, credentialsUnseen bool) bool {
	plain, _, version := authorizationCodeArg.fields(plan)
	if plain.IsNull() && version.IsNull() {
		return false
	}
	return credentialsUnseen || !authorizationCodeArg.changed(plan, state)
}

// recordsCredential reports whether m holds a credential, plain or by a
// write-only version: once state does, the credentials are no longer unseen.
func recordsCredential(m *instanceModel) bool {
	for _, a := range credentialArgs {
		plain, _, version := a.fields(m)
		if !plain.IsNull() || !version.IsNull() {
			return true
		}
	}
	return false
}

// desiredConfiguration is every configuration key the plan manages, in the
// form the API accepts. wo carries the write-only values from the config.
func (m *instanceModel) desiredConfiguration(ctx context.Context, wo writeOnlyValues) (map[string]any, diag.Diagnostics) {
	var diags diag.Diagnostics
	out := map[string]any{}
	setString := func(key string, v types.String) {
		if !v.IsNull() && !v.IsUnknown() {
			out[key] = v.ValueString()
		}
	}
	setString(opencon.KeyOAuthAPIKey, m.OAuthAPIKey)
	setString(opencon.KeyOAuthCallbackURL, m.OAuthCallbackURL)
	if !m.EventNotificationEnabled.IsNull() && !m.EventNotificationEnabled.IsUnknown() {
		out[opencon.KeyEventNotificationEnabled] = m.EventNotificationEnabled.ValueBool()
	}
	setString(opencon.KeyEventNotificationCallbackURL, m.EventNotificationCallbackURL)
	if !m.EventPollerRefreshInterval.IsNull() && !m.EventPollerRefreshInterval.IsUnknown() {
		out[opencon.KeyEventPollerRefreshInterval] = strconv.FormatInt(int64Of(m.EventPollerRefreshInterval), 10)
	}
	for _, a := range writeOnlyArgs {
		if v, ok := a.value(m, wo); ok && a.key != "" {
			out[a.key] = v
		}
	}
	polling, d := pollingBlocks(ctx, m.PollingResources)
	diags.Append(d...)
	if len(polling) > 0 {
		out[opencon.KeyEventPollerConfiguration] = pollerConfigurationFromModels(polling)
	}
	for _, mm := range []types.Map{m.Configuration, m.SensitiveConfiguration} {
		kv, d := stringMap(ctx, mm)
		diags.Append(d...)
		for k, v := range kv {
			out[k] = v
		}
	}
	return out, diags
}

// changedConfiguration returns the keys whose desired value differs between
// two desired configurations. Keys only in prior are dropped from management,
// not deleted, since the API cannot unset a key; the poller configuration is
// the exception: removing every polling_resource block empties it.
func changedConfiguration(prior, planned map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range planned {
		if pv, ok := prior[k]; !ok || !sameConfigValue(pv, v) {
			out[k] = v
		}
	}
	if _, had := prior[opencon.KeyEventPollerConfiguration]; had {
		if _, has := planned[opencon.KeyEventPollerConfiguration]; !has {
			out[opencon.KeyEventPollerConfiguration] = opencon.PollerConfiguration{}
		}
	}
	return out
}

func sameConfigValue(a, b any) bool {
	if pa, ok := a.(opencon.PollerConfiguration); ok {
		pb, ok := b.(opencon.PollerConfiguration)
		return ok && pa.SameMeaning(pb)
	}
	return a == b
}
