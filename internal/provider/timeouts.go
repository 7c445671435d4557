package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
)

// Operation deadlines. Every operation runs under one: the resource's
// create, read, update and delete (its `timeouts` block), each data
// source's read and the ephemeral resource's open (theirs). The deadline
// bounds every request of the operation and the retries and Retry-After
// waits between them.

// defaultDataSourceReadTimeout is the deadline of a data source's read and
// of the ephemeral resource's open when their `timeouts` block does not set one.
const defaultDataSourceReadTimeout = 5 * time.Minute

// withTimeout bounds ctx by an operation's timeout from a timeouts block.
func withTimeout(ctx context.Context, get func(context.Context, time.Duration) (time.Duration, diag.Diagnostics), def time.Duration, diags *diag.Diagnostics) (context.Context, context.CancelFunc) {
	timeout, d := get(ctx, def)
	diags.Append(d...)
	return context.WithTimeout(ctx, timeout)
}
