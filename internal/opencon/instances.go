package opencon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// CreateInstance calls POST /instances once. The POST is retried only when
// it cannot have reached the platform; otherwise an unknown outcome
// (including a 2xx without an instance id) is reported as ErrAmbiguous and
// the caller must look for the instance before creating it again, which
// CreateInstanceReconciled does.
func (c *Client) CreateInstance(ctx context.Context, req CreateInstanceRequest) (*Instance, error) {
	var out Instance
	a, err := c.exchange(ctx, newRequest(http.MethodPost, "/instances", nil, instanceBody(req)), &out)
	if err != nil {
		return nil, err
	}
	if out.ID <= 0 {
		return nil, a.fail("the answer carries no instance id")
	}
	return &out, nil
}

// GetInstance reads GET /instances/{id}. An answer that does not name the
// instance asked for (null, no id, another id) is an error, never an
// instance: written into state it would point the resource elsewhere.
func (c *Client) GetInstance(ctx context.Context, id int64) (*Instance, error) {
	return c.instanceCall(ctx, id, newRequest(http.MethodGet, escapePath("instances", idString(id)), nil, nil))
}

// UpdateInstance sends the set fields of req with PATCH /instances/{id}.
// A PATCH is retried like any idempotent call, except one carrying
// providerData (a re-authentication code is spent by the first attempt that
// arrives): its unclear outcome is ErrAmbiguous, and the caller should read
// the instance before deciding anything.
func (c *Client) UpdateInstance(ctx context.Context, id int64, req UpdateInstanceRequest) (*Instance, error) {
	r := newRequest(http.MethodPatch, escapePath("instances", idString(id)), nil, req)
	r.once = len(req.ProviderData) > 0
	return c.instanceCall(ctx, id, r)
}

// ReplaceInstance replaces and re-provisions an instance with PUT
// /instances/{id}; like UpdateInstance, it is not repeated while its outcome
// is unknown when it carries providerData.
func (c *Client) ReplaceInstance(ctx context.Context, id int64, req CreateInstanceRequest) (*Instance, error) {
	r := newRequest(http.MethodPut, escapePath("instances", idString(id)), nil, instanceBody(req))
	r.once = len(req.ProviderData) > 0
	return c.instanceCall(ctx, id, r)
}

// instanceCall makes a call answered by the instance id and checks that the
// answer names it.
func (c *Client) instanceCall(ctx context.Context, id int64, r request) (*Instance, error) {
	var out Instance
	a, err := c.exchange(ctx, r, &out)
	if err != nil {
		return nil, err
	}
	if out.ID != id {
		if out.ID == 0 {
			return nil, a.fail("the answer carries no instance id, expected instance %d", id)
		}
		return nil, a.fail("the answer is instance %d, expected instance %d", out.ID, id)
	}
	return &out, nil
}

// DeleteInstance calls DELETE /instances/{id}. DELETE is retried, so a 404
// after an attempt that got no usable answer means that attempt deleted the
// instance: that is success. A 404 to the first attempt is ErrNotFound: the
// instance was gone before.
func (c *Client) DeleteInstance(ctx context.Context, id int64) error {
	err := c.do(ctx, http.MethodDelete, escapePath("instances", idString(id)), nil, nil, nil)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound && apiErr.Attempts > 1 {
		return nil
	}
	return err
}

// EnableInstance calls PUT /instances/{id}/enabled.
func (c *Client) EnableInstance(ctx context.Context, id int64) error {
	return c.do(ctx, http.MethodPut, escapePath("instances", idString(id), "enabled"), nil, nil, nil)
}

// DisableInstance calls DELETE /instances/{id}/enabled.
func (c *Client) DisableInstance(ctx context.Context, id int64) error {
	return c.do(ctx, http.MethodDelete, escapePath("instances", idString(id), "enabled"), nil, nil, nil)
}

// ListInstanceConfiguration reads GET /instances/{id}/configuration.
func (c *Client) ListInstanceConfiguration(ctx context.Context, id int64) ([]ConfigurationEntry, error) {
	var out []ConfigurationEntry
	if err := c.do(ctx, http.MethodGet, escapePath("instances", idString(id), "configuration"), nil, nil, &out); err != nil {
		return nil, err
	}
	if out == nil {
		out = []ConfigurationEntry{}
	}
	return out, nil
}

// UpdateInstanceConfiguration sends the whole entry with
// PATCH /instances/{id}/configuration/{entry.ID}, as the platform expects.
func (c *Client) UpdateInstanceConfiguration(ctx context.Context, id int64, entry ConfigurationEntry) (*ConfigurationEntry, error) {
	if entry.ID == 0 {
		return nil, fmt.Errorf("opencon: configuration entry %q has no id", entry.Key)
	}
	var out ConfigurationEntry
	path := escapePath("instances", idString(id), "configuration", idString(entry.ID))
	a, err := c.exchange(ctx, newRequest(http.MethodPatch, path, nil, entry), &out)
	if err != nil {
		return nil, err
	}
	if out.ID != entry.ID {
		return nil, a.fail("the answer is configuration entry %d, expected entry %d", out.ID, entry.ID)
	}
	return &out, nil
}

// createBody sends "tags": [] for a non-nil empty Tags, which the omitempty
// tag of CreateInstanceRequest would drop: on PUT an empty list clears the
// tags, as with UpdateInstanceRequest. A nil Tags is still omitted.
type createBody struct {
	CreateInstanceRequest
	Tags *[]string `json:"tags,omitempty"`
}

func instanceBody(req CreateInstanceRequest) createBody {
	b := createBody{CreateInstanceRequest: req}
	if req.Tags != nil {
		b.Tags = &req.Tags
	}
	return b
}

// UnmarshalJSON accepts configuration values that are not strings (booleans,
// numbers, objects such as event.poller.configuration) by keeping their JSON
// text, so that one odd value does not make a whole instance unreadable.
func (i *Instance) UnmarshalJSON(b []byte) error {
	type plain Instance
	aux := struct {
		*plain
		Configuration map[string]json.RawMessage `json:"configuration"`
	}{plain: (*plain)(i)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	i.Configuration = nil
	if aux.Configuration != nil {
		i.Configuration = make(map[string]*string, len(aux.Configuration))
		for k, raw := range aux.Configuration {
			v, err := lenientString(raw)
			if err != nil {
				return fmt.Errorf("configuration %q: %w", k, err)
			}
			i.Configuration[k] = v
		}
	}
	return nil
}

// UnmarshalJSON accepts a propertyValue that is not a string, as Instance does.
func (e *ConfigurationEntry) UnmarshalJSON(b []byte) error {
	type plain ConfigurationEntry
	aux := struct {
		*plain
		PropertyValue json.RawMessage `json:"propertyValue"`
	}{plain: (*plain)(e)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	v, err := lenientString(aux.PropertyValue)
	if err != nil {
		return fmt.Errorf("propertyValue: %w", err)
	}
	e.PropertyValue = v
	return nil
}

func lenientString(raw json.RawMessage) (*string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var s string
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return &s, nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, err
	}
	s = buf.String()
	return &s, nil
}
