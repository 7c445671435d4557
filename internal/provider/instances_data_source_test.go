package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// instanceList expects the instances, in this order, by id and name.
func instanceList(insts ...*opencon.Instance) knownvalue.Check {
	checks := make([]knownvalue.Check, 0, len(insts))
	for _, inst := range insts {
		checks = append(checks, knownvalue.ObjectPartial(map[string]knownvalue.Check{
			"id":   knownvalue.StringExact(fmt.Sprint(inst.ID)),
			"name": knownvalue.StringExact(inst.Name),
		}))
	}
	return knownvalue.ListExact(checks)
}

func TestAccInstancesDataSource_filters(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	alphaOne := createNetsuite(t, e, "Alpha One", "x", "y")
	alphaTwo := createGmail(t, e, "alpha two", "x")
	beta := createNetsuite(t, e, "Beta", "y")
	if err := e.client.DisableInstance(context.Background(), beta.ID); err != nil {
		t.Fatal(err)
	}

	cfg := e.providerConfig() + `
data "opencon_instances" "all" {}

data "opencon_instances" "tag_x" {
  tags = ["x"]
}

data "opencon_instances" "tags_x_and_y" {
  tags = ["x", "y"]
}

data "opencon_instances" "name_alpha" {
  name_contains = "ALPHA"
}

data "opencon_instances" "name_and_tag" {
  name_contains = "two"
  tags          = ["x"]
}

data "opencon_instances" "no_name_match" {
  name_contains = "nothing like it"
}

data "opencon_instances" "no_tag_match" {
  tags = ["x", "unknown-tag"]
}

data "opencon_instances" "name_and_tag_disjoint" {
  name_contains = "beta"
  tags          = ["x"]
}
`
	instances := tfjsonpath.New("instances")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.opencon_instances.all", instances, instanceList(alphaOne, alphaTwo, beta)),
				statecheck.ExpectKnownValue("data.opencon_instances.tag_x", instances, instanceList(alphaOne, alphaTwo)),
				statecheck.ExpectKnownValue("data.opencon_instances.tags_x_and_y", instances, instanceList(alphaOne)),
				statecheck.ExpectKnownValue("data.opencon_instances.name_alpha", instances, instanceList(alphaOne, alphaTwo)),
				statecheck.ExpectKnownValue("data.opencon_instances.name_and_tag", instances, instanceList(alphaTwo)),
				statecheck.ExpectKnownValue("data.opencon_instances.no_name_match", instances, knownvalue.ListSizeExact(0)),
				statecheck.ExpectKnownValue("data.opencon_instances.no_tag_match", instances, knownvalue.ListSizeExact(0)),
				statecheck.ExpectKnownValue("data.opencon_instances.name_and_tag_disjoint", instances, knownvalue.ListSizeExact(0)),
				// Every field of an item.
				statecheck.ExpectKnownValue("data.opencon_instances.all", instances, knownvalue.ListPartial(map[int]knownvalue.Check{
					1: knownvalue.ObjectExact(map[string]knownvalue.Check{
						"id":           knownvalue.StringExact(fmt.Sprint(alphaTwo.ID)),
						"name":         knownvalue.StringExact("alpha two"),
						"element_key":  knownvalue.StringExact("gmail"),
						"tags":         knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("x")}),
						"valid":        knownvalue.Bool(true),
						"enabled":      knownvalue.Bool(true),
						"created_date": knownvalue.StringExact(alphaTwo.CreatedDate),
					}),
					2: knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"element_key": knownvalue.StringExact("netsuiteerp"),
						"enabled":     knownvalue.Bool(false),
					}),
				})),
			},
			Check: noTokensIn("data.opencon_instances.all", alphaOne, alphaTwo, beta),
		}},
	})
}

// noTokensIn checks that no attribute of addr holds an instance token.
func noTokensIn(addr string, insts ...*opencon.Instance) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[addr]
		if !ok {
			return fmt.Errorf("%s not in state", addr)
		}
		for k, v := range rs.Primary.Attributes {
			for _, inst := range insts {
				if inst.Token == "" {
					return fmt.Errorf("instance %d has no token to look for", inst.ID)
				}
				if strings.Contains(v, inst.Token) {
					return fmt.Errorf("%s.%s holds the token of instance %d", addr, k, inst.ID)
				}
			}
		}
		return nil
	}
}

// abridgingProxy serves the emulator, but answers GET /instances with
// abridged items, as the platform's documented list example does: without
// `disabled`, `provisionInteractions` and the element.
func abridgingProxy(t *testing.T, e *testEnv) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/elements/api-v2/instances" {
			e.emu.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		e.emu.ServeHTTP(rec, r)
		var items []map[string]any
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &items) != nil {
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
		for _, it := range items {
			delete(it, "disabled")
			delete(it, "provisionInteractions")
			delete(it, "element")
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(items)
	}))
	t.Cleanup(srv.Close)
	return strings.Replace(e.providerConfig(), e.baseURL, srv.URL+"/elements/api-v2", 1)
}

func TestAccInstancesDataSource_abridgedListItemsAreReadInFull(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	on := createNetsuite(t, e, "erp on")
	off := createNetsuite(t, e, "erp off")
	if err := e.client.DisableInstance(context.Background(), off.ID); err != nil {
		t.Fatal(err)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: abridgingProxy(t, e) + `
data "opencon_instances" "erp" {
  name_contains = "erp"
}

data "opencon_instance" "off" {
  name        = "erp off"
  element_key = "netsuiteerp"
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.opencon_instances.erp", tfjsonpath.New("instances"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"id": knownvalue.StringExact(fmt.Sprint(on.ID)), "element_key": knownvalue.StringExact("netsuiteerp"), "enabled": knownvalue.Bool(true),
					}),
					knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"id": knownvalue.StringExact(fmt.Sprint(off.ID)), "element_key": knownvalue.StringExact("netsuiteerp"), "enabled": knownvalue.Bool(false),
					}),
				})),
				statecheck.ExpectKnownValue("data.opencon_instance.off", tfjsonpath.New("id"), knownvalue.StringExact(fmt.Sprint(off.ID))),
				statecheck.ExpectKnownValue("data.opencon_instance.off", tfjsonpath.New("enabled"), knownvalue.Bool(false)),
			},
		}},
	})
}
