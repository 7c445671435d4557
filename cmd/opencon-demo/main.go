// Command opencon-demo runs the quickstart end to end on this machine: the
// emulator, a signature-checking event receiver, the OAuth code a browser
// would get, `terraform apply` of examples/quickstart, mail that changes,
// the events it causes, an empty plan, and `terraform destroy`.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/opencon/terraform-provider-opencon/internal/e2e"
	"github.com/opencon/terraform-provider-opencon/internal/opencon"
	"github.com/opencon/terraform-provider-opencon/internal/webhook"
)

const (
	userSecret   = e2e.UserSecret
	orgSecret    = e2e.OrganizationSecret
	clientID     = "quickstart-client-id.apps.googleusercontent.com"
	clientSecret = "quickstart-client-secret"
	redirectURI  = "https://auth.mycoolapp.com/oauth"
	signatureKey = "quickstart-signature-key"
)

type options struct {
	terraform   string
	providerDir string
	emulator    string
	quickstart  string
	minute      time.Duration
	timeout     time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.terraform, "terraform", "bin/terraform", "the Terraform (or OpenTofu) CLI")
	flag.StringVar(&o.providerDir, "provider-dir", "bin", "the directory holding terraform-provider-opencon")
	flag.StringVar(&o.emulator, "emulator", "bin/opencon-emulator", "the emulator binary")
	flag.StringVar(&o.quickstart, "quickstart", "examples/quickstart", "the quickstart configuration")
	flag.DurationVar(&o.minute, "minute", 2*time.Second, "the emulator's minute; the instance polls every minute")
	flag.DurationVar(&o.timeout, "timeout", 3*time.Minute, "give up after this long")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	if err := run(ctx, o); err != nil {
		fmt.Fprintf(os.Stderr, "\ndemo failed: %v\n", err)
		os.Exit(1)
	}
}

func step(format string, args ...any) {
	fmt.Printf("\n==> "+format+"\n", args...)
}

func run(ctx context.Context, o options) error {
	for _, p := range []*string{&o.terraform, &o.providerDir, &o.emulator, &o.quickstart} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	work, err := os.MkdirTemp("", "opencon-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	step("Starting the emulator (one minute lasts %s)", o.minute)
	emu, err := e2e.StartEmulator(ctx, e2e.EmulatorOptions{Binary: o.emulator, Minute: o.minute, Stderr: os.Stderr})
	if err != nil {
		return err
	}
	defer func() { _ = emu.Close() }()
	api := emu.APIURL()
	fmt.Println("    API:", api)

	step("Starting an event receiver that verifies Elements-Webhook-Signature")
	recv, err := startReceiver(signatureKey)
	if err != nil {
		return err
	}
	defer recv.close()
	fmt.Println("    callback URL:", recv.url)

	client, err := opencon.NewClient(opencon.Config{BaseURL: api, UserSecret: userSecret, OrganizationSecret: orgSecret})
	if err != nil {
		return err
	}
	step("Getting an authorization code the way a browser would")
	code, err := authorizationCode(ctx, client)
	if err != nil {
		return err
	}
	fmt.Println("    GET /elements/gmail/oauth/url -> open it -> 302 to", redirectURI+"?code=…")

	tf := &terraformRunner{bin: o.terraform, dir: filepath.Join(work, "quickstart"), env: terraformEnv(work, o.providerDir, api, code, recv.url)}
	if err := copyConfig(o.quickstart, tf.dir); err != nil {
		return err
	}
	destroyed := false
	defer func() {
		if !destroyed {
			fmt.Println("\n==> Cleaning up after the failure: terraform destroy")
			cleanupCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			_ = tf.run(cleanupCtx, "destroy", "-auto-approve", "-input=false", "-no-color")
		}
	}()

	step("terraform apply (examples/quickstart: Gmail, polling changed-messages every minute)")
	if err := tf.run(ctx, "apply", "-auto-approve", "-input=false", "-no-color"); err != nil {
		return err
	}
	token, err := tf.output(ctx, "instance_token")
	if err != nil {
		return err
	}
	id, err := tf.output(ctx, "instance_id")
	if err != nil {
		return err
	}

	hub := &hubClient{api: api, token: token}
	step("Putting two messages into instance %s's mailbox", id)
	first, err := hub.send(ctx, "Welcome to Open Connectors", "Hello from the quickstart.")
	if err != nil {
		return err
	}
	if _, err := hub.send(ctx, "Your weekly report", "Numbers are up."); err != nil {
		return err
	}
	if err := recv.waitFor(ctx, 2); err != nil {
		return err
	}
	step("Changing message %s", first)
	if err := hub.update(ctx, first, "Welcome to Open Connectors (updated)"); err != nil {
		return err
	}
	if err := recv.waitFor(ctx, 3); err != nil {
		return err
	}

	step("terraform plan: nothing should change")
	if err := tf.run(ctx, "plan", "-detailed-exitcode", "-input=false", "-no-color"); err != nil {
		return fmt.Errorf("the plan after apply is not empty (or failed): %w", err)
	}

	step("terraform destroy")
	if err := tf.run(ctx, "destroy", "-auto-approve", "-input=false", "-no-color"); err != nil {
		return err
	}
	destroyed = true

	step("Done: %d events arrived, each with a valid signature", recv.count())
	fmt.Print(`
To run the same configuration against the real platform:
  export OPENCON_USER_SECRET=<your user secret> OPENCON_ORGANIZATION_SECRET=<your organization secret>
  set base_url to your region, e.g. https://api.openconnectors.us2.ext.hana.ondemand.com/elements/api-v2
  set gmail_client_id, gmail_client_secret and gmail_redirect_uri to your Google app's values
  set event_callback_url to an https endpoint of yours, and refresh_interval as you like (1 or more; the platform default is 15)
  get authorization_code from the opencon_oauth_url data source's url (open it, approve, copy ?code=)
`)
	return nil
}

func authorizationCode(ctx context.Context, client *opencon.Client) (string, error) {
	u, err := client.GetOAuthURL(ctx, "gmail", opencon.OAuthURLRequest{APIKey: clientID, APISecret: clientSecret, CallbackURL: redirectURI})
	if err != nil {
		return "", err
	}
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u.OAuthURL, nil)
	resp, err := browser.Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		return "", fmt.Errorf("the authorization endpoint answered %d without a code", resp.StatusCode)
	}
	return loc.Query().Get("code"), nil
}

type terraformRunner struct {
	bin, dir string
	env      []string
}

func terraformEnv(work, providerDir, api, code, callback string) []string {
	rc := filepath.Join(work, "cli.tfrc")
	_ = os.WriteFile(rc, []byte(fmt.Sprintf(`provider_installation {
  dev_overrides {
    "registry.terraform.io/opencon/opencon" = %q
  }
  direct {}
}
`, providerDir)), 0o600)
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TF_") && !strings.HasPrefix(kv, "OPENCON_") {
			env = append(env, kv)
		}
	}
	return append(env,
		"TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1",
		"OPENCON_USER_SECRET="+userSecret, "OPENCON_ORGANIZATION_SECRET="+orgSecret,
		"TF_VAR_base_url="+api, "TF_VAR_authorization_code="+code,
		"TF_VAR_gmail_client_id="+clientID, "TF_VAR_gmail_client_secret="+clientSecret, "TF_VAR_gmail_redirect_uri="+redirectURI,
		"TF_VAR_event_callback_url="+callback, "TF_VAR_event_signature_key="+signatureKey, "TF_VAR_refresh_interval=1",
	)
}

func copyConfig(from, to string) error {
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(from, "*.tf"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no configuration in %s", from)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(to, filepath.Base(f)), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (t *terraformRunner) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, t.bin, args...)
	cmd.Dir, cmd.Env = t.dir, t.env
	return cmd
}

func (t *terraformRunner) run(ctx context.Context, args ...string) error {
	cmd := t.command(ctx, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	inOverrideWarning := false
	for _, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		// The dev_overrides warning repeats on every command; say it once, in the README.
		switch {
		case strings.Contains(line, "Provider development overrides are in effect"):
			inOverrideWarning = true
		case inOverrideWarning:
			inOverrideWarning = !strings.HasSuffix(strings.TrimSpace(line), "releases.")
		case strings.TrimSpace(line) != "":
			fmt.Println("    " + line)
		}
	}
	return err
}

func (t *terraformRunner) output(ctx context.Context, name string) (string, error) {
	out, err := t.command(ctx, "output", "-raw", name).Output()
	if err != nil {
		return "", fmt.Errorf("terraform output %s: %w", name, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// hubClient calls the Gmail hub with the instance token, as an application would.
type hubClient struct {
	api, token string
}

func (h *hubClient) do(ctx context.Context, method, path string, body any) (map[string]any, error) {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, method, h.api+path, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", fmt.Sprintf("User %s, Organization %s, Element %s", userSecret, orgSecret, h.token))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return out, nil
}

func (h *hubClient) send(ctx context.Context, subject, body string) (string, error) {
	msg, err := h.do(ctx, http.MethodPost, "/hubs/general/messages", map[string]string{"to": "me@example.com", "subject": subject, "body": body})
	if err != nil {
		return "", err
	}
	id, _ := msg["id"].(string)
	fmt.Printf("    POST /hubs/general/messages %q -> id %s\n", subject, id)
	return id, nil
}

func (h *hubClient) update(ctx context.Context, id, subject string) error {
	_, err := h.do(ctx, http.MethodPatch, "/hubs/general/messages/"+url.PathEscape(id), map[string]string{"subject": subject})
	if err == nil {
		fmt.Printf("    PATCH /hubs/general/messages/%s %q\n", id, subject)
	}
	return err
}

// receiver accepts event notifications, checks their signature and prints them.
type receiver struct {
	url    string
	srv    *http.Server
	key    string
	mu     sync.Mutex
	events int
	notify chan struct{}
}

func startReceiver(key string) (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{url: "http://" + ln.Addr().String() + "/events", key: key, notify: make(chan struct{}, 64)}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.handle), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

func (r *receiver) close() { _ = r.srv.Close() }

func (r *receiver) handle(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	got := req.Header.Get(webhook.SignatureHeader)
	if !webhook.Verify(r.key, body, got) {
		fmt.Printf("    !! rejected a notification with a bad signature %q\n", got)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var n webhook.Notification
	if err := json.Unmarshal(body, &n); err != nil {
		http.Error(w, "not a notification", http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Printf("    <- notification %v (webhook %s), signature verified\n", n.Message.EventID, req.Header.Get(webhook.IDHeader))
	for _, ev := range n.Message.Events {
		r.events++
		fmt.Printf("       %-8s %s %s at %s (instance %v, %s)\n", ev.EventType, ev.ObjectType, ev.ObjectID, ev.Date, n.Message.InstanceID, n.Message.ElementKey)
	}
	w.WriteHeader(http.StatusOK)
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.events
}

func (r *receiver) waitFor(ctx context.Context, n int) error {
	fmt.Printf("    waiting for %d events in all …\n", n)
	for r.count() < n {
		select {
		case <-r.notify:
		case <-time.After(time.Second):
		case <-ctx.Done():
			return fmt.Errorf("only %d of %d events arrived: %w", r.count(), n, ctx.Err())
		}
	}
	return nil
}
