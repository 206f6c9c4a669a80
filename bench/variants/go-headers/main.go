// go-headers: the bench's header edits written with proxy-wasm-go-sdk (Go >= 1.24, GOOS=wasip1,
// -buildmode=c-shared). Same per-request work as our AssemblyScript `headers` filter running the bench
// configuration (bench/workloads.ts): on request headers remove x-internal, set x-bench-env, add x-bench-tag;
// on response headers remove x-upstream-secret, set cache-control, add x-bench-filter. The edits are
// compiled in (no configuration parsing), so this variant does less work at plugin start than ours.
package main

import (
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

func main() {}

func init() {
	proxywasm.SetHttpContext(func(contextID uint32) types.HttpContext { return &headerEdits{} })
}

// headerEdits applies the fixed bench edits to each HTTP stream.
type headerEdits struct {
	types.DefaultHttpContext
}

// OnHttpRequestHeaders removes, sets and adds the request headers of the bench configuration.
func (*headerEdits) OnHttpRequestHeaders(numHeaders int, endOfStream bool) types.Action {
	reportError(proxywasm.RemoveHttpRequestHeader("x-internal"))
	reportError(proxywasm.ReplaceHttpRequestHeader("x-bench-env", "prod"))
	reportError(proxywasm.AddHttpRequestHeader("x-bench-tag", "filter"))
	return types.ActionContinue
}

// OnHttpResponseHeaders removes, sets and adds the response headers of the bench configuration.
func (*headerEdits) OnHttpResponseHeaders(numHeaders int, endOfStream bool) types.Action {
	reportError(proxywasm.RemoveHttpResponseHeader("x-upstream-secret"))
	reportError(proxywasm.ReplaceHttpResponseHeader("cache-control", "no-store"))
	reportError(proxywasm.AddHttpResponseHeader("x-bench-filter", "1"))
	return types.ActionContinue
}

// reportError logs a failed host call; the bench treats any Wasm error line as a broken run.
func reportError(err error) {
	if err != nil {
		proxywasm.LogErrorf("go-headers: header edit failed: %v", err)
	}
}
