package provider

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// laterString is a configuration variable whose value is set by an earlier
// step: it is read only when its step writes the variables file.
type laterString struct{ value *string }

func (v laterString) MarshalJSON() ([]byte, error) {
	if *v.value == "" {
		return nil, fmt.Errorf("the variable was not set by an earlier step")
	}
	return json.Marshal(*v.value)
}

func TestAccOAuthURLDataSource_codeCreatesInstance(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	oauthURL := fmt.Sprintf(`
data "opencon_oauth_url" "gmail" {
  element_key  = "gmail"
  api_key      = %q
  api_secret   = %q
  callback_url = %q
  state        = "terraform-test"
}
`, testGmailClientID, testGmailClientSecret, testGmailRedirectURI)

	var code string
	instance := `
variable "code" {
  type      = string
  sensitive = true
}

resource "opencon_instance" "gmail" {
  element_key        = "gmail"
  name               = "From the OAuth URL"
  authorization_code = var.code
  oauth_api_key      = data.opencon_oauth_url.gmail.api_key
  oauth_api_secret   = data.opencon_oauth_url.gmail.api_secret
  oauth_callback_url = data.opencon_oauth_url.gmail.callback_url
}
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: e.providerConfig() + oauthURL,
				Check: func(s *terraform.State) error {
					raw := s.RootModule().Resources["data.opencon_oauth_url.gmail"].Primary.Attributes["url"]
					u, err := url.Parse(raw)
					if err != nil || u.Host == "" {
						return fmt.Errorf("url %q is not an absolute URL", raw)
					}
					q := u.Query()
					for k, want := range map[string]string{"client_id": testGmailClientID, "redirect_uri": testGmailRedirectURI, "state": "terraform-test", "response_type": "code"} {
						if got := q.Get(k); got != want {
							return fmt.Errorf("url %q: %s = %q, want %q", raw, k, got, want)
						}
					}
					if strings.Contains(raw, testGmailClientSecret) {
						return fmt.Errorf("url %q holds the client secret", raw)
					}
					// Reading the URL asks the platform for it and nothing else: no code is spent.
					for route, n := range e.emu.Stats() {
						if n > 0 && !strings.HasPrefix(route, "GET ") && !strings.HasPrefix(route, "events.") {
							return fmt.Errorf("reading the data source called %s %d times", route, n)
						}
					}
					// The browser's part: approve, take the code from the redirect.
					code = followOAuthURL(t, raw)
					return nil
				},
			},
			{
				Config:          e.providerConfig() + oauthURL + instance,
				ConfigVariables: config.Variables{"code": laterString{&code}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("opencon_instance.gmail", tfjsonpath.New("valid"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue("opencon_instance.gmail", tfjsonpath.New("token"), knownvalue.NotNull()),
				},
				Check: func(s *terraform.State) error {
					inst := serverInstance(t, e, s, "opencon_instance.gmail")
					if !inst.Valid {
						return fmt.Errorf("instance %d is not valid on the server", inst.ID)
					}
					var body struct {
						ProviderData map[string]string `json:"providerData"`
					}
					if err := json.Unmarshal(e.emu.LastRequest("POST /instances"), &body); err != nil {
						return err
					}
					return expectEqual("providerData.code", body.ProviderData["code"], code)
				},
			},
		},
	})
}

func TestAccOAuthURLDataSource_validation(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	args := map[string]string{"element_key": `"gmail"`, "api_key": `"id"`, "api_secret": `"secret"`, "callback_url": `"https://example.com/cb"`}
	render := func(override ...string) string {
		a := with(args, override...)
		var b strings.Builder
		b.WriteString(e.providerConfig() + "\ndata \"opencon_oauth_url\" \"x\" {\n")
		for _, k := range slices.Sorted(maps.Keys(a)) {
			if a[k] != "" {
				fmt.Fprintf(&b, "  %s = %s\n", k, a[k])
			}
		}
		b.WriteString("}\n")
		return b.String()
	}
	cases := []struct{ name, config, err string }{
		{"callback not http", render("callback_url", `"ftp://example.com/cb"`), `(?s)callback_url.*http:// or https://`},
		{"no api secret", render("api_secret", ""), `(?s)"api_secret" is required`},
		{"empty element", render("element_key", `""`), `(?s)element_key.*must not be empty`},
		{"element key with spaces", render("element_key", `" gmail "`), `(?s)element_key.*start or end with spaces; write\s+"gmail"`},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			e.expectRefusedBeforeAnyCall(t, c.config, c.err)
		})
	}
	// An element without OAuth: the platform's refusal is reported.
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps:                    []resource.TestStep{{Config: render("element_key", `"netsuiteerp"`), ExpectError: expectError(`(?s)Cannot get the OAuth URL.*does not use OAuth`)}},
	})
}
