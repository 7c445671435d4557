package provider

import (
	"strings"

	"context"
	"fmt"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"regexp"
	"strconv"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// Resource identity needs Terraform 1.12 or OpenTofu 1.12; older CLIs never
// ask for it and keep importing by id.
var identityCLIs = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)}

func TestAPIHost(t *testing.T) {
	for in, want := range map[string]string{
		"https://api.openconnectors.us2.ext.hana.ondemand.com/elements/api-v2":     "api.openconnectors.us2.ext.hana.ondemand.com",
		"https://API.openconnectors.us2.ext.hana.ondemand.com:443/elements/api-v2": "api.openconnectors.us2.ext.hana.ondemand.com",
		"https://api.example.com:8443/elements/api-v2":                             "api.example.com:8443",
		"http://127.0.0.1:8787/elements/api-v2":                                    "127.0.0.1:8787",
		"http://localhost:80/elements/api-v2":                                      "localhost",
		"http://[::1]:8787/elements/api-v2":                                        "[::1]:8787",
	} {
		if got := apiHost(in); got != want {
			t.Errorf("apiHost(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestAccInstance_identity: create, update and refresh keep the identity
// {id, host}; an import block with that identity plans no change.
func TestAccInstance_identity(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	code := e.authorizationCode()
	identity := map[string]knownvalue.Check{
		"id":   knownvalue.StringRegexp(regexp.MustCompile(`^[1-9][0-9]*$`)),
		"host": knownvalue.StringExact(apiHost(e.baseURL)),
	}
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   identityCLIs,
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: documentedGmailExample(e, code),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity(gmailAddr, identity),
					statecheck.ExpectIdentityValueMatchesState(gmailAddr, tfjsonpath.New("id")),
				},
			},
			{
				// An update keeps it (the framework fails a changed identity).
				Config: instanceConfig(e, "gmail", with(gmailArgs(code), "tags", `["Docs", "renamed"]`), changedMessagesBlock),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(gmailAddr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity(gmailAddr, identity),
					statecheck.ExpectIdentityValueMatchesState(gmailAddr, tfjsonpath.New("id")),
				},
			},
			{
				// Import with `identity = { id = ..., host = ... }` from state,
				// leaving out what the API never returns: no change.
				Config:          instanceConfig(e, "gmail", with(gmailArgs(""), "tags", `["Docs", "renamed"]`, "authorization_code", "", "oauth_api_key", "", "oauth_api_secret", ""), changedMessagesBlock),
				ResourceName:    gmailAddr,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
			},
		},
	})
}

// TestAccInstance_importByIdentity imports instances made outside Terraform
// with `identity = { id = "..." }` (host taken from the provider) and with an
// import block's `id`: both leave the identity in state. A host that is not
// the provider's, and an id that is not one, are refused before any read.
func TestAccInstance_importByIdentity(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	create := func(name string) string {
		inst, err := e.client.CreateInstance(context.Background(), opencon.CreateInstanceRequest{
			Element: &opencon.ElementRef{Key: "netsuiteerp"},
			Name:    name,
			Tags:    []string{"finance"},
			Configuration: map[string]any{
				"user.username": "jane", "user.password": "hunter2", "netsuite.accountId": "TSTDRV1",
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		return strconv.FormatInt(inst.ID, 10)
	}
	byIdentity, byID := create("erp one"), create("erp two")
	erp := func(name, label string) string {
		return fmt.Sprintf(`
resource "opencon_instance" %q {
  element_key = "netsuiteerp"
  name        = %q
  tags        = ["finance"]
  configuration = {
    "user.username"      = "jane"
    "netsuite.accountId" = "TSTDRV1"
  }
}
`, label, name)
	}
	resources := erp("erp one", "one") + erp("erp two", "two")
	importBlocks := func(identity string) string {
		return fmt.Sprintf(`
import {
  to       = opencon_instance.one
  identity = %s
}

import {
  to = opencon_instance.two
  id = %q
}
`, identity, byID)
	}
	host := apiHost(e.baseURL)
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   identityCLIs,
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      e.providerConfig() + importBlocks(fmt.Sprintf(`{ id = %q, host = "api.openconnectors.eu3.ext.hana.ondemand.com" }`, byIdentity)) + resources,
				ExpectError: expectError(`Instance of another platform host`),
			},
			{
				Config:      e.providerConfig() + importBlocks(`{ id = "erp-one" }`) + resources,
				ExpectError: expectError(`Invalid import identity`),
			},
			{
				Config: e.providerConfig() + importBlocks(fmt.Sprintf(`{ id = %q }`, byIdentity)) + resources,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("opencon_instance.one", plancheck.ResourceActionNoop),
						plancheck.ExpectResourceAction("opencon_instance.two", plancheck.ResourceActionNoop),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity("opencon_instance.one", map[string]knownvalue.Check{
						"id": knownvalue.StringExact(byIdentity), "host": knownvalue.StringExact(host),
					}),
					statecheck.ExpectIdentity("opencon_instance.two", map[string]knownvalue.Check{
						"id": knownvalue.StringExact(byID), "host": knownvalue.StringExact(host),
					}),
				},
			},
		},
	})
}

// TestAccInstance_identityGuardsAgainstAnotherHost: the same id on another
// platform host is another instance. Pointing base_url there fails the
// refresh instead of taking that instance for the one in state.
func TestAccInstance_identityGuardsAgainstAnotherHost(t *testing.T) {
	t.Parallel()
	first, second := newTestEnv(t), newTestEnv(t)
	mine := createNetsuite(t, first, "ERP", "finance")
	other := createNetsuite(t, second, "ERP", "finance")
	if mine.ID != other.ID {
		t.Fatalf("emulators with the same seed gave ids %d and %d; the test needs one id on two hosts", mine.ID, other.ID)
	}
	erp := fmt.Sprintf(`
import {
  to = opencon_instance.erp
  id = "%d"
}

resource "opencon_instance" "erp" {
  element_key = "netsuiteerp"
  name        = "ERP"
  tags        = ["finance"]
  configuration = {
    "user.username"      = "jane"
    "netsuite.accountId" = "TSTDRV1"
  }
}
`, mine.ID)
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   identityCLIs,
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{Config: first.providerConfig() + erp},
			{
				Config:      second.providerConfig() + erp,
				ExpectError: expectError(`Unexpected Identity Change`),
			},
			{Config: first.providerConfig() + erp, PlanOnly: true},
		},
	})
}

// TestReadOfADeletedInstanceWithoutIdentity: a state written by a CLI that
// knows no identity (Terraform 1.5) holds none; reading an instance deleted
// meanwhile must still remove it cleanly rather than fail for want of one.
func TestReadOfADeletedInstanceWithoutIdentity(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, erp := createAccount(t, e)
	p := newProtoProvider(t, e.baseURL, true)
	state, _ := p.importAndRead(erp.ID)
	if err := e.client.DeleteInstance(context.Background(), erp.ID); err != nil {
		t.Fatal(err)
	}
	resp, err := p.srv.ReadResource(context.Background(), &tfprotov6.ReadResourceRequest{
		TypeName: "opencon_instance", CurrentState: p.dynamic(state),
	})
	if err != nil || hasProtoError(resp.Diagnostics) {
		t.Fatalf("read of a deleted instance: %v %s", err, protoErrors(resp.Diagnostics))
	}
	if got := p.decode(resp.NewState, p.resourceType()); !got.IsNull() {
		t.Fatalf("the deleted instance stays in state: %v", got)
	}
}

// TestReadWithoutClientOrIdentityThenConfigured: a state that holds no
// identity (written by Terraform 1.5, or before identity existed), refreshed
// while the provider's configuration is unknown, keeps its state and gets an
// identity of the id alone; the next, configured read fills in the host
// instead of failing as an identity change. A host that differs is refused.
func TestReadWithoutClientOrIdentityThenConfigured(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, erp := createAccount(t, e)
	configured := newProtoProvider(t, e.baseURL, true)
	state, _ := configured.importAndRead(erp.ID)
	ctx := context.Background()

	unconfigured := newProtoProvider(t, e.baseURL, false)
	resp, err := unconfigured.srv.ReadResource(ctx, &tfprotov6.ReadResourceRequest{
		TypeName: "opencon_instance", CurrentState: unconfigured.dynamic(state),
	})
	if err != nil || hasProtoError(resp.Diagnostics) {
		t.Fatalf("unconfigured read: %v %s", err, protoErrors(resp.Diagnostics))
	}
	if got := unconfigured.decode(resp.NewState, unconfigured.resourceType()); !got.Equal(state) {
		t.Fatalf("unconfigured read changed the state:\n got %v\nwant %v", got, state)
	}
	if resp.NewIdentity == nil {
		t.Fatal("unconfigured read returned no identity")
	}
	idOnly := unconfigured.decode(resp.NewIdentity.IdentityData, unconfigured.idType)
	want := tftypes.NewValue(unconfigured.idType, map[string]tftypes.Value{
		"id":   tftypes.NewValue(tftypes.String, strconv.FormatInt(erp.ID, 10)),
		"host": tftypes.NewValue(tftypes.String, nil),
	})
	if !idOnly.Equal(want) {
		t.Fatalf("identity %v, want %v", idOnly, want)
	}

	resp, err = configured.srv.ReadResource(ctx, &tfprotov6.ReadResourceRequest{
		TypeName: "opencon_instance", CurrentState: configured.dynamic(state),
		CurrentIdentity: &tfprotov6.ResourceIdentityData{IdentityData: configured.dynamic(idOnly)},
	})
	if err != nil || hasProtoError(resp.Diagnostics) {
		t.Fatalf("configured read after the id-only identity: %v %s", err, protoErrors(resp.Diagnostics))
	}
	var got map[string]tftypes.Value
	if err := configured.decode(resp.NewIdentity.IdentityData, configured.idType).As(&got); err != nil {
		t.Fatal(err)
	}
	var host string
	if err := got["host"].As(&host); err != nil || host != apiHost(e.baseURL) {
		t.Fatalf("host %q (%v), want %q", host, err, apiHost(e.baseURL))
	}

	other := tftypes.NewValue(configured.idType, map[string]tftypes.Value{
		"id":   tftypes.NewValue(tftypes.String, strconv.FormatInt(erp.ID, 10)),
		"host": tftypes.NewValue(tftypes.String, "api.openconnectors.eu10.ext.hana.ondemand.com"),
	})
	resp, err = configured.srv.ReadResource(ctx, &tfprotov6.ReadResourceRequest{
		TypeName: "opencon_instance", CurrentState: configured.dynamic(state),
		CurrentIdentity: &tfprotov6.ResourceIdentityData{IdentityData: configured.dynamic(other)},
	})
	if err != nil || !strings.Contains(protoErrors(resp.Diagnostics), "instance of another platform host") {
		t.Fatalf("read of an instance of another host: %v %s, want it refused", err, protoErrors(resp.Diagnostics))
	}
}
