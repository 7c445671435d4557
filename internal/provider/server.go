package provider

import (
	"context"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// The provider's protocol server: the framework's, with one correction.
//
// terraform-plugin-framework v1.19.0 lets an action schema declare write-only
// attributes (Terraform then accepts ephemeral values for them and keeps them
// out of the plan), but its ValidateActionConfig still refuses every non-null
// write-only value with "WriteOnly Attribute Not Allowed ... only supported in
// Terraform 1.11 and later" (internal/fwserver/server_validateactionconfig.go
// passes WriteOnlyAttributesAllowed: false for every schema but a resource's).
// Only Terraform 1.14 and later send actions, so that diagnostic is never
// true of an action: the server drops it there and nowhere else.
// TestFrameworkStillRefusesWriteOnlyActionArguments fails once the framework
// is fixed; then delete this file and serve providerserver.NewProtocol6.

// frameworkWriteOnlyRefusal is the summary of the framework's diagnostic.
const frameworkWriteOnlyRefusal = "WriteOnly Attribute Not Allowed"

// frameworkServer is every protocol interface the framework's server
// implements and terraform-plugin-go looks for.
type frameworkServer interface {
	tfprotov6.ProviderServer
	tfprotov6.ActionServer
	tfprotov6.ListResourceServer
	tfprotov6.StateStoreServer
}

type server struct {
	frameworkServer
}

// ProtocolServer serves the provider over protocol 6, as tf6server.Serve and
// terraform-plugin-testing expect.
func ProtocolServer(version string) func() tfprotov6.ProviderServer {
	return func() tfprotov6.ProviderServer {
		fw := providerserver.NewProtocol6(New(version)())()
		if s, ok := fw.(frameworkServer); ok {
			return server{s}
		}
		return fw
	}
}

func (s server) ValidateActionConfig(ctx context.Context, req *tfprotov6.ValidateActionConfigRequest) (*tfprotov6.ValidateActionConfigResponse, error) {
	resp, err := s.frameworkServer.ValidateActionConfig(ctx, req)
	if resp != nil {
		resp.Diagnostics = slices.DeleteFunc(resp.Diagnostics, func(d *tfprotov6.Diagnostic) bool {
			return d != nil && d.Summary == frameworkWriteOnlyRefusal
		})
	}
	return resp, err
}
