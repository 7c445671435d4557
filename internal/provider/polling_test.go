package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

func TestPollerConfigurationRoundTripsThroughModels(t *testing.T) {
	t.Parallel()
	raw := `{"b":{"url":"/b","pageSize":10,"datesConfiguration":{"updatedDateField":"u","updatedDateTimezone":"PST"}},"a":{"url":"/a","idField":"","createdCheckTolerance":2}}`
	pc, err := opencon.ParsePollerConfiguration(raw)
	if err != nil {
		t.Fatal(err)
	}
	models := pollingResourceModels(pc)
	if len(models) != 2 || models[0].Name.ValueString() != "a" || models[1].Name.ValueString() != "b" {
		t.Fatalf("models not sorted by name: %+v", models)
	}
	if models[0].IDField.IsNull() || models[0].IDField.ValueString() != "" {
		t.Errorf("an empty idField must stay an empty string, got %v", models[0].IDField)
	}
	if !pollerConfigurationFromModels(models).SameMeaning(pc) {
		t.Errorf("models do not round-trip")
	}
}

func TestUniquePollingNames(t *testing.T) {
	t.Parallel()
	named := func(name, url string) pollingResourceModel {
		return pollingResourceModel{Name: types.StringValue(name), URL: types.StringValue(url)}
	}
	unknownName := named("", "/x")
	unknownName.Name = types.StringUnknown()
	cases := []struct {
		name   string
		blocks types.Set
		want   string
	}{
		{"different names", pollingSet(t, named("a", "/a"), named("b", "/b")), ""},
		{"one name twice", pollingSet(t, named("a", "/a"), named("a", "/b")), `Two polling_resource blocks are named "a"`},
		{"a name not yet known", pollingSet(t, named("a", "/a"), unknownName), ""},
		{"no blocks", types.SetNull(pollingResourceObjectType), ""},
		{"blocks not yet known", types.SetUnknown(pollingResourceObjectType), ""},
		{"a block not yet known", types.SetValueMust(pollingResourceObjectType, []attr.Value{types.ObjectUnknown(pollingResourceAttrTypes)}), ""},
	}
	for _, c := range cases {
		var resp validator.SetResponse
		uniquePollingNames{}.ValidateSet(context.Background(), validator.SetRequest{Path: path.Root("polling_resource"), ConfigValue: c.blocks}, &resp)
		expectDiagnostics(t, c.name, resp.Diagnostics, c.want, false)
	}
}
