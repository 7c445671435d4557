package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// createGmail makes a Gmail instance through the API, with two polled
// resources (one with a dates configuration), and returns it as read back.
func createGmail(t *testing.T, e *testEnv, name string, tags ...string) *opencon.Instance {
	t.Helper()
	inst, err := e.client.CreateInstance(context.Background(), opencon.CreateInstanceRequest{
		Element:      &opencon.ElementRef{Key: "gmail"},
		Name:         name,
		Tags:         tags,
		ProviderData: map[string]string{"code": e.authorizationCode()},
		Configuration: map[string]any{
			opencon.KeyOAuthAPIKey:                  testGmailClientID,
			opencon.KeyOAuthAPISecret:               testGmailClientSecret,
			opencon.KeyOAuthCallbackURL:             testGmailRedirectURI,
			opencon.KeyEventNotificationEnabled:     true,
			opencon.KeyEventNotificationCallbackURL: testEventCallbackURL,
			opencon.KeyEventPollerRefreshInterval:   "15",
			opencon.KeyEventPollerConfiguration: map[string]any{
				"changed-messages": map[string]any{"url": "/hubs/general/changed-messages", "idField": "id"},
				"messages": map[string]any{
					"url": "/hubs/general/messages", "idField": "id", "pageSize": 50, "filterByUpdatedDate": false,
					"datesConfiguration": map[string]any{
						"updatedDateField": "updatedDate", "updatedDateFormat": "yyyy-MM-dd'T'HH:mm:ss'Z'", "updatedDateTimezone": "GMT",
					},
				},
			},
		},
	})
	if err != nil {
		t.Fatalf("create gmail instance %q: %v", name, err)
	}
	return getInstance(t, e, inst.ID)
}

// createNetsuite makes a NetSuite ERP instance (basic authentication, a
// PASSWORD key) through the API.
func createNetsuite(t *testing.T, e *testEnv, name string, tags ...string) *opencon.Instance {
	t.Helper()
	inst, err := e.client.CreateInstance(context.Background(), opencon.CreateInstanceRequest{
		Element: &opencon.ElementRef{Key: "netsuiteerp"},
		Name:    name,
		Tags:    tags,
		Configuration: map[string]any{
			"user.username": "jane", "user.password": "hunter2", "netsuite.accountId": "TSTDRV1",
		},
	})
	if err != nil {
		t.Fatalf("create netsuite instance %q: %v", name, err)
	}
	return getInstance(t, e, inst.ID)
}

func getInstance(t *testing.T, e *testEnv, id int64) *opencon.Instance {
	t.Helper()
	inst, err := e.client.GetInstance(context.Background(), id)
	if err != nil {
		t.Fatalf("get instance %d: %v", id, err)
	}
	return inst
}

func TestAccInstanceDataSource_lookups(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	gmail := createGmail(t, e, "Mailbox", "Docs", "prod")
	erp := createNetsuite(t, e, "<b>ERP</b> main", "finance")
	// Names that contain "ERP main" but are not it: an exact lookup ignores them.
	createNetsuite(t, e, "ERP main (old)")
	createNetsuite(t, e, "erp MAIN")
	if erp.Name != "ERP main" {
		t.Fatalf("the emulator stored the name as %q, want the HTML stripped", erp.Name)
	}

	cfg := e.providerConfig() + fmt.Sprintf(`
data "opencon_instance" "by_id" {
  id = "%d"
}

data "opencon_instance" "by_name" {
  name = "Mailbox"
}

data "opencon_instance" "by_html_name_and_element" {
  name        = "<i>ERP main</i>"
  element_key = "netsuiteerp"
}
`, gmail.ID)

	const byID, byName, erpAddr = "data.opencon_instance.by_id", "data.opencon_instance.by_name", "data.opencon_instance.by_html_name_and_element"
	pollingResources := knownvalue.ListExact([]knownvalue.Check{
		knownvalue.ObjectExact(map[string]knownvalue.Check{
			"name":                    knownvalue.StringExact("changed-messages"),
			"url":                     knownvalue.StringExact("/hubs/general/changed-messages"),
			"id_field":                knownvalue.StringExact("id"),
			"filter_by_updated_date":  knownvalue.Null(),
			"page_size":               knownvalue.Null(),
			"poll_delay":              knownvalue.Null(),
			"created_check_tolerance": knownvalue.Null(),
			"dates":                   knownvalue.Null(),
		}),
		knownvalue.ObjectExact(map[string]knownvalue.Check{
			"name":                    knownvalue.StringExact("messages"),
			"url":                     knownvalue.StringExact("/hubs/general/messages"),
			"id_field":                knownvalue.StringExact("id"),
			"filter_by_updated_date":  knownvalue.Bool(false),
			"page_size":               knownvalue.Int64Exact(50),
			"poll_delay":              knownvalue.Null(),
			"created_check_tolerance": knownvalue.Null(),
			"dates": knownvalue.ObjectExact(map[string]knownvalue.Check{
				"updated_date_field":    knownvalue.StringExact("updatedDate"),
				"updated_date_format":   knownvalue.StringExact("yyyy-MM-dd'T'HH:mm:ss'Z'"),
				"updated_date_timezone": knownvalue.StringExact("GMT"),
				"created_date_field":    knownvalue.Null(),
				"created_date_format":   knownvalue.Null(),
				"created_date_timezone": knownvalue.Null(),
			}),
		}),
	})
	gmailChecks := func(addr string) []statecheck.StateCheck {
		return []statecheck.StateCheck{
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringExact(fmt.Sprint(gmail.ID))),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("name"), knownvalue.StringExact("Mailbox")),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("element_key"), knownvalue.StringExact("gmail")),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("element_id"), knownvalue.Int64Exact(6409)),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("tags"), knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("Docs"), knownvalue.StringExact("prod")})),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("valid"), knownvalue.Bool(true)),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("enabled"), knownvalue.Bool(true)),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("created_date"), knownvalue.StringExact(gmail.CreatedDate)),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("token"), knownvalue.StringExact(gmail.Token)),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("external_authentication"), knownvalue.StringExact("none")),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("event_notification_enabled"), knownvalue.Bool(true)),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("event_notification_callback_url"), knownvalue.StringExact(testEventCallbackURL)),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("event_poller_refresh_interval"), knownvalue.Int64Exact(15)),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("polling_resource"), pollingResources),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("configuration"), knownvalue.MapPartial(map[string]knownvalue.Check{
				opencon.KeyOAuthCallbackURL:           knownvalue.StringExact(testGmailRedirectURI),
				opencon.KeyEventPollerRefreshInterval: knownvalue.StringExact("15"),
			})),
		}
	}
	checks := append(gmailChecks(byID), gmailChecks(byName)...)
	checks = append(checks,
		statecheck.ExpectKnownValue(erpAddr, tfjsonpath.New("id"), knownvalue.StringExact(fmt.Sprint(erp.ID))),
		// The configured form of the name is kept: it means the stored one.
		statecheck.ExpectKnownValue(erpAddr, tfjsonpath.New("name"), knownvalue.StringExact("<i>ERP main</i>")),
		statecheck.ExpectKnownValue(erpAddr, tfjsonpath.New("element_key"), knownvalue.StringExact("netsuiteerp")),
		statecheck.ExpectKnownValue(erpAddr, tfjsonpath.New("token"), knownvalue.StringExact(erp.Token)),
		statecheck.ExpectKnownValue(erpAddr, tfjsonpath.New("polling_resource"), knownvalue.ListSizeExact(0)),
		statecheck.ExpectKnownValue(erpAddr, tfjsonpath.New("event_notification_enabled"), knownvalue.Bool(false)),
		statecheck.ExpectKnownValue(erpAddr, tfjsonpath.New("configuration"), knownvalue.MapPartial(map[string]knownvalue.Check{
			"user.username":      knownvalue.StringExact("jane"),
			"netsuite.accountId": knownvalue.StringExact("TSTDRV1"),
		})),
	)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config:            cfg,
			ConfigStateChecks: checks,
			Check: resource.ComposeAggregateTestCheckFunc(
				noSecretsInConfiguration(byID, gmail),
				noSecretsInConfiguration(byName, gmail),
				noSecretsInConfiguration(erpAddr, erp),
				// The exclusions above are not vacuous: the API does return those keys, masked.
				func(*terraform.State) error {
					if v, _ := gmail.ConfigValue(opencon.KeyOAuthAPISecret); v != opencon.MaskedValue {
						return fmt.Errorf("the API returned oauth.api.secret as %q, want it masked", v)
					}
					if v, _ := erp.ConfigValue("user.password"); v != opencon.MaskedValue {
						return fmt.Errorf("the API returned user.password as %q, want it masked", v)
					}
					return nil
				},
			),
		}},
	})
}

// noSecretsInConfiguration checks that the data source's configuration has
// no masked value, no secret key and no value the server keeps secret.
func noSecretsInConfiguration(addr string, inst *opencon.Instance) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[addr]
		if !ok {
			return fmt.Errorf("%s not in state", addr)
		}
		n := 0
		for k, v := range rs.Primary.Attributes {
			key, ok := strings.CutPrefix(k, "configuration.")
			if !ok || key == "%" {
				continue
			}
			n++
			if v == opencon.MaskedValue {
				return fmt.Errorf("%s: configuration[%q] is the masked value", addr, key)
			}
			if opencon.IsSecretKey(key) {
				return fmt.Errorf("%s: configuration holds the secret key %q", addr, key)
			}
			for _, secret := range []string{testGmailClientSecret, testGmailClientID, "hunter2", inst.Token} {
				if strings.Contains(v, secret) {
					return fmt.Errorf("%s: configuration[%q] holds a secret", addr, key)
				}
			}
		}
		if n == 0 {
			return fmt.Errorf("%s: configuration is empty", addr)
		}
		return nil
	}
}

func TestAccInstanceDataSource_ambiguousAndMissing(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	first := createNetsuite(t, e, "shared name")
	second := createGmail(t, e, "shared name")

	lookup := func(args string) string {
		return e.providerConfig() + "\ndata \"opencon_instance\" \"x\" {\n" + args + "\n}\n"
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				// Two instances with the name: the error counts them and names both ids.
				Config:      lookup(`name = "shared name"`),
				ExpectError: expectError(fmt.Sprintf(`(?s)Found 2 instances named "shared name":\s+ids\s+%d,\s+%d`, first.ID, second.ID)),
			},
			{
				// element_key tells them apart.
				Config: lookup(`
  name        = "shared name"
  element_key = "gmail"`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.opencon_instance.x", tfjsonpath.New("id"), knownvalue.StringExact(fmt.Sprint(second.ID))),
				},
			},
			{
				Config:      lookup(`name = "no such instance"`),
				ExpectError: expectError(`(?s)Found 0 instances named "no such instance"`),
			},
			{
				// A name that only differs by case is not a match.
				Config:      lookup(`name = "SHARED NAME"`),
				ExpectError: expectError(`(?s)Found 0 instances named "SHARED NAME"`),
			},
			{
				Config: lookup(`
  name        = "shared name"
  element_key = "salesforce"`),
				ExpectError: expectError(`(?s)Found 0 instances named "shared name" of element\s+"salesforce"`),
			},
			{
				Config:      lookup(`id = "999999"`),
				ExpectError: expectError(`(?s)No instance with id 999999`),
			},
		},
	})
}

func TestAccInstanceDataSource_validation(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	cases := []struct{ name, args, err string }{
		{"neither id nor name", `element_key = "gmail"`, `(?s)Exactly one of these attributes must be configured: \[id,name\]`},
		{"id and name", "id = \"1\"\n  name = \"x\"", `(?s)Invalid Attribute Combination.*(id|name)`},
		{"id and element_key", "id = \"1\"\n  element_key = \"gmail\"", `(?s)Invalid Attribute Combination.*element_key`},
		{"id not a number", `id = "abc"`, `(?s)instance ids are positive whole numbers`},
		{"name stripped to nothing", `name = "<b> </b>"`, `(?s)Empty name.*nothing of "<b> </b>"`},
		{"element key with spaces", "name = \"x\"\n  element_key = \"gmail \"", `(?s)element_key.*start or end with spaces`},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			e.expectRefusedBeforeAnyCall(t, e.providerConfig()+"\ndata \"opencon_instance\" \"x\" {\n  "+c.args+"\n}\n", c.err)
		})
	}
}

func TestAccInstanceDataSource_besideTheResource(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	cfg := e.providerConfig() + `
resource "opencon_instance" "erp" {
  element_key = "netsuiteerp"
  name        = "erp"
  tags        = ["finance"]
  configuration = {
    "user.username"      = "jane"
    "netsuite.accountId" = "TSTDRV1"
  }
  sensitive_configuration = {
    "user.password" = "hunter2"
  }
}

data "opencon_instance" "by_id" {
  id = opencon_instance.erp.id
}

data "opencon_instance" "by_name" {
  name        = opencon_instance.erp.name
  element_key = opencon_instance.erp.element_key
}
`
	same := func(attr string) []statecheck.StateCheck {
		return []statecheck.StateCheck{
			statecheck.CompareValuePairs("opencon_instance.erp", tfjsonpath.New(attr), "data.opencon_instance.by_id", tfjsonpath.New(attr), compare.ValuesSame()),
			statecheck.CompareValuePairs("opencon_instance.erp", tfjsonpath.New(attr), "data.opencon_instance.by_name", tfjsonpath.New(attr), compare.ValuesSame()),
		}
	}
	var checks []statecheck.StateCheck
	for _, attr := range []string{"id", "token", "tags", "element_id", "created_date", "valid", "enabled", "external_authentication"} {
		checks = append(checks, same(attr)...)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config:            cfg,
			ConfigStateChecks: checks,
			Check: func(s *terraform.State) error {
				inst := serverInstance(t, e, s, "opencon_instance.erp")
				for _, addr := range []string{"data.opencon_instance.by_id", "data.opencon_instance.by_name"} {
					if err := noSecretsInConfiguration(addr, inst)(s); err != nil {
						return err
					}
					if _, ok := s.RootModule().Resources[addr].Primary.Attributes["configuration.user.password"]; ok {
						return fmt.Errorf("%s: configuration holds user.password", addr)
					}
				}
				return nil
			},
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
		}},
	})
}
