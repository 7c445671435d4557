package opencon

import (
	"context"
	"errors"
	"net/http"
	"net/url"
)

var errEmptyElement = errors.New("opencon: element key or id is empty")

// GetElement reads GET /elements/{keyOrId}.
func (c *Client) GetElement(ctx context.Context, keyOrID string) (*Element, error) {
	if keyOrID == "" {
		return nil, errEmptyElement
	}
	var out Element
	if err := c.do(ctx, http.MethodGet, escapePath("elements", keyOrID), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListElementConfiguration reads GET /elements/{keyOrId}/configuration.
func (c *Client) ListElementConfiguration(ctx context.Context, keyOrID string) ([]ElementConfigurationEntry, error) {
	if keyOrID == "" {
		return nil, errEmptyElement
	}
	var out []ElementConfigurationEntry
	if err := c.do(ctx, http.MethodGet, escapePath("elements", keyOrID, "configuration"), nil, nil, &out); err != nil {
		return nil, err
	}
	if out == nil {
		out = []ElementConfigurationEntry{}
	}
	return out, nil
}

// GetOAuthURL reads GET /elements/{keyOrId}/oauth/url. The apiSecret query
// value is redacted from logs and errors.
func (c *Client) GetOAuthURL(ctx context.Context, elementKeyOrID string, req OAuthURLRequest) (*OAuthURL, error) {
	if elementKeyOrID == "" {
		return nil, errEmptyElement
	}
	q := url.Values{}
	q.Set("apiKey", req.APIKey)
	q.Set("apiSecret", req.APISecret)
	q.Set("callbackUrl", req.CallbackURL)
	if req.Scope != "" {
		q.Set("scope", req.Scope)
	}
	if req.State != "" {
		q.Set("state", req.State)
	}
	var out OAuthURL
	if err := c.do(ctx, http.MethodGet, escapePath("elements", elementKeyOrID, "oauth", "url"), q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
