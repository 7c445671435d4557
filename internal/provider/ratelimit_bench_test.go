package provider

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/opencon/terraform-provider-opencon/internal/emulator"
)

// EnvBenchRateLimit turns on TestBenchRateLimit (make bench-ratelimit). It
// is a measurement, not a test of speed: it reports how close a run of 100
// instances against a rate limited emulator comes to the floor the limit
// sets, and fails only on errors or 429s, or when the target ratio is missed
// by the API phases.
const EnvBenchRateLimit = "OPENCON_BENCH_RATELIMIT"

// apiLog records when each API call reached the emulator and how it was
// answered.
type apiLog struct {
	mu    sync.Mutex
	calls []apiCall
}

type apiCall struct {
	route  string // "POST", "GET", "DELETE"
	at     time.Time
	status int
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) { s.status = code; s.ResponseWriter.WriteHeader(code) }

func (l *apiLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, emulator.APIPrefix) {
			h.ServeHTTP(w, r)
			return
		}
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		at := time.Now()
		h.ServeHTTP(rec, r)
		l.mu.Lock()
		l.calls = append(l.calls, apiCall{route: r.Method, at: at, status: rec.status})
		l.mu.Unlock()
	})
}

// phase summarizes the calls of one method: how many, how many were 429,
// and the time from the first to the last.
func (l *apiLog) phase(method string) (n, limited int, span time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var times []time.Time
	for _, c := range l.calls {
		if c.route != method {
			continue
		}
		n++
		if c.status == http.StatusTooManyRequests {
			limited++
		}
		times = append(times, c.at)
	}
	if len(times) > 1 {
		sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
		span = times[len(times)-1].Sub(times[0])
	}
	return n, limited, span
}

// TestBenchRateLimit: 100 instances, -parallelism=50, against an emulator
// answering 429 above 10 requests a second, once with
// max_requests_per_second = 10 and once with no limit set (the 429s alone
// pace the provider). Reports per phase calls, 429s, time, the floor
// (calls ÷ rate) and the ratio.
func TestBenchRateLimit(t *testing.T) {
	if os.Getenv(EnvBenchRateLimit) == "" || os.Getenv("TF_ACC") == "" {
		t.Skipf("a measurement: set %s=1 and TF_ACC=1 (make bench-ratelimit)", EnvBenchRateLimit)
	}
	const (
		instances = 100
		rate      = 10.0
	)
	for _, c := range []struct {
		name    string
		setting string
		target  bool // whether the 1.1× target applies
	}{
		{"max_requests_per_second=10", "  max_requests_per_second = 10\n", true},
		{"no limit set", "", false},
	} {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			for _, cmd := range []string{"plan", "apply", "destroy", "refresh"} {
				t.Setenv("TF_CLI_ARGS_"+cmd, "-parallelism=50")
			}
			emu := emulator.New(emulator.Options{UserSecret: testUserSecret, OrganizationSecret: testOrganizationSecret, Seed: 1, RateLimit: rate})
			var log apiLog
			srv := httptest.NewServer(log.wrap(emu))
			t.Cleanup(func() { srv.Close(); emu.Close() })

			// The usual provider block, with the client's default retries
			// (the run without a limit needs them) and the setting measured.
			env := &testEnv{baseURL: srv.URL + emulator.APIPrefix}
			config := strings.Replace(env.providerConfig(), "  max_retries         = 0\n", c.setting, 1) + fmt.Sprintf(`
resource "opencon_instance" "erp" {
  count       = %d
  element_key = "netsuiteerp"
  name        = "erp ${count.index}"
  configuration = {
    "user.username"      = "jane"
    "netsuite.accountId" = "TSTDRV1"
  }
  sensitive_configuration = {
    "user.password" = "hunter2"
  }
}
`, instances)
			if strings.Contains(config, "max_retries") {
				t.Fatal("the provider block still sets max_retries")
			}

			start := time.Now()
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories,
				Steps: []resource.TestStep{{
					Config: config,
					Check: func(*terraform.State) error {
						if n := emu.InstanceCount(); n != instances {
							return fmt.Errorf("%d instances, want %d", n, instances)
						}
						return nil
					},
				}},
			})
			wall := time.Since(start)

			// The floor counts the calls that did their work: a 429 is a
			// request the provider should not have sent.
			var total, limitedTotal int
			for _, m := range []string{"POST", "GET", "DELETE"} {
				n, limited, span := log.phase(m)
				total += n
				limitedTotal += limited
				if n == 0 {
					continue
				}
				floor := time.Duration(float64(n-limited) / rate * float64(time.Second))
				ratio := span.Seconds() / floor.Seconds()
				t.Logf("%-6s %3d calls, %3d answered 429, first to last %6.2fs, floor %6.2fs, ratio %.3f",
					m, n, limited, span.Seconds(), floor.Seconds(), ratio)
				if c.target && ratio > 1.1 {
					t.Errorf("%s: ratio %.3f exceeds the 1.1 target", m, ratio)
				}
			}
			floor := time.Duration(float64(total-limitedTotal) / rate * float64(time.Second))
			t.Logf("whole run (plan, apply, refresh, destroy and the CLI's own time): %d calls, %d answered 429, %.2fs, floor %.2fs, ratio %.3f",
				total, limitedTotal, wall.Seconds(), floor.Seconds(), wall.Seconds()/floor.Seconds())
			if c.target && limitedTotal > 0 {
				t.Errorf("%d calls answered 429 although the provider kept to the limit", limitedTotal)
			}
			if n := emu.InstanceCount(); n != 0 {
				t.Errorf("%d instances left after destroy", n)
			}
		})
	}
}
