package provider

import (
	"testing"

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

func TestSanitizeName(t *testing.T) {
	t.Parallel()
	if got := sanitizeName(`<a href="x">churros-xss</a>`); got != "churros-xss" {
		t.Errorf("sanitizeName = %q", got)
	}
}
