package provider

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

var (
	_ list.ListResourceWithConfigure      = (*instanceListResource)(nil)
	_ list.ListResourceWithValidateConfig = (*instanceListResource)(nil)
)

// maxConcurrentReads bounds the GET /instances/{id} calls include_resource
// makes at once.
const maxConcurrentReads = 4

// NewInstanceListResource is the opencon_instance list resource, for
// `terraform query` (Terraform 1.14 and later).
func NewInstanceListResource() list.ListResource {
	return &instanceListResource{}
}

type instanceListResource struct {
	client *opencon.Client
}

type instanceListModel struct {
	ElementKey types.String `tfsdk:"element_key"`
	Name       types.String `tfsdk:"name"`
	Tags       types.List   `tfsdk:"tags"`
}

func (l *instanceListResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_instance"
}

func (l *instanceListResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	l.client = clientFrom(req.ProviderData, &resp.Diagnostics)
}

func (l *instanceListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Finds connector instances (`GET /instances`, every page) for `terraform query`, to import them. " +
			"Every filter given must match; without filters every instance of the account is listed, sorted by numeric id. " +
			"Each result is named by the instance's name and identified by its id and API host. With `include_resource = true` " +
			"each instance is read in full (`GET /instances/{id}`, a few at a time) and returned exactly as an import would read it, " +
			"so `terraform query -generate-config-out=FILE` writes configuration that plans empty once imported.",
		Attributes: map[string]schema.Attribute{
			"element_key": schema.StringAttribute{
				MarkdownDescription: "Only instances of this element, for example `gmail`.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Only instances with exactly this name, as the `opencon_instance` data source matches it: HTML tags are stripped first, " +
					"as the platform does when it stores a name, then the comparison is exact and case-sensitive. " +
					"For part of a name, use the `opencon_instances` data source's `name_contains`.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"tags": schema.ListAttribute{
				MarkdownDescription: "Only instances that carry every one of these tags (sent as `tags[]`); order does not matter.",
				ElementType:         types.StringType,
				Optional:            true,
				Validators:          []validator.List{listvalidator.ValueStringsAre(stringvalidator.LengthAtLeast(1))},
			},
		},
	}
}

func (l *instanceListResource) ValidateListResourceConfig(ctx context.Context, req list.ValidateConfigRequest, resp *list.ValidateConfigResponse) {
	var name types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("name"), &name)...)
	if !name.IsNull() && !name.IsUnknown() && name.ValueString() != "" && sanitizeName(name.ValueString()) == "" {
		resp.Diagnostics.AddAttributeError(path.Root("name"), "Empty instance name",
			fmt.Sprintf("%q is empty once HTML tags are stripped, and the platform stores no such name.", name.ValueString()))
	}
}

func (l *instanceListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var cfg instanceListModel
	diags := req.Config.Get(ctx, &cfg)
	var tags []string
	if !cfg.Tags.IsNull() {
		diags.Append(cfg.Tags.ElementsAs(ctx, &tags, false)...)
	}
	if diags.HasError() || !clientReady(l.client, &diags) {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	name := sanitizeName(cfg.Name.ValueString())
	elementKey := cfg.ElementKey.ValueString()
	client := l.client

	stream.Results = func(push func(list.ListResult) bool) {
		// The platform filters by tags and searchText already; filtering
		// again keeps the documented meaning whatever it does. A list item
		// may lack its element: it is kept here and decided once read.
		matches := func(it *opencon.Instance) bool {
			return hasEveryTag(it.Tags, tags) && (name == "" || it.Name == name) &&
				(elementKey == "" || it.Element.Key == "" || it.Element.Key == elementKey)
		}
		// include_resource reads every instance in full below; otherwise
		// only those whose element must be learnt.
		elementUnknown := func(it *opencon.Instance) bool {
			return !req.IncludeResource && elementKey != "" && it.Element.Key == ""
		}
		found, err := listInstances(ctx, client, opencon.ListInstancesOptions{Tags: tags, SearchText: name}, matches, elementUnknown)
		if err != nil {
			push(listError("Cannot list instances", err.Error()))
			return
		}
		timeoutsNull, d := nullTimeouts(ctx, req)
		if d.HasError() {
			push(list.ListResult{Diagnostics: d})
			return
		}
		defaults := map[string]map[string]*string{}
		var pushed int64
		for start := 0; start < len(found); start += maxConcurrentReads {
			batch := found[start:min(start+maxConcurrentReads, len(found))]
			if req.Limit > 0 {
				batch = batch[:min(int64(len(batch)), req.Limit-pushed)]
			}
			full := make([]*opencon.Instance, len(batch))
			for i := range batch {
				full[i] = &batch[i]
			}
			if req.IncludeResource {
				if full, err = readInFull(ctx, client, batch); err != nil {
					push(listError("Cannot read an instance", err.Error()))
					return
				}
			}
			for _, inst := range full {
				if inst == nil || (elementKey != "" && inst.Element.Key != elementKey) {
					continue // deleted since the list was read, or of another element
				}
				result := req.NewListResult(ctx)
				result.DisplayName = inst.Name
				result.Diagnostics.Append(setInstanceIdentity(ctx, result.Identity, client, inst.ID)...)
				if req.IncludeResource {
					elementDefaultsOf, ok := defaults[inst.Element.Key]
					if !ok {
						elementDefaultsOf = elementDefaults(ctx, client, inst.Element.Key, &result.Diagnostics)
						defaults[inst.Element.Key] = elementDefaultsOf
					}
					var m instanceModel
					result.Diagnostics.Append(m.readImported(ctx, inst, elementDefaultsOf)...)
					m.Timeouts = timeoutsNull
					result.Diagnostics.Append(result.Resource.Set(ctx, &m)...)
				}
				if !push(result) {
					return
				}
				if pushed++; req.Limit > 0 && pushed >= req.Limit {
					return
				}
			}
		}
	}
}

// readInFull reads each item with GET /instances/{id}, all at once (the
// caller bounds how many); one deleted since the list was read is nil.
func readInFull(ctx context.Context, client *opencon.Client, items []opencon.Instance) ([]*opencon.Instance, error) {
	out := make([]*opencon.Instance, len(items))
	errs := make([]error, len(items))
	var wg sync.WaitGroup
	for i := range items {
		wg.Go(func() {
			inst, err := client.GetInstance(ctx, items[i].ID)
			switch {
			case errors.Is(err, opencon.ErrNotFound):
			case err != nil:
				errs[i] = fmt.Errorf("instance %d: %w", items[i].ID, err)
			default:
				out[i] = inst
			}
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// nullTimeouts is the timeouts block an import leaves in state: null, of
// the resource schema's type.
func nullTimeouts(ctx context.Context, req list.ListRequest) (timeouts.Value, diag.Diagnostics) {
	var diags diag.Diagnostics
	typ, d := req.ResourceSchema.TypeAtPath(ctx, path.Root("timeouts"))
	diags.Append(d...)
	if diags.HasError() {
		return timeouts.Value{}, diags
	}
	v, err := typ.ValueFromTerraform(ctx, tftypes.NewValue(typ.TerraformType(ctx), nil))
	out, ok := v.(timeouts.Value)
	if err != nil || !ok {
		diags.AddError("Unexpected timeouts type", fmt.Sprintf("The resource's timeouts block is %T (%v); this is a bug in the provider.", v, err))
	}
	return out, diags
}

func listError(summary, detail string) list.ListResult {
	var diags diag.Diagnostics
	diags.AddError(summary, detail)
	return list.ListResult{Diagnostics: diags}
}
