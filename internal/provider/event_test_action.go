package provider

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
	"github.com/opencon/terraform-provider-opencon/internal/webhook"
)

// The sample's defaults: the documented Gmail polling example.
const (
	defaultTestEventElementKey = "gmail"
	defaultTestEventObjectType = "changed-messages"
)

const (
	// testEventTimeout bounds the one POST of a test event.
	testEventTimeout = 30 * time.Second
	// testEventExcerpt is how much of a refusing receiver's body the
	// diagnostic shows.
	testEventExcerpt = 512
)

var _ action.Action = (*eventTestAction)(nil)

// NewEventTestAction is the opencon_event_test action.
func NewEventTestAction() action.Action {
	return &eventTestAction{}
}

// eventTestAction needs no client: it plays the platform towards the
// receiver, and never calls the API.
type eventTestAction struct{}

type eventTestModel struct {
	CallbackURL  types.String `tfsdk:"callback_url"`
	SignatureKey types.String `tfsdk:"signature_key"`
	ElementKey   types.String `tfsdk:"element_key"`
	InstanceID   types.String `tfsdk:"instance_id"`
	ObjectType   types.String `tfsdk:"object_type"`
}

func (a *eventTestAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_event_test"
}

func (a *eventTestAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Sends one signed sample event notification to a receiver exactly as the platform sends events to " +
			"`event_notification_callback_url`: the `message` envelope with one `CREATED` event, `Elements-Webhook-Id`, and " +
			"`Elements-Webhook-Signature: sha256=<base64 of HMAC-SHA256(signature_key, body)>`. Fails unless the receiver answers 2xx; " +
			"the error shows the status and the first bytes of the answer. Use it to prove that a receiver accepts and verifies " +
			"the platform's events before you enable them (Terraform 1.14+). It makes no API call; redirects are not followed.",
		Attributes: map[string]schema.Attribute{
			"callback_url": schema.StringAttribute{
				MarkdownDescription: "The receiver, as you would set `event_notification_callback_url`: an `https://` URL, or `http://` to a loopback host for local tests.",
				Required:            true,
				Validators:          []validator.String{secureURLValidator{}},
			},
			"signature_key": schema.StringAttribute{
				MarkdownDescription: "The key the receiver verifies with, as you would set `event_notification_signature_key`. " + writeOnlyActionArgument,
				Required:            true,
				WriteOnly:           true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"element_key": schema.StringAttribute{
				MarkdownDescription: "The sample's `elementKey`. Defaults to `" + defaultTestEventElementKey + "`.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"instance_id": schema.StringAttribute{
				MarkdownDescription: "The sample's `instanceId`, for example `opencon_instance.gmail.id`. `0` when omitted.",
				Optional:            true,
				Validators:          []validator.String{instanceIDValidator{}},
			},
			"object_type": schema.StringAttribute{
				MarkdownDescription: "The sample event's `objectType`: for polling, the `name` of a `polling_resource`. Defaults to `" + defaultTestEventObjectType + "`.",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
		},
	}
}

func (a *eventTestAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var cfg eventTestModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	target, err := parseSecureURL(cfg.CallbackURL.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("callback_url"), "Invalid callback URL", err.Error())
		return
	}
	var instanceID int64
	if !cfg.InstanceID.IsNull() {
		if instanceID, err = parseInstanceID(cfg.InstanceID.ValueString()); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("instance_id"), "Invalid instance id", err.Error())
			return
		}
	}
	n, webhookID, err := sampleNotification(
		stringOr(cfg.ElementKey, defaultTestEventElementKey), stringOr(cfg.ObjectType, defaultTestEventObjectType), instanceID, time.Now())
	var body []byte
	if err == nil {
		body, err = n.Encode()
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot build the test event", err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(ctx, testEventTimeout)
	defer cancel()
	post, err := webhook.NewRequest(ctx, target.String(), webhookID, cfg.SignatureKey.ValueString(), body)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("callback_url"), "Invalid callback URL", err.Error())
		return
	}
	shown := shownURL(target)
	resp.SendProgress(action.InvokeProgressEvent{Message: fmt.Sprintf(
		"Sending signed test event %d (Elements-Webhook-Id %s) to %s", n.Message.EventID, webhookID, shown)})

	client := cleanhttp.DefaultClient()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := client.Do(post)
	if err != nil {
		// The error text holds the whole URL, which may carry credentials.
		reason := "the request failed"
		var ue *url.Error
		if errors.As(err, &ue) {
			reason = ue.Err.Error()
		}
		resp.Diagnostics.AddAttributeError(path.Root("callback_url"), "Receiver not reached",
			fmt.Sprintf("POST %s: %s.", shown, reason))
		return
	}
	defer res.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(res.Body, testEventExcerpt))
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
	tflog.Debug(ctx, "test event answered", map[string]any{"url": shown, "status": res.StatusCode, "webhook_id": webhookID})
	if res.StatusCode < 200 || res.StatusCode > 299 {
		detail := fmt.Sprintf("The receiver at %s answered %s to test event %d: %q", shown, res.Status, n.Message.EventID, excerpt)
		if res.StatusCode >= 300 && res.StatusCode <= 399 {
			detail += fmt.Sprintf(" (a redirect to %q; redirects are not followed, set the final URL)", res.Header.Get("Location"))
		}
		resp.Diagnostics.AddAttributeError(path.Root("callback_url"), "Receiver refused the test event", detail)
		return
	}
	resp.SendProgress(action.InvokeProgressEvent{Message: fmt.Sprintf(
		"The receiver at %s accepted test event %d: %s", shown, n.Message.EventID, res.Status)})
}

// sampleNotification is one CREATED event of objectType, shaped as the
// emulator's poller sends it, with fresh random ids so that a receiver
// idempotent on Elements-Webhook-Id takes every test as new.
func sampleNotification(elementKey, objectType string, instanceID int64, now time.Time) (webhook.Notification, string, error) {
	var random [16]byte
	if _, err := rand.Read(random[:]); err != nil {
		return webhook.Notification{}, "", err
	}
	objectID := "opencon-event-test-" + hex.EncodeToString(random[:6])
	raw, err := webhook.PolledRaw(objectType, []any{map[string]any{"id": objectID}})
	if err != nil {
		return webhook.Notification{}, "", err
	}
	return webhook.Notification{Message: webhook.Message{
		// Six digits, as the emulator numbers its events.
		EventID:    100000 + int64(binary.BigEndian.Uint32(random[12:])%900000),
		InstanceID: instanceID,
		ElementKey: elementKey,
		Events: []webhook.Event{{
			EventType: "CREATED", ObjectID: objectID, ObjectType: objectType, ElementKey: elementKey,
			Date: now.UTC().Format(time.RFC3339),
		}},
		Raw: raw,
	}}, hex.EncodeToString(random[6:12]), nil
}

func stringOr(v types.String, def string) string {
	if v.IsNull() || v.IsUnknown() {
		return def
	}
	return v.ValueString()
}

// shownURL is u without credentials, query or fragment, which may hold secrets.
func shownURL(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// parseSecureURL parses an absolute URL and applies the client's
// https-or-loopback rule to it.
func parseSecureURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%q is not an absolute URL such as https://hooks.example.com/gmail", raw)
	}
	if err := opencon.CheckSecureURL(u); err != nil {
		return nil, err
	}
	return u, nil
}

// secureURLValidator applies parseSecureURL at validate time.
type secureURLValidator struct{}

func (secureURLValidator) Description(context.Context) string {
	return "must be an absolute https:// URL, or http:// to a loopback host"
}

func (v secureURLValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (secureURLValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := parseSecureURL(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid callback URL", err.Error())
	}
}
