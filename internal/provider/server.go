package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/opencon/terraform-provider-opencon/internal/server"
)

// ProtocolServer is the provider's protocol 6 server, as main.go serves it
// and the acceptance tests run it: the framework's behind internal/server,
// which stops the framework keeping every request's context and corrects its
// refusal of write-only action arguments.
func ProtocolServer(version string) (tfprotov6.ProviderServer, error) {
	return server.Wrap(providerserver.NewProtocol6(New(version)())())
}
