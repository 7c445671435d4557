package provider

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// The resource identity of opencon_instance (Terraform 1.12 and later,
// OpenTofu 1.12): what names one instance across every configuration of the
// provider. Instance ids are numbers each platform region counts on its own,
// so the identity holds the API host next to the id; it holds no secret.

// instanceIdentityModel is the identity of one opencon_instance.
type instanceIdentityModel struct {
	ID   types.String `tfsdk:"id"`
	Host types.String `tfsdk:"host"`
}

func instanceIdentitySchema() identityschema.Schema {
	return identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"id": identityschema.StringAttribute{
				RequiredForImport: true,
				Description:       "The instance id, a positive whole number as a string, for example \"12345\".",
			},
			"host": identityschema.StringAttribute{
				OptionalForImport: true,
				Description: "The API host of the platform region the instance lives on, for example " +
					"\"api.openconnectors.us2.ext.hana.ondemand.com\" (with the port when it is not the scheme's default). " +
					"Defaults to the host of the provider's base_url; an import naming another host is refused.",
			},
		},
	}
}

// apiHost is the host of an API root as the identity records it: lower
// case, with the port only when it is not the scheme's default.
func apiHost(baseURL string) string {
	u, err := url.Parse(baseURL)
	if err != nil {
		return ""
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" || (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		return host
	}
	return net.JoinHostPort(host, port)
}

// instanceIdentity is the identity of instance id on the platform client talks to.
func instanceIdentity(client *opencon.Client, id int64) instanceIdentityModel {
	return instanceIdentityModel{
		ID:   types.StringValue(strconv.FormatInt(id, 10)),
		Host: types.StringValue(apiHost(client.BaseURL())),
	}
}

// setInstanceIdentity records the identity of instance id. identity is nil
// only when the framework serves a resource without identity, which
// opencon_instance is not; the check keeps a future change from panicking.
func setInstanceIdentity(ctx context.Context, identity *tfsdk.ResourceIdentity, client *opencon.Client, id int64) diag.Diagnostics {
	if identity == nil || client == nil {
		return nil
	}
	m := instanceIdentity(client, id)
	return identity.Set(ctx, &m)
}

// setUnhostedIdentity records the identity of instance id when no client
// says which host it is on and the prior state has no identity (a state
// written by a CLI or provider without identity): the id alone, the host
// null until a configured read sets it. A prior identity is kept as is.
func setUnhostedIdentity(ctx context.Context, identity *tfsdk.ResourceIdentity, id int64) diag.Diagnostics {
	if identity == nil || !identity.Raw.IsFullyNull() {
		return nil
	}
	return identity.Set(ctx, &instanceIdentityModel{ID: types.StringValue(strconv.FormatInt(id, 10)), Host: types.StringNull()})
}

// checkIdentityHost refuses to read, through this provider configuration,
// an instance whose identity names another host: the same id on another
// region is another instance, and reading it would re-point the resource.
// An identity without a host (see setUnhostedIdentity) takes this one.
func checkIdentityHost(ctx context.Context, identity *tfsdk.ResourceIdentity, client *opencon.Client) diag.Diagnostics {
	var diags diag.Diagnostics
	if identity == nil || identity.Raw.IsFullyNull() || client == nil {
		return diags
	}
	var m instanceIdentityModel
	diags.Append(identity.Get(ctx, &m)...)
	if diags.HasError() || m.Host.IsNull() || m.Host.ValueString() == "" {
		return diags
	}
	if want := apiHost(client.BaseURL()); m.Host.ValueString() != want {
		diags.AddError("Unexpected Identity Change: instance of another platform host",
			fmt.Sprintf("Instance %s in state lives on %q, but this provider configuration talks to %q, where the same id names another instance. "+
				"Point base_url back at %q, or remove the instance from state and import the one on %q.",
				m.ID.ValueString(), m.Host.ValueString(), want, m.Host.ValueString(), want))
	}
	return diags
}

// importedInstanceID reads the id of an import by identity and checks that
// its host, when given, is the one the provider talks to: the same id on
// another region is another instance.
func importedInstanceID(ctx context.Context, identity *tfsdk.ResourceIdentity, client *opencon.Client) (int64, diag.Diagnostics) {
	var diags diag.Diagnostics
	if identity == nil || identity.Raw.IsNull() {
		diags.AddError("Nothing to import", "Import takes the instance id, either as `id` or as `identity = { id = \"...\" }`.")
		return 0, diags
	}
	var m instanceIdentityModel
	diags.Append(identity.Get(ctx, &m)...)
	if diags.HasError() {
		return 0, diags
	}
	id, err := parseInstanceID(m.ID.ValueString())
	if err != nil {
		diags.AddError("Invalid import identity", "identity.id: "+err.Error())
		return 0, diags
	}
	if host := strings.ToLower(strings.TrimSpace(m.Host.ValueString())); host != "" && client != nil {
		if want := apiHost(client.BaseURL()); host != want {
			diags.AddError("Instance of another platform host",
				fmt.Sprintf("The identity names host %q, but this provider configuration talks to %q. Import it with a provider whose base_url is on %q, or leave host out.", host, want, host))
			return 0, diags
		}
	}
	return id, diags
}
