-- wrk script: POST /webhooks, spreading the hooks over many projects so the
-- per-project cap (100) is never reached. RUNHOOKS_KEY: an all-projects key.
local counter = 0
local key = os.getenv("RUNHOOKS_KEY")
request = function()
  counter = counter + 1
  local path = "/webhooks?projectId=bench_" .. math.floor(counter / 50) .. "_" .. math.random(1, 1000000)
  return wrk.format("POST", path, {
    ["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json",
  }, '{"url":"https://example.com/hook","label":"bench","hookEvents":["RUN_FINISH"]}')
end
