-- lua-headers: the bench's header edits as an Envoy Lua filter (envoy.filters.http.lua, inline code).
-- Same per-request work as our AssemblyScript `headers` filter running the bench configuration
-- (bench/workloads.ts). bench/envoy-config.ts inlines this file into the filter's default_source_code.

function envoy_on_request(request_handle)
  local headers = request_handle:headers()
  headers:remove("x-internal")
  headers:replace("x-bench-env", "prod")
  headers:add("x-bench-tag", "filter")
end

function envoy_on_response(response_handle)
  local headers = response_handle:headers()
  headers:remove("x-upstream-secret")
  headers:replace("cache-control", "no-store")
  headers:add("x-bench-filter", "1")
end
