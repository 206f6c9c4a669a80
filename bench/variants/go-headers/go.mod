// The bench (bench/variants.ts) builds a copy of this module in .cache/bench/ and adds
// `replace github.com/proxy-wasm/proxy-wasm-go-sdk => $PROXY_WASM_GO_SDK_DIR` there: the Go module proxy
// does not serve the SDK.
module example.com/proxy-wasm-as/bench/go-headers

go 1.24

require github.com/proxy-wasm/proxy-wasm-go-sdk v0.0.0-20250212000000-44c7d58477456
