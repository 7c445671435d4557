package provider

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/opencon/terraform-provider-opencon/internal/emulator"
)

// Paging, creates that survive transient faults, and hostile servers,
// through the provider under each CLI.

// TestAccInstancesDataSource_acrossPages: with pages of 2, five instances
// are five, and a filter spanning pages misses none.
func TestAccInstancesDataSource_acrossPages(t *testing.T) {
	e := newTestEnvWith(t, emulator.Options{Seed: 1, PageSize: 2})
	var ids []string
	for i := 1; i <= 5; i++ {
		ids = append(ids, fmt.Sprint(createNetsuite(t, e, "paged "+strconv.Itoa(i), "t"+strconv.Itoa(i%2)).ID))
	}
	byID := func(want ...string) knownvalue.Check {
		checks := make([]knownvalue.Check, len(want))
		for i, id := range want {
			checks[i] = knownvalue.ObjectPartial(map[string]knownvalue.Check{"id": knownvalue.StringExact(id)})
		}
		return knownvalue.ListExact(checks)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: e.providerConfig() + `
data "opencon_instances" "all" {}

data "opencon_instances" "odd" {
  tags = ["t1"]
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.opencon_instances.all", tfjsonpath.New("instances"), byID(ids...)),
				statecheck.ExpectKnownValue("data.opencon_instances.odd", tfjsonpath.New("instances"), byID(ids[0], ids[2], ids[4])),
			},
		}},
	})
}

func TestAccInstancesDataSource_emptyAccount(t *testing.T) {
	e := newTestEnvWith(t, emulator.Options{Seed: 1, PageSize: 2})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: e.providerConfig() + `
data "opencon_instances" "all" {}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.opencon_instances.all", tfjsonpath.New("instances"), knownvalue.ListExact([]knownvalue.Check{})),
			},
		}},
	})
}

// TestAccInstance_lostCreateInAThreePageAccount: the answer to the POST is
// lost in an account whose instances matching the name fill three pages;
// the lookup reads them all and adopts the new instance instead of leaving
// it behind or making a second one.
func TestAccInstance_lostCreateInAThreePageAccount(t *testing.T) {
	e := newTestEnvWith(t, emulator.Options{Seed: 1, PageSize: 2})
	for i := 1; i <= 4; i++ {
		createNetsuite(t, e, "erp old "+strconv.Itoa(i)) // found by searchText "erp"
	}
	e.emu.InjectFault("POST /instances", emulator.FaultDrop, 1)
	e.emu.ResetStats()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: e.providerConfig() + netsuiteResource,
			Check: func(s *terraform.State) error {
				if n := e.emu.InstanceCount(); n != 5 {
					return fmt.Errorf("the emulator holds %d instances, want 5", n)
				}
				if n := e.emu.Stats()["POST /instances"]; n != 1 {
					return fmt.Errorf("POST /instances was sent %d times, want 1", n)
				}
				if n := e.emu.Stats()["GET /instances"]; n < 3 {
					return fmt.Errorf("the lookup read %d pages, want 3", n)
				}
				inst := serverInstance(t, e, s, "opencon_instance.erp")
				return expectEqual("adopted instance", inst.Name, "erp")
			},
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
		}},
	})
}

// TestAccInstance_createRetriedWhenProvablyAbsent: a 503 to the POST
// (nothing applied); the lookup finds nothing twice, so the POST is sent
// again, and exactly one instance exists.
func TestAccInstance_createRetriedWhenProvablyAbsent(t *testing.T) {
	e := newTestEnv(t)
	e.emu.InjectFault("POST /instances", emulator.FaultUnavailable, 1)
	cfg := strings.Replace(e.providerConfig(), "max_retries         = 0", "max_retries         = 2", 1)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: cfg + netsuiteResource,
			Check: func(*terraform.State) error {
				if n := e.emu.InstanceCount(); n != 1 {
					return fmt.Errorf("the emulator holds %d instances, want 1", n)
				}
				if n := e.emu.Stats()["POST /instances"]; n != 2 {
					return fmt.Errorf("POST /instances was sent %d times, want 2", n)
				}
				return nil
			},
		}},
	})
}

// TestAccInstance_reauthenticationAnswerLost: the PATCH carrying a new code
// is applied but its answer lost. It is not sent again (the code would be
// spent twice); the diagnostic says the outcome is unknown and what to do,
// and a fresh code then re-authenticates with an empty plan after.
func TestAccInstance_reauthenticationAnswerLost(t *testing.T) {
	e := newTestEnv(t)
	first, second, third := e.authorizationCode(), e.authorizationCode(), e.authorizationCode()
	cfg := strings.Replace(e.providerConfig(), "max_retries         = 0", "max_retries         = 3", 1)
	config := func(code string) string {
		return strings.Replace(instanceConfig(e, "gmail", gmailArgs(code), changedMessagesBlock), e.providerConfig(), cfg, 1)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{Config: config(first)},
			{
				PreConfig: func() {
					e.emu.ResetStats()
					e.emu.InjectFault("PATCH /instances/{id}", emulator.FaultDrop, 1)
				},
				Config:      config(second),
				ExpectError: expectError(`(?s)Cannot tell whether the instance was updated.*outcome is unknown.*authenticate it again with a new code`),
			},
			{
				PreConfig: func() {
					if n := e.emu.Stats()["PATCH /instances/{id}"]; n != 1 {
						t.Errorf("the PATCH with a code was sent %d times, want once", n)
					}
				},
				Config: config(third),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

// hostileServer answers every API call in one broken way, echoing the
// Authorization header and the request body as a careless server might.
type hostileServer struct {
	name    string
	want    string // in the diagnostic, besides the request it names
	status  string // "" when the server answers nothing
	timeout string // request_timeout for the provider block
	handler func(w http.ResponseWriter, r *http.Request, echo string)
}

// TestAccHostileServers: a resource create and a data source read against
// servers that answer HTML, truncated JSON, redirects or nothing at all
// fail with a diagnostic naming the request, its status and request id,
// never a secret, and for the create one that says an instance may exist.
func TestAccHostileServers(t *testing.T) {
	if os.Getenv(resource.EnvTfAcc) == "" {
		t.Skipf("acceptance test: set %s=1", resource.EnvTfAcc)
	}
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	servers := []hostileServer{
		{name: "HTML 200", status: "200", want: `Content-Type is "text/html`, handler: func(w http.ResponseWriter, _ *http.Request, echo string) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = io.WriteString(w, "<html>Sign in to continue "+echo+"</html>")
		}},
		{name: "truncated JSON", status: "200", want: "cannot decode body", handler: func(w http.ResponseWriter, _ *http.Request, echo string) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `[{"id":1,"name":"`+echo)
		}},
		{name: "redirect elsewhere", status: "302", want: "redirecting to http://elsewhere.example: refused", handler: func(w http.ResponseWriter, r *http.Request, _ string) {
			// After a POST a 302 may mean "created, see there".
			w.Header().Set("Location", "http://elsewhere.example/steal")
			w.WriteHeader(http.StatusFound)
		}},
		{name: "never answers", timeout: "300ms", want: "no answer within the request timeout of 300ms", handler: func(_ http.ResponseWriter, r *http.Request, _ string) {
			select {
			case <-r.Context().Done():
			case <-stop:
			}
		}},
	}
	secrets := []string{testUserSecret, testOrganizationSecret, "hunter2"}
	for _, hs := range servers {
		t.Run(strings.ReplaceAll(hs.name, " ", "_"), func(t *testing.T) {
			var posts atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if r.Method == http.MethodPost {
					posts.Add(1)
				}
				w.Header().Set("Elements-Request-Id", "hostile-acc-rid")
				hs.handler(w, r, r.Header.Get("Authorization")+" "+string(body))
			}))
			t.Cleanup(srv.Close)
			timeout := ""
			if hs.timeout != "" {
				timeout = fmt.Sprintf("  request_timeout     = %q\n", hs.timeout)
			}
			block := fmt.Sprintf(`
provider "opencon" {
  base_url            = %q
  user_secret         = %q
  organization_secret = %q
  max_retries         = 0
%s}
`, srv.URL, testUserSecret, testOrganizationSecret, timeout)

			for _, c := range []struct {
				what, config, request string
				more                  []string
			}{
				{"create", block + netsuiteResource, "POST /instances", []string{"Cannot create the instance", "so one may exist", "import or delete it"}},
				{"data source", block + "\ndata \"opencon_instances\" \"all\" {}\n", "GET /instances", []string{"Cannot list instances"}},
			} {
				t.Run(c.what, func(t *testing.T) {
					wants := append([]string{c.request, hs.want}, c.more...)
					if hs.status != "" {
						wants = append(wants, hs.status, "hostile-acc-rid")
					}
					expectDiagnostic(t, c.config, wants, secrets)
				})
			}
			if n := posts.Load(); n != 1 {
				t.Errorf("POST /instances was sent %d times, want once", n)
			}
		})
	}
}

// expectDiagnostic applies config, which must fail with every text in
// wants (whitespace-insensitive, since the CLIs wrap lines) and none of
// secrets.
func expectDiagnostic(t *testing.T, config string, wants, secrets []string) {
	t.Helper()
	failed := false
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		ErrorCheck: func(err error) error {
			failed = true
			msg := strings.Join(strings.Fields(err.Error()), " ")
			for _, want := range wants {
				if !strings.Contains(msg, strings.Join(strings.Fields(want), " ")) {
					return fmt.Errorf("the diagnostic lacks %q: %w", want, err)
				}
			}
			// A secret has no spaces; removing them all also catches one
			// the CLI wrapped.
			squashed := strings.Join(strings.Fields(err.Error()), "")
			for _, s := range secrets {
				if strings.Contains(squashed, s) {
					return fmt.Errorf("the diagnostic reveals %q: %w", s, err)
				}
			}
			return nil
		},
		Steps: []resource.TestStep{{Config: config}},
	})
	if !failed {
		t.Error("the apply succeeded against a hostile server")
	}
}
