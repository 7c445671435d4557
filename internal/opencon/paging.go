package opencon

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxListPages bounds how many pages one list reads, whatever the platform
// says: at the platform's 200 a page, two million instances.
const maxListPages = 10000

// Paging headers of GET /instances (reference section 2.1).
const (
	headerNextPage   = "Elements-Next-Page-Token"
	headerTotalCount = "Elements-Total-Count"
)

// ListInstances reads every page of GET /instances, following
// Elements-Next-Page-Token with the same filters until a page has none. The
// platform answers 404 when nothing matches; that is an empty slice. The
// walk is bounded (maxListPages, or twice the pages Elements-Total-Count
// implies plus ten), stops at a token the server repeats, and ends with the
// context. An instance that moves between pages is listed once. When the
// number read differs from the platform's total (instances created or
// deleted while paging), a LevelWarn record says so; the list is still
// returned, since every page was read.
func (c *Client) ListInstances(ctx context.Context, opts ListInstancesOptions) ([]Instance, error) {
	q := url.Values{}
	for _, t := range opts.Tags {
		q.Add("tags[]", t)
	}
	if opts.SearchText != "" {
		q.Set("searchText", opts.SearchText)
	}
	if opts.Abridged {
		q.Set("hydrate", "false")
	}
	if opts.PageSize > 0 {
		q.Set("pageSize", strconv.Itoa(opts.PageSize))
	}

	out := []Instance{}
	seenIDs := map[int64]bool{}
	seenTokens := map[string]bool{}
	total := -1
	limit := maxListPages
	token := ""
	pages := 0
	for {
		if pages == limit {
			why := "the most one list reads"
			if total >= 0 {
				why = fmt.Sprintf("far more than the platform's total of %d instances fills", total)
			}
			return nil, fmt.Errorf("opencon: GET /instances: stopped after %d pages, %s; the server keeps answering %s", pages, why, headerNextPage)
		}
		pageQuery := q
		if token != "" {
			pageQuery = maps.Clone(q) // Set replaces nextPage's slice only: the others stay shared, unchanged
			pageQuery.Set("nextPage", token)
		}
		var items []Instance
		a, err := c.exchange(ctx, newRequest(http.MethodGet, "/instances", pageQuery, nil), &items)
		pages++
		if err != nil {
			if pages == 1 && errors.Is(err, ErrNotFound) {
				return []Instance{}, nil
			}
			if pages > 1 {
				return nil, fmt.Errorf("reading page %d of the instance list: %w", pages, err)
			}
			return nil, err
		}
		for _, it := range items {
			if !seenIDs[it.ID] {
				seenIDs[it.ID] = true
				out = append(out, it)
			}
		}
		if pages == 1 {
			if n, err := strconv.Atoi(strings.TrimSpace(a.header.Get(headerTotalCount))); err == nil && n >= 0 {
				total = n
				if len(items) > 0 {
					limit = min(maxListPages, 2*((n+len(items)-1)/len(items))+10)
				}
			}
		}
		token = strings.TrimSpace(a.header.Get(headerNextPage))
		if token == "" {
			break
		}
		if seenTokens[token] {
			return nil, a.fail("%s repeats the token of an earlier page; the list would never end", headerNextPage)
		}
		seenTokens[token] = true
	}
	if total >= 0 && total != len(out) {
		c.logAt(ctx, LevelWarn, "opencon instance list differs from the platform's total", map[string]any{
			"path": redactPath("/instances", q), "total": total, "read": len(out), "pages": pages,
		})
	}
	return out, nil
}
