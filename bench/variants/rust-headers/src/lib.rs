//! The bench's header edits written with the Rust proxy-wasm SDK. Same per-request work as our AssemblyScript
//! `headers` filter running the bench configuration (bench/workloads.ts): on request headers remove
//! x-internal, set x-bench-env, add x-bench-tag; on response headers remove x-upstream-secret, set
//! cache-control, add x-bench-filter. The edits are compiled in (no configuration parsing).
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::{Action, LogLevel};

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Warn);
    proxy_wasm::set_http_context(|_, _| -> Box<dyn HttpContext> { Box::new(HeaderEdits) });
}}

/// Applies the fixed bench edits to one HTTP stream.
struct HeaderEdits;

impl Context for HeaderEdits {}

impl HttpContext for HeaderEdits {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        self.set_http_request_header("x-internal", None);
        self.set_http_request_header("x-bench-env", Some("prod"));
        self.add_http_request_header("x-bench-tag", "filter");
        Action::Continue
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        self.set_http_response_header("x-upstream-secret", None);
        self.set_http_response_header("cache-control", Some("no-store"));
        self.add_http_response_header("x-bench-filter", "1");
        Action::Continue
    }
}
