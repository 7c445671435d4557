package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/opencon/terraform-provider-opencon/internal/emulator"
	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

const (
	gmailAddr = "opencon_instance.gmail"
	// Loopback: the emulator may try to deliver events there.
	testEventCallbackURL = "http://127.0.0.1:1/events"
)

const changedMessagesBlock = `
  polling_resource {
    name     = "changed-messages"
    url      = "/hubs/general/changed-messages"
    id_field = "id"
  }`

// gmailArgs returns the documented Gmail polling example as arguments; tests
// change one at a time. An empty value leaves the argument out.
func gmailArgs(code string) map[string]string {
	return map[string]string{
		"element_key":                     `"gmail"`,
		"name":                            `"API Instance with Polling"`,
		"tags":                            `["Docs"]`,
		"authorization_code":              fmt.Sprintf("%q", code),
		"oauth_api_key":                   fmt.Sprintf("%q", testGmailClientID),
		"oauth_api_secret":                fmt.Sprintf("%q", testGmailClientSecret),
		"oauth_callback_url":              fmt.Sprintf("%q", testGmailRedirectURI),
		"event_notification_enabled":      "true",
		"event_notification_callback_url": fmt.Sprintf("%q", testEventCallbackURL),
		"event_poller_refresh_interval":   "15",
	}
}

func with(args map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(args))
	for k, v := range args {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func instanceConfig(e *testEnv, name string, args map[string]string, blocks string) string {
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(e.providerConfig())
	fmt.Fprintf(&b, "resource \"opencon_instance\" %q {\n", name)
	for _, k := range keys {
		if args[k] != "" {
			fmt.Fprintf(&b, "  %s = %s\n", k, args[k])
		}
	}
	b.WriteString(blocks)
	b.WriteString("\n}\n")
	return b.String()
}

func serverInstance(t *testing.T, e *testEnv, s *terraform.State, addr string) *opencon.Instance {
	t.Helper()
	rs, ok := s.RootModule().Resources[addr]
	if !ok {
		t.Fatalf("%s not in state", addr)
	}
	id, err := parseInstanceID(rs.Primary.ID)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := e.client.GetInstance(context.Background(), id)
	if err != nil {
		t.Fatalf("get instance %d: %v", id, err)
	}
	return inst
}

// documentedGmailExample is the reference's Gmail polling example as a user
// writes it. gmailArgs builds the same resource for the tests that vary it.
func documentedGmailExample(e *testEnv, code string) string {
	return e.providerConfig() + fmt.Sprintf(`
resource "opencon_instance" "gmail" {
  element_key = "gmail"
  name        = "API Instance with Polling"
  tags        = ["Docs"]

  authorization_code = %q
  oauth_api_key      = %q
  oauth_api_secret   = %q
  oauth_callback_url = %q

  event_notification_enabled      = true
  event_notification_callback_url = %q
  event_poller_refresh_interval   = 15

  polling_resource {
    name     = "changed-messages"
    url      = "/hubs/general/changed-messages"
    id_field = "id"
  }
}
`, code, testGmailClientID, testGmailClientSecret, testGmailRedirectURI, testEventCallbackURL)
}

func TestAccInstance_documentedGmailExample(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	code := e.authorizationCode()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: documentedGmailExample(e, code),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(gmailAddr, tfjsonpath.New("name"), knownvalue.StringExact("API Instance with Polling")),
					statecheck.ExpectKnownValue(gmailAddr, tfjsonpath.New("tags"), knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("Docs")})),
					statecheck.ExpectKnownValue(gmailAddr, tfjsonpath.New("event_poller_refresh_interval"), knownvalue.Int64Exact(15)),
					statecheck.ExpectKnownValue(gmailAddr, tfjsonpath.New("event_notification_enabled"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(gmailAddr, tfjsonpath.New("enabled"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(gmailAddr, tfjsonpath.New("valid"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(gmailAddr, tfjsonpath.New("element_id"), knownvalue.Int64Exact(6409)),
					statecheck.ExpectKnownValue(gmailAddr, tfjsonpath.New("external_authentication"), knownvalue.StringExact("none")),
					statecheck.ExpectKnownValue(gmailAddr, tfjsonpath.New("token"), knownvalue.NotNull()),
					statecheck.ExpectKnownValue(gmailAddr, tfjsonpath.New("created_date"), knownvalue.StringRegexp(expectError(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`))),
					statecheck.ExpectKnownValue(gmailAddr, tfjsonpath.New("polling_resource"), knownvalue.SetExact([]knownvalue.Check{
						knownvalue.ObjectPartial(map[string]knownvalue.Check{
							"name":     knownvalue.StringExact("changed-messages"),
							"url":      knownvalue.StringExact("/hubs/general/changed-messages"),
							"id_field": knownvalue.StringExact("id"),
						}),
					})),
				},
				Check: func(s *terraform.State) error {
					inst := serverInstance(t, e, s, gmailAddr)
					raw, _ := inst.ConfigValue(opencon.KeyEventPollerConfiguration)
					var pc map[string]map[string]any
					if err := json.Unmarshal([]byte(raw), &pc); err != nil {
						return fmt.Errorf("server poller configuration %q: %v", raw, err)
					}
					if pc["changed-messages"]["url"] != "/hubs/general/changed-messages" {
						return fmt.Errorf("server poller configuration %q lacks changed-messages", raw)
					}
					if v, _ := inst.ConfigValue(opencon.KeyEventNotificationCallbackURL); v != testEventCallbackURL {
						return fmt.Errorf("callback url on server = %q", v)
					}
					if got, _ := e.emu.SecretValue(inst.ID, opencon.KeyOAuthAPISecret); got != testGmailClientSecret {
						return fmt.Errorf("oauth.api.secret did not reach the server")
					}
					return nil
				},
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// A second plan is empty, also of the example as gmailArgs
				// builds it: the variations start from this very resource.
				Config:   instanceConfig(e, "gmail", gmailArgs(code), changedMessagesBlock),
				PlanOnly: true,
			},
		},
	})
	if n := e.emu.InstanceCount(); n != 0 {
		t.Fatalf("after destroy the emulator still holds %d instances", n)
	}
}

func TestAccInstance_pollingBlockOrderAndDefaults(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	code := e.authorizationCode()
	twoBlocks := func(first, second string) string { return first + second }
	messages := `
  polling_resource {
    name                   = "messages"
    url                    = "/hubs/general/messages?where=updated >= '$${gmtDate:yyyy-MM-dd'T'HH:mm:ss'Z'}'"
    id_field               = "id"
    filter_by_updated_date = true
    poll_delay             = 0
    page_size              = 50
    dates {
      updated_date_field  = "updatedDate"
      updated_date_format = "yyyy-MM-dd'T'HH:mm:ss'Z'"
      created_date_field  = "createdDate"
      created_date_format = "yyyy-MM-dd'T'HH:mm:ss'Z'"
    }
  }`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: instanceConfig(e, "gmail", gmailArgs(code), twoBlocks(changedMessagesBlock, messages)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// The same blocks in the other order are no change.
				Config: instanceConfig(e, "gmail", gmailArgs(code), twoBlocks(messages, changedMessagesBlock)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

func TestAccInstance_inPlaceUpdates(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	code := e.authorizationCode()
	base := gmailArgs(code)
	steps := []struct {
		name   string
		args   map[string]string
		blocks string
		check  func(*opencon.Instance) error
	}{
		{"documented example", base, changedMessagesBlock, nil},
		{"rename", with(base, "name", `"Renamed instance"`), changedMessagesBlock, func(i *opencon.Instance) error {
			return expectEqual("name", i.Name, "Renamed instance")
		}},
		{"tags", with(base, "name", `"Renamed instance"`, "tags", `["Docs", "prod"]`), changedMessagesBlock, func(i *opencon.Instance) error {
			sort.Strings(i.Tags)
			return expectEqual("tags", strings.Join(i.Tags, ","), "Docs,prod")
		}},
		{"refresh interval", with(base, "event_poller_refresh_interval", "5"), changedMessagesBlock, func(i *opencon.Instance) error {
			v, _ := i.ConfigValue(opencon.KeyEventPollerRefreshInterval)
			return expectEqual("refresh interval", v, "5")
		}},
		{"callback url", with(base, "event_notification_callback_url", `"http://127.0.0.1:2/other"`), changedMessagesBlock, func(i *opencon.Instance) error {
			return expectEqual("eventsNotificationCallbackUrl", i.EventsNotificationCallbackURL, "http://127.0.0.1:2/other")
		}},
		{"events off", with(base, "event_notification_enabled", "false"), changedMessagesBlock, func(i *opencon.Instance) error {
			return expectEqual("eventsEnabled", fmt.Sprint(i.EventsEnabled), "false")
		}},
		{"oauth callback url", with(base, "oauth_callback_url", `"https://auth.mycoolapp.com/oauth2"`), changedMessagesBlock, nil},
		{"oauth api key", with(base, "oauth_api_key", `"another-client-id"`), changedMessagesBlock, nil},
		{"oauth api secret", with(base, "oauth_api_secret", `"another-secret"`), changedMessagesBlock, nil},
		{"signature key", with(base, "event_notification_signature_key", `"sig-key-1"`), changedMessagesBlock, nil},
		{"configuration", with(base, "configuration", `{ "filter.response.nulls" = "false" }`), changedMessagesBlock, func(i *opencon.Instance) error {
			v, _ := i.ConfigValue("filter.response.nulls")
			return expectEqual("filter.response.nulls", v, "false")
		}},
		{"timeouts", base, changedMessagesBlock + "\n  timeouts {\n    create = \"5m\"\n    update = \"2m\"\n  }", nil},
		{"polling resource changed", base, strings.Replace(changedMessagesBlock, `id_field = "id"`, `id_field = "threadId"`, 1), func(i *opencon.Instance) error {
			v, _ := i.ConfigValue(opencon.KeyEventPollerConfiguration)
			if !strings.Contains(v, "threadId") {
				return fmt.Errorf("poller configuration %q lacks the new idField", v)
			}
			return nil
		}},
	}
	var testSteps []resource.TestStep
	for i, st := range steps {
		step := resource.TestStep{
			Config: instanceConfig(e, "gmail", st.args, st.blocks),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
		}
		if i > 0 {
			step.ConfigPlanChecks.PreApply = []plancheck.PlanCheck{plancheck.ExpectResourceAction(gmailAddr, plancheck.ResourceActionUpdate)}
		}
		if st.check != nil {
			check, name := st.check, st.name
			step.Check = func(s *terraform.State) error {
				if err := check(serverInstance(t, e, s, gmailAddr)); err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				return nil
			}
		}
		testSteps = append(testSteps, step)
	}
	// Removing every polling_resource block empties the poller configuration.
	testSteps = append(testSteps, resource.TestStep{
		Config: instanceConfig(e, "gmail", with(base, "event_notification_enabled", "false"), ""),
		ConfigPlanChecks: resource.ConfigPlanChecks{
			PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(gmailAddr, plancheck.ResourceActionUpdate)},
			PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
		},
		Check: func(s *terraform.State) error {
			raw, _ := serverInstance(t, e, s, gmailAddr).ConfigValue(opencon.KeyEventPollerConfiguration)
			var pc map[string]any
			if raw != "" {
				if err := json.Unmarshal([]byte(raw), &pc); err != nil {
					return err
				}
			}
			if len(pc) != 0 {
				return fmt.Errorf("the server still polls %s", raw)
			}
			return nil
		},
	})
	// Secrets the API masks still reach it on update.
	testSteps = append(testSteps, resource.TestStep{
		Config: instanceConfig(e, "gmail", with(base, "oauth_api_secret", `"rotated-secret"`, "event_notification_signature_key", `"sig-key-2"`), changedMessagesBlock),
		Check: func(s *terraform.State) error {
			inst := serverInstance(t, e, s, gmailAddr)
			if v, _ := e.emu.SecretValue(inst.ID, opencon.KeyOAuthAPISecret); v != "rotated-secret" {
				return fmt.Errorf("oauth.api.secret on server is not the rotated one")
			}
			if v, _ := e.emu.SecretValue(inst.ID, opencon.KeyEventNotificationSignatureKey); v != "sig-key-2" {
				return fmt.Errorf("signature key on server is not the rotated one")
			}
			return nil
		},
	})
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: testProviderFactories, Steps: testSteps})
}

func expectEqual(what, got, want string) error {
	if got != want {
		return fmt.Errorf("%s = %q, want %q", what, got, want)
	}
	return nil
}

func TestAccInstance_updateSendsOnlyWhatChanged(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	code := e.authorizationCode()
	base := gmailArgs(code)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{Config: instanceConfig(e, "gmail", base, changedMessagesBlock)},
			{
				Config: instanceConfig(e, "gmail", with(base, "event_poller_refresh_interval", "3"), changedMessagesBlock),
				Check: func(*terraform.State) error {
					var body map[string]any
					if err := json.Unmarshal(e.emu.LastRequest("PATCH /instances/{id}"), &body); err != nil {
						return fmt.Errorf("last PATCH body: %v", err)
					}
					want := `{"configuration":{"event.poller.refresh_interval":"3"}}`
					got, _ := json.Marshal(body)
					return expectEqual("PATCH body", string(got), want)
				},
			},
		},
	})
}

func TestAccInstance_replaceOnElementKey(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	gmail := instanceConfig(e, "x", with(gmailArgs(""), "authorization_code", "", "oauth_refresh_token", `"1//refresh"`), changedMessagesBlock)
	netsuite := e.providerConfig() + `
resource "opencon_instance" "x" {
  element_key = "netsuiteerp"
  name        = "erp"
  configuration = {
    "user.username"      = "jane"
    "netsuite.accountId" = "TSTDRV1"
  }
  sensitive_configuration = {
    "user.password" = "hunter2"
  }
}
`
	var firstID string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: gmail,
				Check: func(s *terraform.State) error {
					firstID = s.RootModule().Resources["opencon_instance.x"].Primary.ID
					return nil
				},
			},
			{
				Config: netsuite,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction("opencon_instance.x", plancheck.ResourceActionReplace)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: func(s *terraform.State) error {
					inst := serverInstance(t, e, s, "opencon_instance.x")
					if fmt.Sprint(inst.ID) == firstID {
						return fmt.Errorf("instance %s was not replaced", firstID)
					}
					if n := e.emu.InstanceCount(); n != 1 {
						return fmt.Errorf("the emulator holds %d instances after the replacement, want 1", n)
					}
					if v, _ := inst.ConfigValue("user.password"); v != opencon.MaskedValue {
						return fmt.Errorf("password comes back as %q, want it masked", v)
					}
					if v, _ := e.emu.SecretValue(inst.ID, "user.password"); v != "hunter2" {
						return fmt.Errorf("password did not reach the server")
					}
					return nil
				},
			},
		},
	})
}

func TestAccInstance_disableAndEnable(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	code := e.authorizationCode()
	base := gmailArgs(code)
	disabled := func(want bool) resource.TestCheckFunc {
		return func(s *terraform.State) error {
			return expectEqual("disabled", fmt.Sprint(serverInstance(t, e, s, gmailAddr).Disabled), fmt.Sprint(want))
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{Config: instanceConfig(e, "gmail", with(base, "enabled", "false"), changedMessagesBlock), Check: disabled(true)},
			{Config: instanceConfig(e, "gmail", with(base, "enabled", "true"), changedMessagesBlock), Check: disabled(false),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(gmailAddr, plancheck.ResourceActionUpdate)}}},
			{Config: instanceConfig(e, "gmail", with(base, "enabled", "false"), changedMessagesBlock), Check: disabled(true)},
			{Config: instanceConfig(e, "gmail", with(base, "enabled", ""), changedMessagesBlock), Check: disabled(false)},
		},
	})
}

func TestAccInstance_reauthenticateWithNewCode(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	first := e.authorizationCode()
	second := e.authorizationCode()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{Config: instanceConfig(e, "gmail", gmailArgs(first), changedMessagesBlock)},
			{
				Config: instanceConfig(e, "gmail", gmailArgs(second), changedMessagesBlock),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(gmailAddr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: func(*terraform.State) error {
					var body struct {
						ProviderData map[string]string `json:"providerData"`
					}
					if err := json.Unmarshal(e.emu.LastRequest("PATCH /instances/{id}"), &body); err != nil {
						return err
					}
					return expectEqual("providerData.code", body.ProviderData["code"], second)
				},
			},
			{
				// A code that was already spent is refused by the platform with a clear message.
				Config:      instanceConfig(e, "gmail", gmailArgs(first), changedMessagesBlock),
				ExpectError: expectError(`(?i)cannot update the instance(.|\n)*400`),
			},
		},
	})
}

func TestAccInstance_driftDeletedOutOfBand(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	code := e.authorizationCode()
	var firstID int64
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: instanceConfig(e, "gmail", gmailArgs(code), changedMessagesBlock),
				Check: func(s *terraform.State) error {
					firstID = serverInstance(t, e, s, gmailAddr).ID
					return nil
				},
			},
			{
				PreConfig: func() {
					if err := e.client.DeleteInstance(context.Background(), firstID); err != nil {
						t.Fatal(err)
					}
				},
				// The refresh notices the deletion and the plan creates the instance again.
				Config: instanceConfig(e, "gmail", gmailArgs(e.authorizationCode()), changedMessagesBlock),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(gmailAddr, plancheck.ResourceActionCreate)},
				},
				Check: func(s *terraform.State) error {
					if id := serverInstance(t, e, s, gmailAddr).ID; id == firstID {
						return fmt.Errorf("state still names the deleted instance %d", id)
					}
					return nil
				},
			},
		},
	})
}

func TestAccInstance_driftManagedKeyChangedOutOfBand(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	code := e.authorizationCode()
	var id int64
	cfg := instanceConfig(e, "gmail", with(gmailArgs(code), "configuration", `{ "filter.response.nulls" = "false" }`), changedMessagesBlock)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check: func(s *terraform.State) error {
					id = serverInstance(t, e, s, gmailAddr).ID
					return nil
				},
			},
			{
				PreConfig: func() {
					interval, nulls, name := "30", "true", "renamed elsewhere"
					_, err := e.client.UpdateInstance(context.Background(), id, opencon.UpdateInstanceRequest{
						Name: &name,
						Configuration: map[string]any{
							opencon.KeyEventPollerRefreshInterval: interval, "filter.response.nulls": nulls,
							opencon.KeyEventPollerConfiguration: `{"threads":{"url":"/hubs/general/threads"}}`,
						},
					})
					if err != nil {
						t.Fatal(err)
					}
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(gmailAddr, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(gmailAddr, tfjsonpath.New("event_poller_refresh_interval"), knownvalue.Int64Exact(15)),
						plancheck.ExpectKnownValue(gmailAddr, tfjsonpath.New("name"), knownvalue.StringExact("API Instance with Polling")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: func(s *terraform.State) error {
					inst := serverInstance(t, e, s, gmailAddr)
					v, _ := inst.ConfigValue(opencon.KeyEventPollerRefreshInterval)
					if err := expectEqual("refresh interval", v, "15"); err != nil {
						return err
					}
					v, _ = inst.ConfigValue("filter.response.nulls")
					if err := expectEqual("filter.response.nulls", v, "false"); err != nil {
						return err
					}
					v, _ = inst.ConfigValue(opencon.KeyEventPollerConfiguration)
					if !strings.Contains(v, "changed-messages") || strings.Contains(v, "threads") {
						return fmt.Errorf("poller configuration not restored: %s", v)
					}
					return nil
				},
			},
		},
	})
}

// importIgnore lists what the API never returns: secrets (masked) and
// one-time codes. The docs' import section names the same list.
var importIgnore = []string{"authorization_code", "oauth_api_key", "oauth_api_secret", "event_notification_signature_key", "oauth_refresh_token", "sensitive_configuration"}

func TestAccInstance_importByCLIAndBlock(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	code := e.authorizationCode()
	// What the API never returns: the code and the secrets it masks.
	secrets := fmt.Sprintf(`
  authorization_code               = %q
  oauth_api_key                    = %q
  oauth_api_secret                 = %q
  event_notification_signature_key = "sig"
`, code, testGmailClientID, testGmailClientSecret)
	instance := func(secrets string) string {
		return e.providerConfig() + fmt.Sprintf(`
resource "opencon_instance" "gmail" {
  element_key = "gmail"
  name        = "API Instance with Polling"
  tags        = ["Docs"]
%s
  oauth_callback_url              = %q
  event_notification_enabled      = true
  event_notification_callback_url = %q
  event_poller_refresh_interval   = 15

  configuration = {
    "filter.response.nulls" = "false"
  }

  polling_resource {
    name     = "changed-messages"
    url      = "/hubs/general/changed-messages"
    id_field = "id"
  }
}
`, secrets, testGmailRedirectURI, testEventCallbackURL)
	}
	cfg, withoutSecrets := instance(secrets), instance("")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				Config:                  cfg,
				ResourceName:            gmailAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: importIgnore,
			},
			{
				// With an import block, leaving out what the API never returns gives an empty plan.
				Config:          withoutSecrets,
				ResourceName:    gmailAddr,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
			},
			{
				// With them, the plan adopts them and nothing else.
				Config:             cfg,
				ResourceName:       gmailAddr,
				ImportState:        true,
				ImportStateKind:    resource.ImportBlockWithID,
				ExpectNonEmptyPlan: true,
				ImportPlanChecks: resource.ImportPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(gmailAddr, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(gmailAddr, tfjsonpath.New("name"), knownvalue.StringExact("API Instance with Polling")),
					},
				},
			},
		},
	})
}

func TestAccInstance_importWithoutSecretsIsEmptyPlan(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	// An instance made outside Terraform, imported with a configuration that
	// leaves out what cannot be read back: the plan after import is empty.
	inst, err := e.client.CreateInstance(context.Background(), opencon.CreateInstanceRequest{
		Element: &opencon.ElementRef{Key: "netsuiteerp"},
		Name:    "existing erp",
		Tags:    []string{"finance"},
		Configuration: map[string]any{
			"user.username": "jane", "user.password": "hunter2", "netsuite.accountId": "TSTDRV1", "netsuite.sandbox": true,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.providerConfig() + fmt.Sprintf(`
import {
  to = opencon_instance.erp
  id = "%d"
}

resource "opencon_instance" "erp" {
  element_key = "netsuiteerp"
  name        = "existing erp"
  tags        = ["finance"]
  configuration = {
    "user.username"      = "jane"
    "netsuite.accountId" = "TSTDRV1"
    "netsuite.sandbox"   = "true"
  }
}
`, inst.ID)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("opencon_instance.erp", plancheck.ResourceActionNoop)},
				},
			},
		},
	})
}

func TestAccInstance_fromRefreshToken(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: instanceConfig(e, "gmail", with(gmailArgs(""), "authorization_code", "", "oauth_refresh_token", `"1//refresh-token-from-ci"`), changedMessagesBlock),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(gmailAddr, tfjsonpath.New("external_authentication"), knownvalue.StringExact("initial")),
				},
				Check: func(s *terraform.State) error {
					inst := serverInstance(t, e, s, gmailAddr)
					v, _ := e.emu.SecretValue(inst.ID, opencon.KeyOAuthUserRefreshToken)
					return expectEqual("refresh token on server", v, "1//refresh-token-from-ci")
				},
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

func TestAccInstance_validation(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	base := gmailArgs("some-code")
	cases := []struct {
		name   string
		config string
		err    string
	}{
		{"refresh interval below 1", instanceConfig(e, "gmail", with(base, "event_poller_refresh_interval", "0"), changedMessagesBlock),
			`(?s)event_poller_refresh_interval must be a whole number from 1 to\s+2147483647,\s+not\s+0\.`},
		{"polling resource without url", instanceConfig(e, "gmail", base, "\n  polling_resource {\n    name = \"changed-messages\"\n  }"),
			`(?s)"url" is required`},
		{"two polling resources with one name", instanceConfig(e, "gmail", base, changedMessagesBlock+changedMessagesBlock+"\n  polling_resource {\n    name = \"changed-messages\"\n    url = \"/hubs/general/other\"\n  }"),
			`(?s)Duplicate polling_resource name.*changed-messages`},
		{"callback url not http", instanceConfig(e, "gmail", with(base, "event_notification_callback_url", `"ftp://example.com/x"`), changedMessagesBlock),
			`(?s)event_notification_callback_url.*http:// or https://`},
		{"events without callback", instanceConfig(e, "gmail", with(base, "event_notification_callback_url", ""), changedMessagesBlock),
			`(?s)Missing event callback URL.*event_notification_enabled = true`},
		{"code and refresh token", instanceConfig(e, "gmail", with(base, "oauth_refresh_token", `"rt"`), changedMessagesBlock),
			`(?s)authorization_code.*oauth_refresh_token`},
		{"configuration key owned by an argument", instanceConfig(e, "gmail", with(base, "configuration", `{ "event.poller.refresh_interval" = "5" }`), changedMessagesBlock),
			`(?s)configuration = \{ "event.poller.refresh_interval".*is set through the\s+"event_poller_refresh_interval" argument`},
		{"empty element key", instanceConfig(e, "gmail", with(base, "element_key", `""`), changedMessagesBlock),
			`(?s)element_key.*must not be empty`},
		{"empty name", instanceConfig(e, "gmail", with(base, "name", `""`), changedMessagesBlock),
			`(?s)name.*at least 1`},
		{"tag the platform would rewrite", instanceConfig(e, "gmail", with(base, "tags", `["<b>prod</b>"]`), changedMessagesBlock),
			`(?s)Tag rewritten by the platform.*would\s+be stored as "prod"`},
		// Issue 9.3: one key in both maps; the sensitive value is never shown.
		{"key in both configuration maps", instanceConfig(e, "gmail", with(base,
			"configuration", `{ "filter.response.nulls" = "false" }`, "sensitive_configuration", `{ "filter.response.nulls" = "s3cret-value" }`), changedMessagesBlock),
			`(?s)Configuration key set twice.*configuration = \{ "filter.response.nulls" = "false" \}.*"filter.response.nulls" is set in both`},
		// Issue 9.6: null elements.
		{"null tag", instanceConfig(e, "gmail", with(base, "tags", `[null, "a"]`), changedMessagesBlock), `(?s)tags.*null value`},
		{"null configuration value", instanceConfig(e, "gmail", with(base, "configuration", `{ "a" = null }`), changedMessagesBlock), `(?s)configuration.*null value`},
		{"null sensitive value", instanceConfig(e, "gmail", with(base, "sensitive_configuration", `{ "a" = null }`), changedMessagesBlock), `(?s)sensitive_configuration.*null value`},
		// Issue 9.8: what the platform strips or cannot hold.
		{"blank name", instanceConfig(e, "gmail", with(base, "name", `"   "`), changedMessagesBlock), `(?s)Empty name.*nothing of "   "`},
		{"name of tags only", instanceConfig(e, "gmail", with(base, "name", `"<b></b>"`), changedMessagesBlock), `(?s)Empty name.*nothing of "<b></b>"`},
		{"blank polling url", instanceConfig(e, "gmail", base, "\n  polling_resource {\n    name = \"changed-messages\"\n    url  = \"   \"\n  }"),
			`(?s)url.*must contain a character other than white space`},
		{"refresh interval above the platform's int", instanceConfig(e, "gmail", with(base, "event_poller_refresh_interval", "2147483648"), changedMessagesBlock),
			`(?s)event_poller_refresh_interval must be a whole number from 1 to\s+2147483647,\s+not\s+2147483648\.`},
		{"page size above the platform's int", instanceConfig(e, "gmail", base, strings.Replace(changedMessagesBlock, `id_field = "id"`, `id_field = "id"`+"\n    page_size = 2147483648", 1)),
			`(?s)page_size must be a whole number from 1 to\s+2147483647`},
		{"created check tolerance above the platform's int", instanceConfig(e, "gmail", base, strings.Replace(changedMessagesBlock, `id_field = "id"`, `id_field = "id"`+"\n    created_check_tolerance = 1e12", 1)),
			`(?s)created_check_tolerance must be a whole number from 0 to\s+2147483647,\s+not\s+1000000000000\.`},
		{"element key with spaces", instanceConfig(e, "gmail", with(base, "element_key", `" gmail"`), changedMessagesBlock),
			`(?s)element_key.*start or end with spaces; write\s+"gmail"`},
		{"configuration key with spaces", instanceConfig(e, "gmail", with(base, "configuration", `{ " filter.response.nulls" = "false" }`), changedMessagesBlock),
			`(?s)Configuration key with surrounding spaces`},
		// Issue 9.10: a fraction for an integer.
		{"fractional refresh interval", instanceConfig(e, "gmail", with(base, "event_poller_refresh_interval", "1.5"), changedMessagesBlock),
			`(?s)event_poller_refresh_interval must be a whole number from 1 to\s+2147483647,\s+not\s+1\.5\.`},
		{"fractional poll delay", instanceConfig(e, "gmail", base, strings.Replace(changedMessagesBlock, `id_field = "id"`, `id_field = "id"`+"\n    poll_delay = 0.5", 1)),
			`(?s)poll_delay must be a whole number from 0 to\s+2147483647,\s+not\s+0\.5\.`},
		{"fractional version", instanceConfig(e, "gmail", with(base, "oauth_api_secret_wo_version", "1.5"), changedMessagesBlock),
			`(?s)oauth_api_secret_wo_version must be a whole number,\s+not\s+1\.5\.`},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			e.expectRefusedBeforeAnyCall(t, c.config, c.err)
		})
	}
}

func TestAccInstance_ambiguousCreateAdoptsTheInstance(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	code := e.authorizationCode()
	e.emu.InjectFault("POST /instances", emulator.FaultDrop, 1)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: instanceConfig(e, "gmail", gmailArgs(code), changedMessagesBlock),
				Check: func(s *terraform.State) error {
					if n := e.emu.InstanceCount(); n != 1 {
						return fmt.Errorf("the emulator holds %d instances, want exactly 1", n)
					}
					if n := e.emu.Stats()["POST /instances"]; n != 1 {
						return fmt.Errorf("POST /instances was sent %d times, want 1 (no blind retry)", n)
					}
					list, err := e.client.ListInstances(context.Background(), opencon.ListInstancesOptions{})
					if err != nil {
						return err
					}
					return expectEqual("id in state", s.RootModule().Resources[gmailAddr].Primary.ID, fmt.Sprint(list[0].ID))
				},
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}
