package opencon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// CreateInstance calls POST /instances. The POST is retried only when
// it cannot have reached the platform; otherwise an unknown outcome is
// reported as ErrAmbiguous and the caller should look for the instance (by
// name or tags) before creating it again.
func (c *Client) CreateInstance(ctx context.Context, req CreateInstanceRequest) (*Instance, error) {
	var out Instance
	if err := c.do(ctx, http.MethodPost, "/instances", nil, instanceBody(req), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetInstance reads GET /instances/{id}.
func (c *Client) GetInstance(ctx context.Context, id int64) (*Instance, error) {
	var out Instance
	if err := c.do(ctx, http.MethodGet, escapePath("instances", idString(id)), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListInstances reads GET /instances. The platform answers 404 when nothing
// matches; that is returned as an empty slice.
func (c *Client) ListInstances(ctx context.Context, opts ListInstancesOptions) ([]Instance, error) {
	q := url.Values{}
	for _, t := range opts.Tags {
		q.Add("tags[]", t)
	}
	if opts.SearchText != "" {
		q.Set("searchText", opts.SearchText)
	}
	var out []Instance
	if err := c.do(ctx, http.MethodGet, "/instances", q, nil, &out); err != nil {
		if errors.Is(err, ErrNotFound) {
			return []Instance{}, nil
		}
		return nil, err
	}
	if out == nil {
		out = []Instance{}
	}
	return out, nil
}

// UpdateInstance sends the set fields of req with PATCH /instances/{id}.
func (c *Client) UpdateInstance(ctx context.Context, id int64, req UpdateInstanceRequest) (*Instance, error) {
	var out Instance
	if err := c.do(ctx, http.MethodPatch, escapePath("instances", idString(id)), nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ReplaceInstance replaces and re-provisions an instance with PUT /instances/{id}.
func (c *Client) ReplaceInstance(ctx context.Context, id int64, req CreateInstanceRequest) (*Instance, error) {
	var out Instance
	if err := c.do(ctx, http.MethodPut, escapePath("instances", idString(id)), nil, instanceBody(req), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteInstance calls DELETE /instances/{id}. Because DELETE is retried, a
// 404 can also mean an earlier attempt succeeded; callers usually treat
// ErrNotFound as success.
func (c *Client) DeleteInstance(ctx context.Context, id int64) error {
	return c.do(ctx, http.MethodDelete, escapePath("instances", idString(id)), nil, nil, nil)
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
	if err := c.do(ctx, http.MethodPatch, path, nil, entry, &out); err != nil {
		return nil, err
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
