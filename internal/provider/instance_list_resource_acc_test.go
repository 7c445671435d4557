package provider

import (
	"os"
	"strconv"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// List resources need Terraform 1.14 (`terraform query`); OpenTofu 1.12 and
// Terraform 1.5 have none and never ask for them.
var queryCLIs = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)}

// TestAccInstanceListResource_query runs `terraform query` with every filter
// of the opencon_instance list resource.
func TestAccInstanceListResource_query(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	sales, support, erp := createAccount(t, e)
	// The list resource page's example, as written, beside the cases below.
	example, err := os.ReadFile("../../examples/list-resources/opencon_instance/list-resource.tfquery.hcl")
	if err != nil {
		t.Fatal(err)
	}
	host := apiHost(e.baseURL)
	identity := func(inst *opencon.Instance) map[string]knownvalue.Check {
		return map[string]knownvalue.Check{"id": knownvalue.StringExact(strconv.FormatInt(inst.ID, 10)), "host": knownvalue.StringExact(host)}
	}
	byID := func(inst *opencon.Instance) queryfilter.QueryFilter {
		return queryfilter.ByResourceIdentity(identity(inst))
	}

	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   queryCLIs,
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{Config: e.providerConfig()},
			{
				Query: true,
				// The provider block is the first step's, in the .tf file.
				Config: `
list "opencon_instance" "mail" {
  provider = opencon
  config {
    tags = ["mail"]
  }
}

list "opencon_instance" "sales_and_mail" {
  provider = opencon
  config {
    tags = ["sales", "mail"]
  }
}

list "opencon_instance" "netsuite" {
  provider = opencon
  config {
    element_key = "netsuiteerp"
  }
}

list "opencon_instance" "sales_gmail" {
  provider = opencon
  config {
    element_key = "gmail"
    tags        = ["sales"]
  }
}

list "opencon_instance" "named_with_tags" {
  provider = opencon
  config {
    name = "<i>Sales</i> mailbox"
  }
}

list "opencon_instance" "part_of_a_name" {
  provider = opencon
  config {
    name = "mailbox"
  }
}

list "opencon_instance" "first_two" {
  provider = opencon
  limit    = 2
}
` + string(example),
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectLength("opencon_instance.all", 3),
					querycheck.ExpectIdentity("opencon_instance.all", identity(sales)),
					querycheck.ExpectIdentity("opencon_instance.all", identity(support)),
					querycheck.ExpectIdentity("opencon_instance.all", identity(erp)),
					querycheck.ExpectResourceDisplayName("opencon_instance.all", byID(sales), knownvalue.StringExact("Sales mailbox")),
					querycheck.ExpectResourceDisplayName("opencon_instance.all", byID(erp), knownvalue.StringExact("ERP")),
					querycheck.ExpectResourceKnownValues("opencon_instance.all", byID(erp), []querycheck.KnownValueCheck{
						{Path: tfjsonpath.New("element_key"), KnownValue: knownvalue.StringExact("netsuiteerp")},
						{Path: tfjsonpath.New("name"), KnownValue: knownvalue.StringExact("ERP")},
						{Path: tfjsonpath.New("configuration"), KnownValue: knownvalue.MapExact(map[string]knownvalue.Check{
							"user.username":      knownvalue.StringExact("jane"),
							"netsuite.accountId": knownvalue.StringExact("TSTDRV1"),
						})},
						{Path: tfjsonpath.New("sensitive_configuration"), KnownValue: knownvalue.Null()},
					}),
					querycheck.ExpectResourceKnownValues("opencon_instance.all", byID(sales), []querycheck.KnownValueCheck{
						{Path: tfjsonpath.New("event_poller_refresh_interval"), KnownValue: knownvalue.Int64Exact(15)},
						{Path: tfjsonpath.New("oauth_callback_url"), KnownValue: knownvalue.StringExact(testGmailRedirectURI)},
						{Path: tfjsonpath.New("authorization_code"), KnownValue: knownvalue.Null()},
						{Path: tfjsonpath.New("oauth_api_key"), KnownValue: knownvalue.Null()},
					}),
					querycheck.ExpectLength("opencon_instance.mail", 2),
					querycheck.ExpectIdentity("opencon_instance.mail", identity(sales)),
					querycheck.ExpectIdentity("opencon_instance.mail", identity(support)),
					querycheck.ExpectLength("opencon_instance.sales_and_mail", 1),
					querycheck.ExpectIdentity("opencon_instance.sales_and_mail", identity(sales)),
					querycheck.ExpectLength("opencon_instance.netsuite", 1),
					querycheck.ExpectIdentity("opencon_instance.netsuite", identity(erp)),
					querycheck.ExpectLength("opencon_instance.sales_gmail", 1),
					querycheck.ExpectIdentity("opencon_instance.sales_gmail", identity(sales)),
					querycheck.ExpectLength("opencon_instance.named_with_tags", 1),
					querycheck.ExpectIdentity("opencon_instance.named_with_tags", identity(sales)),
					querycheck.ExpectLength("opencon_instance.part_of_a_name", 0),
					querycheck.ExpectLength("opencon_instance.mailboxes", 2),
					querycheck.ExpectIdentity("opencon_instance.mailboxes", identity(sales)),
					querycheck.ExpectIdentity("opencon_instance.mailboxes", identity(support)),
					querycheck.ExpectLength("opencon_instance.first_two", 2),
					querycheck.ExpectIdentity("opencon_instance.first_two", identity(sales)),
					querycheck.ExpectIdentity("opencon_instance.first_two", identity(support)),
				},
			},
		},
	})
}
