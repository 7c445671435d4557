package provider

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/opencon/terraform-provider-opencon/internal/emulator"
	"github.com/opencon/terraform-provider-opencon/internal/webhook"
)

// eventReceiver records the events of notifications whose signature verifies.
type eventReceiver struct {
	mu       sync.Mutex
	key      string
	events   []map[string]any
	rejected int
}

func (r *eventReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if !webhook.Verify(r.key, body, req.Header.Get(webhook.SignatureHeader)) {
		r.rejected++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var n struct {
		Message struct {
			Events []map[string]any `json:"events"`
		} `json:"message"`
	}
	if err := json.Unmarshal(body, &n); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.events = append(r.events, n.Message.Events...)
}

// startEventReceiver serves an eventReceiver that verifies with key and
// returns it with its URL.
func startEventReceiver(t *testing.T, key string) (*eventReceiver, string) {
	t.Helper()
	recv := &eventReceiver{key: key}
	srv := httptest.NewServer(recv)
	t.Cleanup(srv.Close)
	return recv, srv.URL
}

func (r *eventReceiver) snapshot() ([]map[string]any, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]any(nil), r.events...), r.rejected
}

// TestAccQuickstart applies examples/quickstart as it is and follows the
// events its instance produces to a local receiver. Not parallel: the
// quickstart takes the secrets from the environment (t.Setenv).
func TestAccQuickstart(t *testing.T) {
	e := newTestEnvWith(t, emulator.Options{Seed: 3, Minute: 200 * time.Millisecond})
	const key = "quickstart-test-key"
	recv, callback := startEventReceiver(t, key)
	t.Setenv(EnvUserSecret, testUserSecret)
	t.Setenv(EnvOrganizationSecret, testOrganizationSecret)
	raw, err := os.ReadFile("../../examples/quickstart/main.tf")
	if err != nil {
		t.Fatal(err)
	}
	quickstart := string(raw)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: quickstart,
			ConfigVariables: config.Variables{
				"base_url":            config.StringVariable(e.baseURL),
				"authorization_code":  config.StringVariable(e.authorizationCode()),
				"gmail_client_id":     config.StringVariable(testGmailClientID),
				"gmail_client_secret": config.StringVariable(testGmailClientSecret),
				"gmail_redirect_uri":  config.StringVariable(testGmailRedirectURI),
				"event_callback_url":  config.StringVariable(callback + "/events"),
				"event_signature_key": config.StringVariable(key),
				"refresh_interval":    config.IntegerVariable(1),
			},
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			Check: func(s *terraform.State) error {
				token := s.RootModule().Resources["opencon_instance.gmail"].Primary.Attributes["token"]
				var ids []string
				for _, subject := range []string{"first", "second"} {
					id, err := sendMessage(e.baseURL, token, subject)
					if err != nil {
						return err
					}
					ids = append(ids, id)
				}
				deadline := time.Now().Add(60 * time.Second)
				for {
					events, rejected := recv.snapshot()
					if rejected > 0 {
						return fmt.Errorf("%d notifications had a bad signature", rejected)
					}
					if len(events) >= 2 {
						got := map[string]string{}
						for _, ev := range events {
							got[fmt.Sprint(ev["objectId"])] = fmt.Sprint(ev["eventType"], "/", ev["objectType"], "/", ev["elementKey"])
						}
						for _, id := range ids {
							if got[id] != "CREATED/changed-messages/gmail" {
								return fmt.Errorf("event for message %s: %q (all: %v)", id, got[id], events)
							}
						}
						return nil
					}
					if time.Now().After(deadline) {
						return fmt.Errorf("only %d events arrived: %v", len(events), events)
					}
					time.Sleep(100 * time.Millisecond)
				}
			},
		}},
	})
}

func sendMessage(baseURL, token, subject string) (string, error) {
	body, _ := json.Marshal(map[string]string{"to": "me@example.com", "subject": subject})
	req, _ := http.NewRequest(http.MethodPost, baseURL+"/hubs/general/messages", bytes.NewReader(body))
	req.Header.Set("Authorization", fmt.Sprintf("User %s, Organization %s, Element %s", testUserSecret, testOrganizationSecret, token))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var msg struct {
		ID string `json:"id"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&msg) != nil || msg.ID == "" {
		return "", fmt.Errorf("POST /hubs/general/messages answered %d", resp.StatusCode)
	}
	return msg.ID, nil
}
