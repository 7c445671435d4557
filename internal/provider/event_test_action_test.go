package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/opencon/terraform-provider-opencon/internal/opencon"
)

// eventTestConfig sends a test event signed with var.secret to callback,
// once per value of run.
func eventTestConfig(e *testEnv, callback, run string) string {
	return e.providerConfig() + secretVariables("secret") + fmt.Sprintf(`
action "opencon_event_test" "receiver" {
  config {
    callback_url  = %q
    signature_key = var.secret
    element_key   = "gmail"
    instance_id   = "4242"
    object_type   = "threads"
  }
}
`, callback) + triggeredBy("action.opencon_event_test.receiver", run)
}

func TestAccEventTestAction(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	const key = "receiver-signature-key"
	recv, callback := startEventReceiver(t, key)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   actionCLIs,
		Steps: []resource.TestStep{
			{
				// The receiver verifies the signature and takes the event.
				Config:          eventTestConfig(e, callback+"/events", "1"),
				ConfigVariables: secretVariable(key),
				Check: func(*terraform.State) error {
					events, rejected := recv.snapshot()
					if rejected != 0 || len(events) != 1 {
						return fmt.Errorf("the receiver took %d events and rejected %d, want 1 and 0", len(events), rejected)
					}
					ev := events[0]
					if ev["eventType"] != "CREATED" || ev["objectType"] != "threads" || ev["elementKey"] != "gmail" {
						return fmt.Errorf("the sample event is %v", ev)
					}
					return nil
				},
			},
			{
				// Signed with another key: the receiver refuses it, and the
				// action fails with its status and answer.
				Config:          eventTestConfig(e, callback+"/events", "2"),
				ConfigVariables: secretVariable("not-the-receiver-key"),
				ExpectError:     expectError(`(?s)Receiver refused the test event.*401 Unauthorized.*bad signature`),
			},
		},
	})
	if _, rejected := recv.snapshot(); rejected != 1 {
		t.Fatalf("the receiver rejected %d notifications, want 1", rejected)
	}
}

func TestAccEventTestAction_insecureCallbackRefusedBeforeSending(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   actionCLIs,
		Steps: []resource.TestStep{{
			Config:          eventTestConfig(e, "http://hooks.example.com/gmail", "1"),
			ConfigVariables: secretVariable("k"),
			PlanOnly:        true,
			ExpectError:     expectError(`(?s)Invalid callback URL.*not loopback`),
		}},
	})
}

// TestAccEventTestAction_gatesEnablingEvents is the pattern of the events
// guide: the instance runs the test event before it is created or changed,
// so a receiver that does not verify the key stops the apply before the
// platform is told to send it anything.
func TestAccEventTestAction_gatesEnablingEvents(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	const key = "guide-signature-key"
	recv, callback := startEventReceiver(t, key)
	url := callback + "/gmail"
	code := e.authorizationCode()
	cfg := instanceConfig(e, "gmail", with(gmailArgs(code),
		"event_notification_callback_url", fmt.Sprintf("%q", url),
		"event_notification_signature_key_wo", "var.signature_key",
		"event_notification_signature_key_wo_version", "1",
	), changedMessagesBlock+`
  lifecycle {
    action_trigger {
      events  = [before_create, before_update]
      actions = [action.opencon_event_test.gmail_receiver]
    }
  }`) + `
variable "signature_key" {
  type      = string
  ephemeral = true
  sensitive = true
}

action "opencon_event_test" "gmail_receiver" {
  config {
    callback_url  = "` + url + `"
    signature_key = var.signature_key
    element_key   = "gmail"
    object_type   = "changed-messages"
  }
}
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   actionCLIs,
		Steps: []resource.TestStep{
			{
				Config:          cfg,
				ConfigVariables: secretVariableNamed("signature_key", "a key the receiver does not know"),
				ExpectError:     expectError(`(?s)Receiver refused the test event.*401 Unauthorized`),
			},
			{
				PreConfig: func() {
					if n := e.emu.InstanceCount(); n != 0 {
						t.Fatalf("the refused test event left %d instances", n)
					}
				},
				Config:          cfg,
				ConfigVariables: secretVariableNamed("signature_key", key),
				Check: func(s *terraform.State) error {
					if events, _ := recv.snapshot(); len(events) != 1 {
						return fmt.Errorf("the receiver verified %d test events before the create, want 1", len(events))
					}
					return serverSecret(t, e, opencon.KeyEventNotificationSignatureKey, key)(s)
				},
			},
		},
	})
}
