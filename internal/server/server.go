package server

import (
	"context"
	"fmt"
	"slices"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// Downstream is what the framework's protocol server implements: every RPC
// of protocol 6, the optional list, action and state store ones included.
// Wrap needs all of them, because terraform-plugin-go looks for the
// optional ones on the server it is given.
type Downstream interface {
	tfprotov6.ProviderServer
	tfprotov6.ListResourceServer
	tfprotov6.ActionServer
	tfprotov6.StateStoreServer
}

// Server passes every RPC on to the framework, and corrects one of its
// answers (see ValidateActionConfig). The RPCs a configuration
// makes once per resource instance or data source read get a detached
// context that is cut from the RPC's own when the RPC returns.
//
// Why: terraform-plugin-framework v1.19.0 (internal/proto6server,
// registerContext) derives a cancelable context from every RPC's and keeps
// its CancelFunc, and with it the RPC's whole context, until StopProvider,
// which Terraform sends only on interrupt. Each RPC's context carries the
// loggers and fields terraform-plugin-go and the framework attached, about
// 19 KB; a 500-instance plan kept 35 MB of them alive and spent a fifth of
// its CPU marking them (internal/bench/FINDINGS.md, hot spot 2). Through a
// detached context the framework keeps about 200 bytes per RPC instead.
// Cancellation is unchanged: see detached.
//
// The RPCs left as they are run once per provider process (schema,
// metadata, configure, stop) or stream their answer after they return (list,
// invoke action, state bytes), where cutting the context at return would cut
// it too early.
type Server struct{ Downstream }

// Server has every RPC of Downstream, so terraform-plugin-go finds the
// optional list, action and state store RPCs on it as on the framework's.
var _ Downstream = Server{}

// Wrap wraps the framework's protocol server, the one
// providerserver.NewProtocol6 makes. It fails when that lacks an RPC of
// Downstream, that is when a framework upgrade changed what it implements.
func Wrap(ps tfprotov6.ProviderServer) (tfprotov6.ProviderServer, error) {
	d, ok := ps.(Downstream)
	if !ok {
		return nil, fmt.Errorf("server: %T does not implement every protocol 6 RPC", ps)
	}
	return Server{d}, nil
}

// detachedCall runs one RPC of the framework with a detached context.
func detachedCall[Req, Resp any](ctx context.Context, req Req, rpc func(context.Context, Req) (Resp, error)) (Resp, error) {
	d, release := detach(ctx)
	defer release()
	return rpc(d, req)
}

func (s Server) ValidateResourceConfig(ctx context.Context, req *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	return detachedCall(ctx, req, s.Downstream.ValidateResourceConfig)
}

func (s Server) UpgradeResourceState(ctx context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	return detachedCall(ctx, req, s.Downstream.UpgradeResourceState)
}

func (s Server) UpgradeResourceIdentity(ctx context.Context, req *tfprotov6.UpgradeResourceIdentityRequest) (*tfprotov6.UpgradeResourceIdentityResponse, error) {
	return detachedCall(ctx, req, s.Downstream.UpgradeResourceIdentity)
}

func (s Server) ReadResource(ctx context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	return detachedCall(ctx, req, s.Downstream.ReadResource)
}

func (s Server) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	return detachedCall(ctx, req, s.Downstream.PlanResourceChange)
}

func (s Server) ApplyResourceChange(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	return detachedCall(ctx, req, s.Downstream.ApplyResourceChange)
}

func (s Server) ImportResourceState(ctx context.Context, req *tfprotov6.ImportResourceStateRequest) (*tfprotov6.ImportResourceStateResponse, error) {
	return detachedCall(ctx, req, s.Downstream.ImportResourceState)
}

func (s Server) MoveResourceState(ctx context.Context, req *tfprotov6.MoveResourceStateRequest) (*tfprotov6.MoveResourceStateResponse, error) {
	return detachedCall(ctx, req, s.Downstream.MoveResourceState)
}

func (s Server) GenerateResourceConfig(ctx context.Context, req *tfprotov6.GenerateResourceConfigRequest) (*tfprotov6.GenerateResourceConfigResponse, error) {
	return detachedCall(ctx, req, s.Downstream.GenerateResourceConfig)
}

func (s Server) ValidateDataResourceConfig(ctx context.Context, req *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	return detachedCall(ctx, req, s.Downstream.ValidateDataResourceConfig)
}

func (s Server) ReadDataSource(ctx context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	return detachedCall(ctx, req, s.Downstream.ReadDataSource)
}

func (s Server) ValidateEphemeralResourceConfig(ctx context.Context, req *tfprotov6.ValidateEphemeralResourceConfigRequest) (*tfprotov6.ValidateEphemeralResourceConfigResponse, error) {
	return detachedCall(ctx, req, s.Downstream.ValidateEphemeralResourceConfig)
}

func (s Server) OpenEphemeralResource(ctx context.Context, req *tfprotov6.OpenEphemeralResourceRequest) (*tfprotov6.OpenEphemeralResourceResponse, error) {
	return detachedCall(ctx, req, s.Downstream.OpenEphemeralResource)
}

func (s Server) RenewEphemeralResource(ctx context.Context, req *tfprotov6.RenewEphemeralResourceRequest) (*tfprotov6.RenewEphemeralResourceResponse, error) {
	return detachedCall(ctx, req, s.Downstream.RenewEphemeralResource)
}

func (s Server) CloseEphemeralResource(ctx context.Context, req *tfprotov6.CloseEphemeralResourceRequest) (*tfprotov6.CloseEphemeralResourceResponse, error) {
	return detachedCall(ctx, req, s.Downstream.CloseEphemeralResource)
}

func (s Server) CallFunction(ctx context.Context, req *tfprotov6.CallFunctionRequest) (*tfprotov6.CallFunctionResponse, error) {
	return detachedCall(ctx, req, s.Downstream.CallFunction)
}

func (s Server) ValidateListResourceConfig(ctx context.Context, req *tfprotov6.ValidateListResourceConfigRequest) (*tfprotov6.ValidateListResourceConfigResponse, error) {
	return detachedCall(ctx, req, s.Downstream.ValidateListResourceConfig)
}

// ValidateActionConfig corrects one answer of the framework.
//
// terraform-plugin-framework v1.19.0 lets an action schema declare write-only
// attributes (Terraform then accepts ephemeral values for them and keeps them
// out of the plan), but its ValidateActionConfig still refuses every non-null
// write-only value with "WriteOnly Attribute Not Allowed ... only supported in
// Terraform 1.11 and later" (internal/fwserver/server_validateactionconfig.go
// passes WriteOnlyAttributesAllowed: false for every schema but a resource's).
// Only Terraform 1.14 and later send actions, so that diagnostic is never
// true of an action: it is dropped here and nowhere else.
// TestFrameworkStillRefusesWriteOnlyActionArguments (internal/provider) fails
// once the framework is fixed; then delete this correction.
func (s Server) ValidateActionConfig(ctx context.Context, req *tfprotov6.ValidateActionConfigRequest) (*tfprotov6.ValidateActionConfigResponse, error) {
	resp, err := detachedCall(ctx, req, s.Downstream.ValidateActionConfig)
	if resp != nil {
		resp.Diagnostics = slices.DeleteFunc(resp.Diagnostics, func(d *tfprotov6.Diagnostic) bool {
			return d != nil && d.Summary == FrameworkWriteOnlyRefusal
		})
	}
	return resp, err
}

// FrameworkWriteOnlyRefusal is the summary of the framework's diagnostic
// that ValidateActionConfig drops.
const FrameworkWriteOnlyRefusal = "WriteOnly Attribute Not Allowed"

func (s Server) PlanAction(ctx context.Context, req *tfprotov6.PlanActionRequest) (*tfprotov6.PlanActionResponse, error) {
	return detachedCall(ctx, req, s.Downstream.PlanAction)
}
